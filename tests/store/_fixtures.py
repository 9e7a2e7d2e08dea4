"""Fixtures the DynamoDB store tests share, imported by each test module (a conftest.py
here would shadow tests/conftest.py, which tests import as ``conftest``): one moto
DynamoDB server on 127.0.0.1 for the session (requests to it are serialised: moto takes
no lock), a fresh table per test, and a fault proxy in front of the server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _proxies import FaultProxy
from _servers import MotoDynamoDB


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoDynamoDB]:
    with MotoDynamoDB() as server:
        yield server


@pytest.fixture
def table(moto: MotoDynamoDB) -> Iterator[str]:
    name = moto.new_table()
    yield name
    moto.delete_table(name)


@pytest.fixture
def proxy(moto: MotoDynamoDB) -> Iterator[FaultProxy]:
    """A loopback proxy in front of moto that can truncate, corrupt, drop or trickle replies."""
    with FaultProxy(moto.endpoint, trickle_interval=0.5) as running:
        yield running
