"""The production web server: waitress, with limits that make slow clients cheap.

``cornershop serve`` runs the Flask app from :func:`skill.web.create_app` through
:func:`serve`. This module is the one home of waitress, imported only when serving.

Why waitress: its event loop (one thread) reads every request whole, headers and
body, into a buffer before a worker thread sees it. A client that sends slowly holds
a socket and a few KB of memory, never a worker, so a handful of them cannot stop
real requests the way they stop gunicorn's sync workers (each of which sits in
``recv`` for the whole of one slow request).

What bounds a slow or hostile client, and why each number:

* **Idle and half-sent requests: ``CHANNEL_TIMEOUT``, 10 s.** Waitress closes a
  connection that has been inactive that long. Alexa gives a skill 8 s to answer and
  sends each request in one go, so no real request is half-sent for 10 s.
* **Trickled requests: the same 10 s, counted from the request's first byte.**
  Waitress alone counts *any* byte as activity, so a client sending one header byte
  every few seconds would hold its connection until the header size limit (16 KB here:
  hours at 1 byte/s). :func:`_channel_class` makes a half-received request age from
  its first byte instead: the whole request must arrive within ``CHANNEL_TIMEOUT``
  (what nginx calls ``client_header_timeout``). Connections waiting between requests
  keep waitress's own idle rule.
* **How often that is checked: ``CLEANUP_INTERVAL``, 1 s** (waitress's default, 30 s,
  would let a timed-out connection live up to 40 s).
* **How many: ``CONNECTION_LIMIT``, 1000.** At the limit waitress stops accepting and
  new connections wait in the kernel's backlog, so this is the number of slow clients
  it takes to stall the service for up to ``CHANNEL_TIMEOUT`` at a time: the residual
  risk, for a per-address limit at the load balancer or firewall to take. Each
  connection costs one file descriptor, so :func:`create_server` raises the process's
  soft descriptor limit to fit (or lowers the connection limit, with a warning), and
  waitress is told to use ``poll()``, because ``select()`` fails past descriptor 1023.
* **Sizes: headers 16 KB** (Alexa's are under 2 KB; 16 KB leaves room for a load
  balancer's additions while keeping 1000 half-sent headers under 16 MB), **body
  128 KB**, the same limit as the app's own (:data:`skill.web.MAX_BODY_BYTES`):
  waitress answers 413 from its announced ``Content-Length`` before reading it.
* **Workers: ``THREADS``, 8.** Only complete requests reach them. Most of a request is
  CPU (signature check, skill), but a checkout may wait up to
  ``CORNERSHOP_PROFILE_TIMEOUT`` (1 s) on the Customer Profile API, so 8 threads keep
  a few such waits from queueing everyone else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from skill.errors import ConfigError
from skill.logs import get_logger

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from waitress.channel import HTTPChannel
    from waitress.server import BaseWSGIServer, MultiSocketServer

# 12, not 8: the staff dashboard may hold up to 4 (skill.dashboard.service.MAX_STREAMS) in
# live event streams, and Alexa's requests keep 8.
THREADS = 12
CONNECTION_LIMIT = 1000
CHANNEL_TIMEOUT = 10
CLEANUP_INTERVAL = 1
MAX_HEADER_BYTES = 16 * 1024
# Descriptors the process needs besides its connections: store, logs, waitress's own.
_SPARE_FDS = 64

_log = get_logger("server")


class Server:
    """A waitress server bound to its address, not yet serving; :meth:`run` serves."""

    def __init__(
        self, inner: BaseWSGIServer | MultiSocketServer, listen: list[tuple[str, int]]
    ) -> None:
        self._inner = inner
        self.listen = listen

    @property
    def host(self) -> str:
        return self.listen[0][0]

    @property
    def port(self) -> int:
        return self.listen[0][1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C); waitress then stops its worker threads."""
        self._inner.run()


def create_server(
    app: WSGIApplication,
    *,
    host: str,
    port: int,
    threads: int = THREADS,
    connection_limit: int = CONNECTION_LIMIT,
    channel_timeout: int = CHANNEL_TIMEOUT,
    max_header_bytes: int = MAX_HEADER_BYTES,
) -> Server:
    """Bind ``host:port`` (port 0 picks a free one) and return the server, not running yet.

    Tests pass a short ``channel_timeout``; everything else should keep the defaults.
    """
    from waitress import wasyncore
    from waitress.server import BaseWSGIServer, MultiSocketServer
    from waitress.server import create_server as waitress_server
    from waitress.task import ThreadedTaskDispatcher

    from skill.web import MAX_BODY_BYTES

    socket_map: dict[int, Any] = {}
    # Our own dispatcher, given its threads only once the address is bound, so that a
    # port in use leaves no worker threads behind (waitress would start them first).
    dispatcher = ThreadedTaskDispatcher()
    try:
        inner = waitress_server(
            app,
            map=socket_map,
            _dispatcher=dispatcher,
            host=host,
            port=port,
            threads=threads,
            connection_limit=_fit_descriptor_limit(connection_limit),
            channel_timeout=channel_timeout,
            cleanup_interval=CLEANUP_INTERVAL,
            max_request_header_size=max_header_bytes,
            # waitress refuses a body of exactly its limit; the app allows 128 KB itself.
            max_request_body_size=MAX_BODY_BYTES + 1,
            asyncore_use_poll=True,
        )
    except ValueError as exc:  # waitress's word for an address it cannot resolve
        wasyncore.close_all(socket_map)
        raise ConfigError(
            f"Cannot listen on {host}:{port}: {exc} Give --host an IP address or a name "
            "this machine resolves, such as 127.0.0.1 or 0.0.0.0."
        ) from exc
    except OSError as exc:
        wasyncore.close_all(socket_map)  # the wake-up pipe waitress opened before bind()
        raise ConfigError(
            f"Cannot listen on {host}:{port}: {exc.strerror or exc}. Pick a free port with "
            "--port (ports below 1024 need root), or stop whatever is using this one."
        ) from exc
    dispatcher.set_thread_count(threads)
    channel = _channel_class()
    servers = [s for s in socket_map.values() if isinstance(s, BaseWSGIServer)]
    for server in servers:
        # Accepting happens only in run(), so no connection gets the stock class.
        server.channel_class = channel
    if isinstance(inner, MultiSocketServer):
        listen = [(h, int(p)) for h, p in inner.effective_listen]
    else:
        listen = [(str(inner.effective_host), int(inner.effective_port))]  # type: ignore[attr-defined]
    return Server(inner, listen)


def serve(
    app: WSGIApplication,
    *,
    host: str,
    port: int,
    announce: Callable[[Server], None] | None = None,
    **limits: int,
) -> None:
    """Serve ``app`` on ``host:port`` until Ctrl-C; ``announce`` is told once it is bound."""
    server = create_server(app, host=host, port=port, **limits)
    if announce is not None:
        announce(server)
    server.run()


def _channel_class() -> type[HTTPChannel]:
    """Waitress's connection, with a half-received request aging from its first byte.

    Waitress closes a connection whose ``last_activity`` is older than
    ``channel_timeout`` and that has no request being served; every received byte
    resets ``last_activity``. Here, while a request is incomplete, ``last_activity``
    stays at the moment that request's first byte arrived, so the whole request must
    arrive within ``channel_timeout``. Between requests (keep-alive) and while a
    response is being sent, waitress's own bookkeeping stands.
    """
    from waitress.channel import HTTPChannel

    class WholeRequestDeadline(HTTPChannel):
        request_started = 0.0

        def received(self, data: bytes) -> bool:
            before = self.request
            accepted = super().received(data)
            if self.request is not None:
                if self.request is not before:  # a new request began in this chunk
                    self.request_started = self.last_activity  # set by handle_read: now
                self.last_activity = self.request_started
            return accepted

    return WholeRequestDeadline


def _fit_descriptor_limit(connections: int) -> int:
    """Raise the soft descriptor limit to fit ``connections``, or fit them to it."""
    import resource

    wanted = connections + _SPARE_FDS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new_soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
            soft = new_soft
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < wanted:
        fitted = max(soft - _SPARE_FDS, 16)
        _log.warning(
            "The open-file limit (%d) is too low for %d connections; serving at most %d. "
            "Raise it (ulimit -n, or LimitNOFILE= in a systemd unit) for more.",
            soft,
            connections,
            fitted,
        )
        return fitted
    return connections
