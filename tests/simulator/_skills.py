"""Helpers of the simulator's tests: the second skill's handler, a real HTTP skill server,
and a guard fixture. (Not a conftest.py: other folders' tests ``from conftest import``
the shared one, which a second conftest module would shadow.)"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).parents[2]
TIMER = REPO / "tests" / "fixtures" / "timer_skill"
TIMER_HANDLER_FILE = TIMER / "lambda" / "lambda_function.py"


@pytest.fixture(autouse=True)
def restore_sys_path() -> Iterator[None]:
    """Python targets put their folder on sys.path, as Lambda does; no test leaks that.

    Autouse in every module that imports it from here.
    """
    before = list(sys.path)
    yield
    sys.path[:] = before


def timer_handler() -> Callable[[dict[str, Any], Any], Any]:
    """The timer skill's lambda_handler, imported as the simulator imports it."""
    from skill.simulator.targets import load_handler

    return load_handler(f"{TIMER_HANDLER_FILE}:lambda_handler")


@contextmanager
def skill_server(
    handler: Callable[[dict[str, Any], Any], Any],
    *,
    verify: Callable[[Mapping[str, str], bytes], None] | None = None,
    delay: float = 0.0,
    status: int = 200,
) -> Iterator[str]:
    """A real HTTP endpoint on 127.0.0.1 serving ``handler`` as a skill's web service would.

    ``verify(headers, body)`` may raise to refuse a request (answered 400 with the reason);
    ``delay`` makes each answer slow; ``status`` other than 200 answers every request so.
    Yields the endpoint URL; the server stops when the block ends.
    """

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            code, answer = status, {"error": "refused"}
            if status == 200:
                try:
                    if verify is not None:
                        verify(dict(self.headers.items()), body)
                    answer = handler(json.loads(body), None)
                except Exception as exc:  # the reason goes back as a 400, as a web service would
                    code, answer = 400, {"error": str(exc)}
            if delay:
                time.sleep(delay)
            data = json.dumps(answer).encode("utf-8")
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alexa"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
