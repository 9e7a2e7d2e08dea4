"""Real gunicorn on 127.0.0.1 with verification on, and real signed requests over HTTP.

`cornershop serve` (waitress, tests/web/test_serve_command.py) is the documented production
server; `skill.web:create_app()` stays a plain WSGI app that gunicorn (behind a buffering
proxy) or any other WSGI server can run, and these tests keep that true.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from skill.testing.alexa_ca import ThrowawayCA, envelope

REPO = Path(__file__).parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not become healthy")


def start(app: str, env: dict[str, str], *extra: str) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    proc = subprocess.Popen(
        [str(GUNICORN), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "30", *extra, app],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return url, proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stderr:
        proc.stderr.close()


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    req = urllib.request.Request(
        f"{url}/alexa",
        data=body,
        method="POST",
        headers={**headers, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def ca() -> ThrowawayCA:
    return ThrowawayCA(now=datetime.now(UTC))


@pytest.fixture(scope="module")
def signed_server(ca: ThrowawayCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("gunicorn")
    (tmp / "root.pem").write_bytes(ca.root_pem)
    (tmp / "chain.pem").write_bytes(ca.chain_pem())
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp),
        "CORNERSHOP_STORE": f"sqlite:///{tmp / 'shop.db'}",
        "ALEXA_SKILL_ID": "amzn1.ask.skill.test",
        "CORNERSHOP_TEST_ROOTS": str(tmp / "root.pem"),
        "CORNERSHOP_TEST_CHAIN": str(tmp / "chain.pem"),
    }
    url, proc = start("signed_app:app", env, "--pythonpath", str(REPO / "tests" / "support"))
    yield url
    stop(proc)


def test_signed_requests_are_served_by_two_workers(signed_server: str, ca: ThrowawayCA) -> None:
    for _ in range(6):  # enough to land on both workers
        body = envelope(timestamp=datetime.now(UTC))
        status, data = post(signed_server, body, ca.headers(body))
        assert status == 200
        assert "Welcome to Corner Shop" in data["response"]["outputSpeech"]["ssml"]


def test_forged_and_stale_requests_get_400(signed_server: str, ca: ThrowawayCA) -> None:
    body = envelope(timestamp=datetime.now(UTC))
    headers = ca.headers(body)
    status, data = post(signed_server, body.replace(b"Launch", b"Lunch"), headers)
    assert status == 400 and data["error"]
    stale = envelope(timestamp=datetime.fromtimestamp(time.time() - 600, UTC))
    status, data = post(signed_server, stale, ca.headers(stale))
    assert status == 400 and "timestamp" in data["error"].lower()
    status, _ = post(signed_server, body, {})
    assert status == 400


def test_the_wsgi_app_under_gunicorn_starts_and_rejects_unsigned(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "CORNERSHOP_STORE": f"sqlite:///{tmp_path / 'shop.db'}",
    }
    url, proc = start("skill.web:create_app()", env)
    try:
        body = envelope(timestamp=datetime.now(UTC))
        status, data = post(url, body, {})
        assert status == 400
        assert "Signature" in data["error"]
    finally:
        stop(proc)
