"""Forged requests must not control certificate downloads (issue 10).

Anyone can send a fresh timestamp, our skill id and any base64 "signature" naming a certificate
URL of their choice, and the signature can only be checked once the chain is in hand. These
tests flood a verifier with such requests and check that the flood buys at most a few
downloads, never evicts or poisons a chain Alexa uses, and never delays a request signed with
one. "S3" is a real HTTP server on 127.0.0.1: the verifier's URLs must be
``https://s3.amazonaws.com/echo.api/...``, so the fetcher swaps only the host for it and
downloads with the real :func:`download_cert_chain`. Every wait is bounded and event-driven;
no assertion depends on how fast anything runs.
"""

from __future__ import annotations

import base64
import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from skill.errors import VerificationError
from skill.testing.alexa_ca import DEFAULT_URL, ThrowawayCA, envelope
from skill.verification import (
    MAX_DOWNLOADS_IN_FLIGHT,
    DownloadPolicy,
    DownloadSlots,
    RequestVerifier,
    download_cert_chain,
)

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
SKILL_ID = "amzn1.ask.skill.flood"
REAL_PATH = urlsplit(DEFAULT_URL).path
PREFIX = "https://s3.amazonaws.com/echo.api/"
GUARD_S = 20.0
"""Upper bound on any wait in this file: a broken verifier fails the test, never hangs it."""

# 256 bytes, like an RSA-2048 signature: valid base64, so the verifier gets as far as the chain.
FORGED_SIGNATURE = base64.b64encode(bytes(range(256))).decode()


# ----------------------------------------------------------------------------- loopback S3


class S3State:
    """What the loopback S3 serves and what it saw; one per test.

    ``REAL_PATH`` serves the chain. Other paths under ``/echo.api/`` depend on their first
    word: ``valid-...`` serves the same valid chain (the worst case: a forged URL whose chain
    validates), ``missing-...`` answers 404 (what S3 does for made-up keys), and ``hang-...``
    answers nothing until :attr:`release` is set (S3 not answering).
    """

    def __init__(self, chain: bytes) -> None:
        self.chain = chain
        self.release = threading.Event()
        self.changed = threading.Condition()
        self.paths: list[str] = []
        self.hanging = 0

    def forged_downloads(self) -> int:
        with self.changed:
            return sum(1 for path in self.paths if path != REAL_PATH)

    def real_downloads(self) -> int:
        with self.changed:
            return self.paths.count(REAL_PATH)

    def wait_until(self, predicate: Callable[[], bool]) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, GUARD_S)


class S3Handler(BaseHTTPRequestHandler):
    state: S3State  # set per test by the fixture

    def do_GET(self) -> None:
        state = self.state
        path = urlsplit(self.path).path
        with state.changed:
            state.paths.append(path)
            state.changed.notify_all()
        name = path.rsplit("/", 1)[-1]
        try:
            if path == REAL_PATH or name.startswith("valid-"):
                self._reply(200, state.chain)
            elif name.startswith("hang-"):
                with state.changed:
                    state.hanging += 1
                    state.changed.notify_all()
                try:
                    state.release.wait(GUARD_S)
                finally:
                    with state.changed:
                        state.hanging -= 1
                        state.changed.notify_all()
                self._reply(404, b"no such key")
            else:
                self._reply(404, b"no such key")
        except OSError:
            pass  # the client gave up

    def _reply(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def ca() -> ThrowawayCA:
    return ThrowawayCA(now=NOW)


@pytest.fixture(scope="module")
def s3_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), S3Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=GUARD_S)


@pytest.fixture
def s3(ca: ThrowawayCA, s3_server: ThreadingHTTPServer) -> Iterator[S3State]:
    state = S3State(ca.chain_pem())
    S3Handler.state = state
    try:
        yield state
    finally:
        state.release.set()  # let hung handlers finish, and wait for them
        assert state.wait_until(lambda: state.hanging == 0)


@pytest.fixture
def slots() -> Iterator[DownloadSlots]:
    """Slots of the test's own, so one test's downloads never count against another's."""
    own = DownloadSlots(MAX_DOWNLOADS_IN_FLIGHT)
    yield own
    assert _wait(lambda: own.in_flight == 0), "a download thread outlived its test"


def _wait(predicate: Callable[[], bool]) -> bool:
    """Poll ``predicate`` (for state with no event to wait on), bounded by GUARD_S."""
    deadline = time.monotonic() + GUARD_S
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


MakeVerifier = Callable[..., RequestVerifier]


@pytest.fixture
def make_verifier(
    ca: ThrowawayCA, s3_server: ThreadingHTTPServer, slots: DownloadSlots
) -> MakeVerifier:
    """A verifier whose downloads go to the loopback S3, with a clock that stands still."""
    base = f"http://127.0.0.1:{s3_server.server_address[1]}"

    def make(
        *,
        policy: DownloadPolicy | None = None,
        cache_size: int = 16,
        download_slots: DownloadSlots | None = slots,
        monotonic: Callable[[], float] = lambda: 0.0,
        fetch_timeout: float | None = None,
    ) -> RequestVerifier:
        timeout = fetch_timeout or (policy or DownloadPolicy()).timeout

        def fetch(url: str) -> bytes:
            assert url.startswith(PREFIX), url
            return download_cert_chain(base + urlsplit(url).path, timeout=timeout)

        return RequestVerifier(
            SKILL_ID,
            trust_roots=ca.root_pem,
            fetch_cert_chain=fetch,
            clock=lambda: NOW,
            cache_size=cache_size,
            download_policy=policy,
            download_slots=download_slots,
            monotonic=monotonic,
        )

    return make


@pytest.fixture
def body() -> bytes:
    return envelope(timestamp=NOW, application_id=SKILL_ID)


def forged(url: str) -> dict[str, str]:
    return {"Signature-256": FORGED_SIGNATURE, "SignatureCertChainUrl": url}


def refusal(verifier: RequestVerifier, headers: dict[str, str], body: bytes) -> str:
    """The VerificationError message a request gets; fails the test if it is accepted."""
    with pytest.raises(VerificationError) as info:
        verifier.verify(headers, body)
    return str(info.value)


BURST = DownloadPolicy().burst


# ----------------------------------------------------------------------------- floods


@pytest.mark.parametrize("forged_kind", ["missing", "valid"])
def test_sequential_flood_of_distinct_urls_buys_a_fixed_number_of_downloads(
    ca: ThrowawayCA, make_verifier: MakeVerifier, s3: S3State, body: bytes, forged_kind: str
) -> None:
    # GIVEN a verifier whose cache holds only two chains, one of them Alexa's, proven
    verifier = make_verifier(cache_size=2)
    verifier.verify(ca.headers(body), body)
    # WHEN 200 forged requests name 200 different URLs (made-up keys, or keys whose chain
    # validates: the worst case, since a validated chain used to be cached and evict),
    # with a genuine request after every tenth
    for n in range(200):
        refusal(verifier, forged(f"{PREFIX}{forged_kind}-{n}.pem"), body)
        if n % 10 == 9:
            verifier.verify(ca.headers(body), body)
    # THEN the flood bought at most the budget's burst of downloads
    assert 0 < s3.forged_downloads() <= BURST
    # AND Alexa's chain never left the cache: not one more download of it
    assert s3.real_downloads() == 1


def test_concurrent_flood_of_distinct_urls_buys_a_fixed_number_of_downloads(
    ca: ThrowawayCA, make_verifier: MakeVerifier, s3: S3State, body: bytes
) -> None:
    # GIVEN Alexa's chain proven and cached
    verifier = make_verifier(cache_size=2)
    verifier.verify(ca.headers(body), body)
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(9, timeout=GUARD_S)

    def attacker(index: int) -> None:
        start.wait()
        for n in range(25):
            url = f"{PREFIX}{'valid' if n % 2 else 'missing'}-{index}-{n}.pem"
            try:
                verifier.verify(forged(url), body)
                outcome = "accepted"
            except VerificationError:
                outcome = "refused"
            with lock:
                outcomes.append(outcome)

    # WHEN 8 threads send 200 forged requests with distinct URLs at once
    threads = [threading.Thread(target=attacker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    start.wait()
    # ...while genuine requests keep coming
    for _ in range(50):
        verifier.verify(ca.headers(body), body)
    for thread in threads:
        thread.join(GUARD_S)
    assert not any(thread.is_alive() for thread in threads)
    # THEN every forgery was refused, for at most the burst of downloads, and Alexa's chain
    # was never downloaded again
    assert outcomes == ["refused"] * 200
    assert 0 < s3.forged_downloads() <= BURST
    assert s3.real_downloads() == 1
    verifier.verify(ca.headers(body), body)
    assert s3.real_downloads() == 1


def test_hanging_downloads_do_not_delay_requests_with_a_proven_chain(
    ca: ThrowawayCA, make_verifier: MakeVerifier, s3: S3State, body: bytes
) -> None:
    # GIVEN a budget that is not the limit here (the in-flight cap is), a deadline far away,
    # and Alexa's chain proven
    verifier = make_verifier(policy=DownloadPolicy(burst=50, timeout=GUARD_S))
    verifier.verify(ca.headers(body), body)
    urls: queue.SimpleQueue[str] = queue.SimpleQueue()
    for n in range(200):
        urls.put(f"{PREFIX}hang-{n}.pem")
    refused: list[str] = []
    lock = threading.Lock()

    def attacker() -> None:
        while True:
            try:
                url = urls.get_nowait()
            except queue.Empty:
                return
            try:
                verifier.verify(forged(url), body)
            except VerificationError as exc:
                with lock:
                    refused.append(str(exc))

    # WHEN 8 threads send 200 forged requests whose downloads S3 never answers
    threads = [threading.Thread(target=attacker, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        # THEN the cap's worth of downloads hang, and every other forgery is refused at once
        assert s3.wait_until(lambda: s3.hanging == MAX_DOWNLOADS_IN_FLIGHT)
        assert _wait(lambda: len(refused) == 200 - MAX_DOWNLOADS_IN_FLIGHT), len(refused)
        assert all("downloads are already in progress" in reason for reason in refused)
        # AND while those downloads still hang, genuine requests verify from the cache
        for _ in range(20):
            verifier.verify(ca.headers(body), body)
        assert not s3.release.is_set()
        assert s3.hanging == MAX_DOWNLOADS_IN_FLIGHT
        assert s3.forged_downloads() == MAX_DOWNLOADS_IN_FLIGHT
        assert s3.real_downloads() == 1
    finally:
        s3.release.set()
        for thread in threads:
            thread.join(GUARD_S)
    assert not any(thread.is_alive() for thread in threads)
    assert len(refused) == 200


# ----------------------------------------------------------------------------- poisoning


def test_forged_requests_naming_alexas_url_cannot_poison_it(
    ca: ThrowawayCA, make_verifier: MakeVerifier, s3: S3State, body: bytes
) -> None:
    # GIVEN a forger who names Amazon's real URL before Alexa's first request
    verifier = make_verifier(cache_size=1)
    reason = refusal(verifier, forged(DEFAULT_URL), body)
    assert "does not match the request body" in reason
    # WHEN Alexa's request follows THEN it verifies with the chain already downloaded: a
    # signature mismatch did not mark the URL failed
    verifier.verify(ca.headers(body), body)
    assert s3.real_downloads() == 1
    # AND once proven, forgeries naming it change nothing
    for _ in range(50):
        assert "does not match" in refusal(verifier, forged(DEFAULT_URL), body)
    verifier.verify(ca.headers(body), body)
    assert s3.real_downloads() == 1


def test_a_signature_mismatch_never_marks_a_url_failed(
    ca: ThrowawayCA, make_verifier: MakeVerifier, s3: S3State, body: bytes
) -> None:
    # GIVEN a forged request naming Amazon's real URL, then enough forged URLs with valid
    # chains to push its downloaded (unproven) chain out of the candidates
    verifier = make_verifier(policy=DownloadPolicy(burst=30))
    assert "does not match" in refusal(verifier, forged(DEFAULT_URL), body)
    for n in range(20):
        refusal(verifier, forged(f"{PREFIX}valid-push-{n}.pem"), body)
    # WHEN Alexa's request comes THEN its chain is downloaded again and verifies: the URL
    # was never remembered as failed
    verifier.verify(ca.headers(body), body)
    assert s3.real_downloads() == 2


def test_validated_but_unproven_chains_never_evict_a_proven_one(
    ca: ThrowawayCA, make_verifier: MakeVerifier, s3: S3State, body: bytes
) -> None:
    # GIVEN a one-entry cache holding Alexa's chain, and a budget wide enough that forged
    # URLs serving a valid chain really are downloaded and validated
    verifier = make_verifier(cache_size=1, policy=DownloadPolicy(burst=30))
    verifier.verify(ca.headers(body), body)
    for n in range(30):
        refusal(verifier, forged(f"{PREFIX}valid-{n}.pem"), body)
    assert s3.forged_downloads() == 30
    # WHEN Alexa's next request comes THEN its chain is still cached
    verifier.verify(ca.headers(body), body)
    assert s3.real_downloads() == 1


def test_a_failing_url_costs_one_download_however_often_it_is_named(
    ca: ThrowawayCA, make_verifier: MakeVerifier, s3: S3State, body: bytes
) -> None:
    verifier = make_verifier()
    first = refusal(verifier, forged(f"{PREFIX}missing-again.pem"), body)
    assert "returned HTTP 404" in first
    for _ in range(100):
        assert refusal(verifier, forged(f"{PREFIX}missing-again.pem"), body) == first
    assert s3.forged_downloads() == 1
    # AND the budget still has room for Alexa's first request
    verifier.verify(ca.headers(body), body)
    assert s3.real_downloads() == 1


# ----------------------------------------------------------------------------- the budget


def test_the_budget_refills_with_time(
    ca: ThrowawayCA, make_verifier: MakeVerifier, s3: S3State, body: bytes
) -> None:
    clock = [0.0]
    policy = DownloadPolicy()
    verifier = make_verifier(policy=policy, monotonic=lambda: clock[0])
    # GIVEN the burst spent on forged URLs
    for n in range(policy.burst):
        refusal(verifier, forged(f"{PREFIX}missing-{n}.pem"), body)
    # WHEN the next new URL comes, even Alexa's, THEN it is refused without a download: a
    # flood delays the first chain (never a proven one), and says when to retry
    reason = refusal(verifier, ca.headers(body), body)
    assert "too many new certificate URLs" in reason
    assert f"Try again in {policy.refill_seconds:.0f} s" in reason
    assert s3.forged_downloads() == policy.burst and s3.real_downloads() == 0
    # AND a refusal for lack of budget is not remembered as a failure: after one refill
    # period the same request is downloaded and verifies
    clock[0] = policy.refill_seconds
    verifier.verify(ca.headers(body), body)
    assert s3.real_downloads() == 1


def test_downloads_proven_by_signed_requests_do_not_spend_the_budget(
    ca: ThrowawayCA, make_verifier: MakeVerifier, s3: S3State, body: bytes
) -> None:
    # GIVEN Alexa's chain at more URLs than the burst (Amazon rotates its certificate)
    verifier = make_verifier()
    for n in range(BURST + 2):
        verifier.verify(ca.headers(body, f"{PREFIX}valid-rotated-{n}.pem"), body)
    # WHEN forgeries follow THEN the whole burst is still theirs to spend, and no more
    for n in range(BURST + 2):
        refusal(verifier, forged(f"{PREFIX}missing-{n}.pem"), body)
    assert s3.forged_downloads() == 2 * BURST + 2


# ----------------------------------------------------------------------------- the deadline


def test_the_download_deadline_is_total_and_the_slot_stays_held_until_the_fetch_ends(
    ca: ThrowawayCA, make_verifier: MakeVerifier, s3: S3State, body: bytes
) -> None:
    # GIVEN one download slot, Alexa's chain proven, and an S3 that stops answering
    one = DownloadSlots(1)
    clock = [0.0]
    verifier = make_verifier(
        policy=DownloadPolicy(timeout=0.2, burst=10),
        download_slots=one,
        monotonic=lambda: clock[0],
        fetch_timeout=GUARD_S,  # the fetcher itself would wait; only the verifier's deadline cuts
    )
    verifier.verify(ca.headers(body), body)
    assert _wait(lambda: one.in_flight == 0)
    # WHEN a download hangs THEN the request gives up at the deadline (S3 still silent)
    timed_out = refusal(verifier, forged(f"{PREFIX}hang-1.pem"), body)
    assert "took more than 0.2 s" in timed_out
    assert s3.wait_until(lambda: s3.hanging == 1)
    assert not s3.release.is_set()
    # AND the abandoned download keeps its slot, so the next new URL is refused at once
    reason = refusal(verifier, ca.headers(body, f"{PREFIX}valid-next.pem"), body)
    assert "downloads are already in progress" in reason
    assert one.in_flight == 1
    # AND the proven chain does not care
    verifier.verify(ca.headers(body), body)
    # WHEN S3 finally answers THEN the slot comes back and the refused URL can be downloaded
    s3.release.set()
    assert _wait(lambda: one.in_flight == 0)
    verifier.verify(ca.headers(body, f"{PREFIX}valid-next.pem"), body)
    # AND the URL that timed out is remembered as failed: refused again, not downloaded again
    clock[0] = 1.0
    assert refusal(verifier, forged(f"{PREFIX}hang-1.pem"), body) == timed_out
    assert s3.forged_downloads() == 2  # hang-1 once, valid-next once


def test_the_in_flight_cap_is_shared_by_every_verifier_in_the_process(
    ca: ThrowawayCA, make_verifier: MakeVerifier, s3: S3State, body: bytes
) -> None:
    # GIVEN two verifiers built with the default (process-wide) slots
    long_wait = DownloadPolicy(timeout=GUARD_S, burst=10)
    first = make_verifier(policy=long_wait, download_slots=None)
    second = make_verifier(policy=long_wait, download_slots=None)
    threads = [
        threading.Thread(
            target=refusal_in_thread, args=(first, forged(f"{PREFIX}hang-p{n}.pem"), body)
        )
        for n in range(MAX_DOWNLOADS_IN_FLIGHT)
    ]
    for thread in threads:
        thread.start()
    try:
        # WHEN the first one's downloads fill the process's slots
        assert s3.wait_until(lambda: s3.hanging == MAX_DOWNLOADS_IN_FLIGHT)
        # THEN the second one cannot start another
        reason = refusal(second, ca.headers(body), body)
        assert "downloads are already in progress" in reason
    finally:
        s3.release.set()
        for thread in threads:
            thread.join(GUARD_S)
    assert not any(thread.is_alive() for thread in threads)
    # AND once they end it can
    assert s3.wait_until(lambda: s3.hanging == 0)
    assert _wait(lambda: _downloads_free(second, ca, body))
    assert s3.real_downloads() == 1


def refusal_in_thread(verifier: RequestVerifier, headers: dict[str, str], body: bytes) -> None:
    with contextlib.suppress(VerificationError):
        verifier.verify(headers, body)


def _downloads_free(verifier: RequestVerifier, ca: ThrowawayCA, body: bytes) -> bool:
    """True once ``verifier`` could download and verify Alexa's chain."""
    try:
        verifier.verify(ca.headers(body), body)
    except VerificationError as exc:
        assert "downloads are already in progress" in str(exc), exc
        return False
    return True
