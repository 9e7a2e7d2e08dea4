"""A moto DynamoDB server in the test process, and clients and tables on it.

Why not ``moto.server.ThreadedMotoServer`` as it is: it serves each request on
its own thread, and moto's DynamoDB backend takes no lock around a request. Its
``put_item`` checks a condition and then writes, and a cancelled
``transact_write_items`` restores a deep copy of the table taken before it
started, which can drop a transaction another thread committed in between. Real
DynamoDB makes each item write and each transaction atomic. So this server uses
the same pieces (werkzeug's threaded server and moto's dispatcher app) but lets
one request at a time into the backend, which is what a correct DynamoDB looks
like from outside. It also binds port 0 directly (no free-port race) and keeps
werkzeug's request log quiet.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from skill.store.dynamodb import DynamoDBClient, create_table, new_client

REGION = "us-east-1"
# Fake credentials passed to each client explicitly, so os.environ stays untouched.
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class _OneAtATime:
    """WSGI middleware: the wrapped app serves one request at a time."""

    def __init__(self, app: WSGIApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class MotoDynamoDB:
    """moto on 127.0.0.1, on a port the OS picks. ``with MotoDynamoDB() as moto: ...``"""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            create_backend_app,
        )

        app = _OneAtATime(DomainDispatcherApplication(create_backend_app))
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        host, port = self._server.server_address[:2]
        self.endpoint = f"http://{host!s}:{port}"
        self._admin: DynamoDBClient | None = None

    def __enter__(self) -> MotoDynamoDB:
        self._thread.start()
        # The first request loads moto's DynamoDB backend (about a second); pay it
        # here, with a patient client, not inside a test's time budget.
        self.client(patient=True).list_tables()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def client(self, *, patient: bool = False) -> DynamoDBClient:
        """A client with the store's production time budget (or a patient one for setup)."""
        assert self.endpoint.startswith("http://127.0.0.1:"), "tests never call real AWS"
        if patient:
            if self._admin is None:
                import boto3.session
                from botocore.config import Config

                self._admin = boto3.session.Session().client(
                    "dynamodb",
                    endpoint_url=self.endpoint,
                    region_name=REGION,
                    config=Config(connect_timeout=5, read_timeout=30),
                    **CREDENTIALS,
                )
            return self._admin
        client = new_client(endpoint_url=self.endpoint, region_name=REGION, **CREDENTIALS)
        assert client.meta.endpoint_url == self.endpoint
        return client

    def new_table(self) -> str:
        """Create a table with a fresh name, as the store expects it, and return the name."""
        table = f"cornershop-test-{uuid.uuid4().hex[:12]}"
        create_table(self.client(patient=True), table)
        return table

    def delete_table(self, table: str) -> None:
        self.client(patient=True).delete_table(TableName=table)
