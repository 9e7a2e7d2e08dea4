"""``cornershop serve``: the production command runs waitress; bad options are refused."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from skill.cli import main
from skill.testing.alexa_ca import envelope

REPO = Path(__file__).parents[2]
CORNERSHOP = Path(sys.executable).with_name("cornershop")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_a_port_outside_1_to_65535_is_refused(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--port", port, "--store", "memory://"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--port" in err and "from 1 to 65535" in err


def test_no_verify_is_refused_off_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["serve", "--no-verify", "--host", "0.0.0.0", "--store", "memory://"])
    assert code == 2
    assert "--no-verify is refused" in capsys.readouterr().err


def test_a_port_in_use_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code = main(["serve", "--port", port, "--store", "memory://"])
    assert code == 2
    err = capsys.readouterr().err
    assert f"Cannot listen on 127.0.0.1:{port}" in err and "--port" in err


@dataclass
class Served:
    port: int
    banner: str
    proc: subprocess.Popen[bytes]

    def stop(self) -> str:
        """Stop the server; what it wrote to stderr."""
        self.proc.terminate()
        self.proc.wait(timeout=15)
        return self.proc.stderr.read().decode() if self.proc.stderr else ""


@contextlib.contextmanager
def cornershop_serve(
    tmp_path: Path,
    *options: str,
    open_files: tuple[int, int] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Served]:
    """``cornershop serve`` in a subprocess, once it has printed its banner line.

    ``open_files`` is its (soft, hard) descriptor limit (``ulimit -Sn``, ``-Hn``).
    """

    port = free_port()
    command = [str(CORNERSHOP), "serve", "--port", str(port), "--store", "memory://", *options]
    if open_files is not None:
        soft, hard = open_files  # the shell execs cornershop: same process, same pid
        script = 'ulimit -Sn "$2" && ulimit -Hn "$1" && shift 2 && exec "$@"'
        command = ["sh", "-c", script, "sh", str(hard), str(soft), *command]
    proc = subprocess.Popen(
        command,
        cwd=REPO,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        yield Served(port, proc.stdout.readline().decode() if ready else "", proc)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


@pytest.mark.slow
def test_production_mode_serves_with_waitress_and_verifies(tmp_path: Path) -> None:
    # GIVEN `cornershop serve` as documented for production (verification on)
    with cornershop_serve(tmp_path) as served:
        port, banner = served.port, served.banner
        assert f"Corner Shop on http://127.0.0.1:{port}/alexa, production" in banner
        assert "verification on" in banner
        # No CORNERSHOP_TIMEZONE: the start-up line says times are UTC and how to change it
        assert "times in UTC (the default: set CORNERSHOP_TIMEZONE" in banner
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        # WHEN it is asked for its health, and sent an unsigned request
        conn.request("GET", "/healthz")
        health = conn.getresponse()
        health_body = json.loads(health.read())
        body = envelope(timestamp=datetime.now(UTC))
        conn.request("POST", "/alexa", body, {"Content-Type": "application/json"})
        unsigned = conn.getresponse()
        unsigned_body = json.loads(unsigned.read())
        conn.close()
    # THEN waitress answered both, and refused the unsigned request
    assert health.status == 200 and health_body == {"status": "ok"}
    assert health.getheader("Server") == "waitress"
    assert unsigned.status == 400 and "Signature" in unsigned_body["error"]


@pytest.mark.slow
def test_dev_mode_serves_the_simulator_page_under_waitress(tmp_path: Path) -> None:
    with cornershop_serve(tmp_path, "--dev", "--no-verify") as served:
        port, banner = served.port, served.banner
        assert "development (simulator page at /)" in banner and "verification OFF" in banner
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/")
        page = conn.getresponse()
        html = page.read().decode()
        conn.request(
            "POST",
            "/dev/say",
            b'{"utterance": "add two apples"}',
            {"Content-Type": "application/json"},
        )
        said = conn.getresponse()
        reply = json.loads(said.read())
        conn.close()
    assert page.status == 200 and page.getheader("Server") == "waitress"
    assert "<html" in html.lower()
    assert said.status == 200 and "Added 2 apples" in json.dumps(reply)


@pytest.mark.slow
def test_a_low_open_file_limit_lowers_the_connection_limit_with_a_warning(
    tmp_path: Path,
) -> None:
    # GIVEN a process allowed 256 open files, too few for 1000 connections
    with cornershop_serve(tmp_path, open_files=(256, 256)) as served:
        # WHEN it starts, THEN it serves, and says what it did and how to fix it
        assert "Corner Shop on" in served.banner
        err = served.stop()
    assert "The open-file limit (256) is too low for 1000 connections; serving at most 192" in err
    assert "ulimit -n" in err


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="reads /proc (Linux)")
def test_the_soft_open_file_limit_is_raised_to_fit_the_connections(tmp_path: Path) -> None:
    def soft_limit(pid: int) -> int:
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                return int(line.split()[3])
        raise AssertionError("no open-files line in /proc/PID/limits")

    # GIVEN a soft limit of 256 under a hard limit of 4096
    with cornershop_serve(tmp_path, open_files=(256, 4096)) as served:
        assert "Corner Shop on" in served.banner
        # THEN the server raised its soft limit to 1000 connections plus spares
        assert soft_limit(served.proc.pid) == 1064
        err = served.stop()
    assert "open-file limit" not in err


@pytest.mark.slow
def test_the_start_up_line_names_the_shop_time_zone(tmp_path: Path) -> None:
    # GIVEN a shop in Berlin
    with cornershop_serve(tmp_path, env={"CORNERSHOP_TIMEZONE": "Europe/Berlin"}) as served:
        # THEN the start-up line says so, without the default's hint
        assert "times in Europe/Berlin" in served.banner
        assert "the default" not in served.banner


def test_an_unknown_time_zone_stops_the_server_with_how_to_fix_it(tmp_path: Path) -> None:
    # GIVEN a misspelt zone, WHEN the server starts
    done = subprocess.run(
        [str(CORNERSHOP), "serve", "--port", str(free_port()), "--store", "memory://"],
        cwd=REPO,
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "CORNERSHOP_TIMEZONE": "Europe/Berlni",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    # THEN it refuses to start, names the setting and says what a valid value looks like
    assert done.returncode != 0
    assert "CORNERSHOP_TIMEZONE='Europe/Berlni' is not a time zone" in done.stderr
    assert "Europe/Berlin" in done.stderr and "Traceback" not in done.stderr
