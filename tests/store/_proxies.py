"""A loopback HTTP proxy in front of the moto server that damages chosen replies.

The faults are the ones a real network, load balancer or middlebox produces, done
for real on the wire, so botocore's own HTTP, checksum and retry code runs exactly
as in production:

``truncate``
    the reply's headers as sent (``Content-Length`` and ``x-amz-crc32`` of the
    whole body), half the body, then the connection is closed;
``corrupt``
    the first bytes of the body overwritten, the ``x-amz-crc32`` header kept (so
    it no longer matches);
``corrupt-rehashed``
    the same overwrite with ``x-amz-crc32`` recomputed to match the damaged body,
    as if the damage happened before the checksum (only the body's shape can tell);
``corrupt-binary``
    bytes that are not UTF-8, checksum recomputed;
``empty``
    a well-formed ``{}`` answer with a matching checksum: status 200, nothing in it;
``drop``
    the request is forwarded and answered by moto (a write commits), then the
    connection is closed without a byte of the reply;
``trickle``
    the whole, correct reply, one byte every ``trickle_interval`` seconds;
``pass``
    the reply as it is (to let some requests through before a fault).

Faults are chosen per DynamoDB operation (the ``X-Amz-Target`` header) and for a
number of requests. Each request is forwarded to moto on its own upstream
connection; moto's server already lets one request at a time into the backend.
"""

from __future__ import annotations

import binascii
import contextlib
import http.client
import socket
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import urlsplit

Fault = Literal[
    "pass", "truncate", "corrupt", "corrupt-rehashed", "corrupt-binary", "empty", "drop", "trickle"
]
_HOP_BY_HOP = frozenset({"connection", "content-length", "keep-alive", "transfer-encoding"})
# Every read and write on a proxied connection gives up after this long, so no
# thread of the proxy outlives a test by more than that.
_SOCKET_TIMEOUT_S = 10.0


class FaultProxy:
    """``with FaultProxy(moto.endpoint) as proxy: proxy.inject("GetItem", "truncate")``."""

    def __init__(self, upstream: str, *, trickle_interval: float = 0.5) -> None:
        parts = urlsplit(upstream)
        assert parts.hostname == "127.0.0.1" and parts.port, "the proxy forwards to loopback only"
        self._upstream = (parts.hostname, parts.port)
        self.trickle_interval = trickle_interval
        self._lock = threading.Lock()
        self._plan: dict[str, deque[Fault]] = {}
        self._always: dict[str, Fault] = {}
        self._stop = threading.Event()
        self._sockets: set[socket.socket] = set()
        #: (operation, fault or "pass") for every request, in arrival order.
        self.log: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = False
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        host, port = self._server.server_address[:2]
        self.endpoint = f"http://{host!s}:{port}"

    # -- the plan ------------------------------------------------------------------
    def inject(self, operation: str, fault: Fault, *, times: int | None = None) -> None:
        """Damage the next ``times`` replies to ``operation`` (every one if None)."""
        with self._lock:
            if times is None:
                self._always[operation] = fault
            else:
                self._plan.setdefault(operation, deque()).extend([fault] * times)

    def clear(self) -> None:
        with self._lock:
            self._plan.clear()
            self._always.clear()

    def count(self, operation: str, fault: str | None = None) -> int:
        """How many ``operation`` requests arrived (with ``fault`` applied, if given)."""
        with self._lock:
            return sum(1 for op, f in self.log if op == operation and fault in (None, f))

    def _next_fault(self, operation: str) -> Fault | None:
        with self._lock:
            queued = self._plan.get(operation)
            fault = queued.popleft() if queued else self._always.get(operation)
            self.log.append((operation, fault or "pass"))
            return None if fault == "pass" else fault

    # -- lifetime ------------------------------------------------------------------
    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:  # ends keep-alive waits and trickles at once
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._server.shutdown()
        self._server.server_close()  # joins the connection threads
        self._thread.join(timeout=5)

    # -- the wire ------------------------------------------------------------------
    def _forward(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        upstream = http.client.HTTPConnection(*self._upstream, timeout=_SOCKET_TIMEOUT_S)
        try:
            upstream.request(method, path, body=body, headers=dict(headers))
            answer = upstream.getresponse()
            data = answer.read()
            kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP_BY_HOP]
            return answer.status, answer.reason, kept, data
        finally:
            upstream.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = _SOCKET_TIMEOUT_S

            def setup(self) -> None:
                super().setup()
                with proxy._lock:
                    proxy._sockets.add(self.connection)

            def finish(self) -> None:
                with proxy._lock:
                    proxy._sockets.discard(self.connection)
                with contextlib.suppress(OSError):
                    super().finish()

            def log_message(self, format: str, *args: object) -> None:
                return None

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                target = self.headers.get("X-Amz-Target", "")
                operation = target.rpartition(".")[2]
                fault = proxy._next_fault(operation)
                headers = [(k, v) for k, v in self.headers.items() if k.lower() != "connection"]
                status, reason, reply_headers, data = proxy._forward(
                    "POST", self.path, headers, body
                )
                self._reply(fault, status, reason, reply_headers, data)

            def _reply(
                self,
                fault: Fault | None,
                status: int,
                reason: str,
                headers: list[tuple[str, str]],
                data: bytes,
            ) -> None:
                if fault == "drop":
                    self.close_connection = True
                    return
                sent = data
                if fault in ("corrupt", "corrupt-rehashed"):
                    sent = b"#" * 8 + data[8:]
                elif fault == "corrupt-binary":
                    sent = b"\xff\xfe" * 4 + data[8:]
                elif fault == "empty":
                    sent = b"{}"
                if fault in ("corrupt-rehashed", "corrupt-binary", "empty"):
                    crc = str(binascii.crc32(sent) & 0xFFFFFFFF)
                    headers = [(k, crc if k.lower() == "x-amz-crc32" else v) for k, v in headers]
                head = f"HTTP/1.1 {status} {reason}\r\n"
                head += "".join(f"{k}: {v}\r\n" for k, v in headers)
                head += f"Content-Length: {len(sent)}\r\n"
                if fault in ("truncate", "trickle"):
                    head += "Connection: close\r\n"
                    self.close_connection = True
                wire = head.encode("latin-1") + b"\r\n" + sent
                try:
                    if fault == "truncate":
                        self.wfile.write(wire[: len(wire) - len(sent) // 2])
                    elif fault == "trickle":
                        self._trickle(wire)
                    else:
                        self.wfile.write(wire)
                except OSError:
                    self.close_connection = True

            def _trickle(self, wire: bytes) -> None:
                for i in range(len(wire)):
                    if proxy._stop.is_set():
                        return
                    self.wfile.write(wire[i : i + 1])
                    if proxy._stop.wait(proxy.trickle_interval):
                        return

        return Handler
