"""Alexa request verification: every rule on its own, the cache, the download, and fuzzing.

Requests are signed by a throwaway CA (skill.testing.alexa_ca) because nobody outside Amazon
holds Alexa's key; Amazon's real 2023 chain (tests/vectors, public data shipped with the
repository) proves the chain logic on the real thing. The verifier's clock is pinned to NOW so
that no test depends on the wall clock. Floods of forged requests are in
test_verification_flood.py.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.errors import VerificationError
from skill.testing.alexa_ca import DEFAULT_URL, CountingFetcher, ThrowawayCA, envelope
from skill.verification import (
    ALEXA_SAN,
    CERT_HOST,
    DownloadPolicy,
    RequestVerifier,
    check_cert_url,
    download_cert_chain,
    load_trust_roots,
    validate_chain,
)

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
SKILL_ID = "amzn1.ask.skill.test"
VECTORS = Path(__file__).resolve().parents[1] / "vectors"
AMAZON_CHAIN = VECTORS / "echo-api-chain-2023.pem"
GARBAGE_CERT = b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"

MakeVerifier = Callable[..., RequestVerifier]


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def ca() -> ThrowawayCA:
    """One CA per session: RSA key generation is the slow part."""
    return ThrowawayCA(now=NOW)


@pytest.fixture(scope="session")
def certifi_roots() -> list[Any]:
    return load_trust_roots()


@pytest.fixture
def fetcher(ca: ThrowawayCA) -> CountingFetcher:
    return ca.fetcher()


@pytest.fixture
def make_verifier(ca: ThrowawayCA, fetcher: CountingFetcher) -> MakeVerifier:
    """Build a verifier trusting the throwaway root, serving ``fetcher``, clock pinned at NOW."""

    def make(
        *,
        skill_id: str | None = SKILL_ID,
        fetch: Callable[[str], bytes] | None = None,
        clock: Callable[[], datetime] = lambda: NOW,
        trust_roots: bytes | None = None,
        cache_size: int = 16,
        monotonic: Callable[[], float] | None = None,
        policy: DownloadPolicy | None = None,
    ) -> RequestVerifier:
        return RequestVerifier(
            skill_id,
            trust_roots=ca.root_pem if trust_roots is None else trust_roots,
            fetch_cert_chain=fetcher if fetch is None else fetch,
            clock=clock,
            cache_size=cache_size,
            monotonic=monotonic,
            download_policy=policy,
        )

    return make


@pytest.fixture
def verifier(make_verifier: MakeVerifier) -> RequestVerifier:
    return make_verifier()


@pytest.fixture
def body() -> bytes:
    return envelope(timestamp=NOW, application_id=SKILL_ID)


@pytest.fixture
def amazon_chain() -> bytes:
    if not AMAZON_CHAIN.is_file():
        pytest.fail(
            f"The real Amazon chain {AMAZON_CHAIN} is missing from the checkout; "
            "it ships with the repository as tests/vectors/echo-api-chain-2023.pem."
        )
    return AMAZON_CHAIN.read_bytes()


class _Handler(BaseHTTPRequestHandler):
    """Serves /chain.pem, /big (declared length), /big-unsized, /slow; anything else is 404."""

    chain = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    release = threading.Event()

    def do_GET(self) -> None:
        try:
            if self.path == "/chain.pem":
                self._reply(200, self.chain)
            elif self.path == "/big":
                self._reply(200, b"x" * 70_000)
            elif self.path == "/big-unsized":
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"x" * 70_000)
            elif self.path == "/slow":
                self.release.wait(5)
                self._reply(200, self.chain)
            else:
                self._reply(404, b"no such key")
        except OSError:
            pass  # the client gave up on purpose (size cap, timeout)

    def _reply(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1, to test download_cert_chain without S3."""
    _Handler.release.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _Handler.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def _with_timestamp(body: bytes, timestamp: object) -> bytes:
    document = json.loads(body)
    document["request"]["timestamp"] = timestamp
    return json.dumps(document).encode()


# ----------------------------------------------------------------------------- the happy path


def test_valid_request_passes(
    ca: ThrowawayCA, verifier: RequestVerifier, body: bytes, fetcher: CountingFetcher
) -> None:
    # GIVEN a request signed like Alexa's  WHEN verified  THEN nothing is raised
    verifier.verify(ca.headers(body), body)
    assert fetcher.urls == [DEFAULT_URL]


@pytest.mark.parametrize(
    "names",
    [
        ("signature-256", "signaturecertchainurl"),
        ("SIGNATURE-256", "SIGNATURECERTCHAINURL"),
        ("SiGnAtUrE-256", "signatureCertChainUrl"),
    ],
)
def test_header_names_are_case_insensitive(
    ca: ThrowawayCA, verifier: RequestVerifier, body: bytes, names: tuple[str, str]
) -> None:
    # GIVEN a proxy that changed the header names' case
    headers = {names[0]: ca.sign(body), names[1]: DEFAULT_URL}
    # WHEN / THEN verification still passes
    verifier.verify(headers, body)


@pytest.mark.parametrize(
    "timestamp",
    [
        "2025-06-01T12:00:00Z",
        "2025-06-01T12:00:00.123Z",
        "2025-06-01T12:00:00+00:00",
        "2025-06-01T11:59:59.999999+00:00",
        "2025-06-01T14:00:00+02:00",
    ],
)
def test_timestamp_formats_are_accepted(
    ca: ThrowawayCA, verifier: RequestVerifier, body: bytes, timestamp: str
) -> None:
    body = _with_timestamp(body, timestamp)
    verifier.verify(ca.headers(body), body)


def test_skill_id_none_accepts_any_application_id(
    ca: ThrowawayCA, make_verifier: MakeVerifier
) -> None:
    body = envelope(timestamp=NOW, application_id="amzn1.ask.skill.someone-else")
    make_verifier(skill_id=None).verify(ca.headers(body), body)


def test_trust_bundle_with_one_garbage_certificate_still_verifies(
    ca: ThrowawayCA, make_verifier: MakeVerifier, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a trust bundle where one certificate cannot be parsed
    verifier = make_verifier(trust_roots=GARBAGE_CERT + ca.root_pem)
    # WHEN verified THEN the good root is still used, and the bad one is reported
    verifier.verify(ca.headers(body), body)
    assert "Skipped 1 unparsable certificate" in caplog.text


# ----------------------------------------------------------------------------- headers


def test_missing_signature_headers_are_rejected(verifier: RequestVerifier, body: bytes) -> None:
    with pytest.raises(VerificationError, match="no Signature-256 header"):
        verifier.verify({}, body)


def test_sha1_signature_alone_is_rejected(
    ca: ThrowawayCA, verifier: RequestVerifier, body: bytes, fetcher: CountingFetcher
) -> None:
    # GIVEN only the legacy SHA-1 header
    headers = {"Signature": ca.sign(body), "SignatureCertChainUrl": DEFAULT_URL}
    with pytest.raises(VerificationError, match="SHA-1 Signature header alone"):
        verifier.verify(headers, body)
    assert fetcher.calls == 0


def test_empty_cert_url_header_is_rejected(
    ca: ThrowawayCA, verifier: RequestVerifier, body: bytes
) -> None:
    headers = {"Signature-256": ca.sign(body), "SignatureCertChainUrl": ""}
    with pytest.raises(VerificationError, match="no SignatureCertChainUrl header"):
        verifier.verify(headers, body)


def test_empty_cert_url_is_rejected_by_the_url_check() -> None:
    with pytest.raises(VerificationError, match="SignatureCertChainUrl header is empty"):
        check_cert_url("")


@pytest.mark.parametrize("value", ["not base64!", "abc", "YWJj\x00", "ÿÿÿÿ", "YW Jj"])
def test_non_base64_signature_is_rejected(
    ca: ThrowawayCA, verifier: RequestVerifier, body: bytes, value: str, fetcher: CountingFetcher
) -> None:
    headers = {"Signature-256": value, "SignatureCertChainUrl": DEFAULT_URL}
    with pytest.raises(VerificationError, match="Signature-256 header is not valid base64"):
        verifier.verify(headers, body)
    assert fetcher.calls == 0


# ----------------------------------------------------------------------------- certificate URL


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/./echo-api-cert.pem",
        "https://s3.amazonaws.com//echo.api/echo-api-cert.pem",
    ],
)
def test_good_cert_urls_are_accepted_and_normalised(
    ca: ThrowawayCA, verifier: RequestVerifier, body: bytes, url: str, fetcher: CountingFetcher
) -> None:
    # GIVEN a URL spelled differently from Amazon's canonical one
    # WHEN verified THEN it passes, and the normalised URL is what gets fetched
    assert check_cert_url(url) == f"https://{CERT_HOST}/echo.api/echo-api-cert.pem"
    verifier.verify(ca.headers(body, url), body)
    assert fetcher.urls == ["https://s3.amazonaws.com/echo.api/echo-api-cert.pem"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "does not use https"),
        ("https://notamazon.com/echo.api/echo-api-cert.pem", "is not on host s3.amazonaws.com"),
        ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", "does not point under"),
        ("https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", "does not point under"),
        ("https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", "uses port 563"),
        (
            "https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem",
            "does not point under",
        ),
        ("https://s3.amazonaws.com@evil.com/echo.api/x", "carries user information"),
        ("https://user@s3.amazonaws.com/echo.api/x", "carries user information"),
        ("https://s3.amazonaws.com.evil.com/echo.api/x", "is not on host"),
        ("https://s3.amazonaws.com/echo.api/%2e%2e/invalid.path/x", "hides path separators"),
        ("https://s3.amazonaws.com/echo.api/..%2finvalid.path/x", "hides path separators"),
        ("https://s3.amazonaws.com:abc/echo.api/x", "cannot be parsed"),
        ("https://[s3.amazonaws.com/echo.api/x", "cannot be parsed"),
        ("ftp://s3.amazonaws.com/echo.api/x", "does not use https"),
        ("/echo.api/echo-api-cert.pem", "does not use https"),
        ("https://s3.amazonaws.com/echo.api/echo-api-cert.pem?v=2", "has a query string"),
        ("https://s3.amazonaws.com/echo.api/echo-api-cert.pem?", "has a query string"),
        ("https://s3.amazonaws.com?/echo.api/echo-api-cert.pem", "has a query string"),
        ("https://s3.amazonaws.com/echo.api/echo-api-cert.pem#top", "has a fragment"),
        ("https://s3.amazonaws.com/echo.api/echo-api-cert.pem#", "has a fragment"),
        ("https://user:pw@s3.amazonaws.com/echo.api/x", "carries user information"),
        ("https://@s3.amazonaws.com/echo.api/x", "carries user information"),
        ("https://s3.amazonaws.com/echo.api/echo-api\ncert.pem", "control or non-ASCII"),
        ("https://s3.amazonaws.com/echo.api/echo-api\tcert.pem", "control or non-ASCII"),
        ("https://s3.amazonaws.com/echo.api/echo api.pem", "spaces, control"),
        ("https://s3.amazonaws.com/echo.api/\x00.pem", "control or non-ASCII"),
        ("https://s3.amazonaws.com/echo.api/écho.pem", "non-ASCII"),
    ],
)
def test_bad_cert_urls_are_rejected_before_any_download(
    ca: ThrowawayCA,
    verifier: RequestVerifier,
    body: bytes,
    url: str,
    reason: str,
    fetcher: CountingFetcher,
) -> None:
    # GIVEN a URL Amazon would never send  WHEN verified
    with pytest.raises(VerificationError, match=reason):
        verifier.verify(ca.headers(body, url), body)
    # THEN nothing was downloaded
    assert fetcher.calls == 0


# ----------------------------------------------------------------------------- signature


def test_body_signed_by_a_different_key_is_rejected(
    ca: ThrowawayCA, make_verifier: MakeVerifier, body: bytes
) -> None:
    # GIVEN a valid chain whose leaf holds a key other than the one that signed
    verifier = make_verifier(fetch=ca.fetcher(ca.chain_pem(leaf_key="other")))
    with pytest.raises(VerificationError, match="does not match the request body"):
        verifier.verify(ca.headers(body), body)


def test_tampered_body_is_rejected(ca: ThrowawayCA, verifier: RequestVerifier, body: bytes) -> None:
    # GIVEN a body with one byte changed after signing (still valid JSON)
    headers = ca.headers(body)
    tampered = body.replace(b"TESTUSER", b"TESTUSEQ")
    assert tampered != body and len(tampered) == len(body)
    with pytest.raises(VerificationError, match="does not match the request body"):
        verifier.verify(headers, tampered)


def test_reserialised_json_body_fails_because_raw_bytes_are_signed(
    ca: ThrowawayCA, verifier: RequestVerifier, body: bytes
) -> None:
    # GIVEN the same JSON document with different whitespace
    headers = ca.headers(body)
    reserialised = json.dumps(json.loads(body), indent=2).encode()
    assert json.loads(reserialised) == json.loads(body)
    with pytest.raises(VerificationError, match="does not match the request body"):
        verifier.verify(headers, reserialised)


def test_non_rsa_leaf_key_is_rejected(
    ca: ThrowawayCA, make_verifier: MakeVerifier, body: bytes
) -> None:
    verifier = make_verifier(fetch=ca.fetcher(ca.chain_pem(leaf_key="ec")))
    with pytest.raises(VerificationError, match="Alexa signs with RSA"):
        verifier.verify(ca.headers(body), body)


def test_truncated_signature_is_rejected(
    ca: ThrowawayCA, verifier: RequestVerifier, body: bytes
) -> None:
    short = base64.b64encode(base64.b64decode(ca.sign(body))[:-1]).decode()
    headers = {"Signature-256": short, "SignatureCertChainUrl": DEFAULT_URL}
    with pytest.raises(VerificationError, match="does not match the request body"):
        verifier.verify(headers, body)


# ----------------------------------------------------------------------------- chain


@pytest.mark.parametrize(
    ("variant", "reason"),
    [
        (
            {"not_before": NOW - timedelta(days=30), "not_after": NOW - timedelta(seconds=1)},
            "not valid at validation time",
        ),
        (
            {"not_before": NOW + timedelta(seconds=1), "not_after": NOW + timedelta(days=30)},
            "not valid at validation time",
        ),
        ({"san": ("example.com",)}, "no matching subjectAltName"),
        ({"san": ()}, "certificate chain does not validate"),
        ({"self_signed": True}, "certificate chain does not validate"),
        ({"untrusted_root": True}, "certificate chain does not validate"),
    ],
    ids=["expired", "not-yet-valid", "wrong-san", "no-san", "self-signed", "untrusted-root"],
)
def test_bad_chains_are_rejected(
    ca: ThrowawayCA,
    make_verifier: MakeVerifier,
    body: bytes,
    variant: dict[str, Any],
    reason: str,
) -> None:
    # GIVEN a leaf certificate that breaks one rule
    fetch = ca.fetcher(ca.chain_pem(**variant))
    verifier = make_verifier(fetch=fetch)
    # WHEN verified THEN the chain check names the reason
    with pytest.raises(VerificationError, match=reason) as info:
        verifier.verify(ca.headers(body), body)
    assert "certificate chain does not validate for echo-api.amazon.com" in str(info.value)


@pytest.mark.parametrize(
    "pem",
    [b"hello", b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n", b"\xff" * 40],
)
def test_garbage_pem_is_rejected(
    ca: ThrowawayCA, make_verifier: MakeVerifier, body: bytes, pem: bytes
) -> None:
    verifier = make_verifier(fetch=lambda url: pem)
    with pytest.raises(VerificationError, match="not a readable PEM chain"):
        verifier.verify(ca.headers(body), body)


def test_empty_chain_is_rejected(ca: ThrowawayCA, make_verifier: MakeVerifier, body: bytes) -> None:
    verifier = make_verifier(fetch=lambda url: b"")
    with pytest.raises(VerificationError, match="is empty"):
        verifier.verify(ca.headers(body), body)


def test_fetcher_returning_text_is_rejected(
    ca: ThrowawayCA, make_verifier: MakeVerifier, body: bytes
) -> None:
    def text_fetcher(url: str) -> Any:  # a buggy fetcher: decoded the PEM
        return ca.chain_pem().decode()

    verifier = make_verifier(fetch=text_fetcher)
    with pytest.raises(VerificationError, match=r"returned str .* not bytes"):
        verifier.verify(ca.headers(body), body)


def test_fetcher_timeout_is_a_verification_error(
    ca: ThrowawayCA, make_verifier: MakeVerifier, body: bytes
) -> None:
    def timing_out(url: str) -> bytes:
        raise TimeoutError("timed out")

    verifier = make_verifier(fetch=timing_out)
    with pytest.raises(VerificationError, match=r"could not be fetched.*TimeoutError"):
        verifier.verify(ca.headers(body), body)


def test_chain_served_with_404_is_rejected(
    ca: ThrowawayCA, make_verifier: MakeVerifier, body: bytes, http_server: str
) -> None:
    # GIVEN S3 answering 404 for the certificate
    verifier = make_verifier(fetch=lambda url: download_cert_chain(f"{http_server}/missing"))
    with pytest.raises(VerificationError, match="returned HTTP 404"):
        verifier.verify(ca.headers(body), body)


# ----------------------------------------------------------------------------- real Amazon chain


def test_real_amazon_chain_validates_in_2023(amazon_chain: bytes, certifi_roots: Any) -> None:
    at = datetime(2023, 6, 1, tzinfo=UTC)
    leaf = validate_chain(amazon_chain, roots=certifi_roots, at=at)
    assert leaf.subject.rfc4514_string() == f"CN={ALEXA_SAN}"


def test_real_amazon_chain_is_expired_in_2024(amazon_chain: bytes, certifi_roots: Any) -> None:
    at = datetime(2024, 6, 1, tzinfo=UTC)
    with pytest.raises(VerificationError, match=r"certificate chain.*not valid at validation time"):
        validate_chain(amazon_chain, roots=certifi_roots, at=at)


def test_real_amazon_chain_is_only_for_echo_api(amazon_chain: bytes, certifi_roots: Any) -> None:
    at = datetime(2023, 6, 1, tzinfo=UTC)
    with pytest.raises(VerificationError, match="no matching subjectAltName"):
        validate_chain(amazon_chain, roots=certifi_roots, at=at, dns_name="example.com")


def test_default_trust_roots_are_certifis(amazon_chain: bytes) -> None:
    # GIVEN a verifier with no trust_roots, fed Amazon's chain, at a time it was valid
    verifier = RequestVerifier(
        None,
        fetch_cert_chain=lambda url: amazon_chain,
        clock=lambda: datetime(2023, 6, 1, tzinfo=UTC),
    )
    body = envelope(timestamp=datetime(2023, 6, 1, tzinfo=UTC))
    headers = {
        "Signature-256": base64.b64encode(b"\0" * 256).decode(),
        "SignatureCertChainUrl": DEFAULT_URL,
    }
    # WHEN verified THEN the chain passes (certifi roots) and only the signature fails
    with pytest.raises(VerificationError, match="does not match the request body"):
        verifier.verify(headers, body)


# ----------------------------------------------------------------------------- timestamp


@pytest.mark.parametrize(
    ("request_type", "age", "ok"),
    [
        ("LaunchRequest", timedelta(seconds=149), True),
        ("LaunchRequest", timedelta(seconds=-149), True),
        ("LaunchRequest", timedelta(seconds=150), True),
        ("LaunchRequest", timedelta(seconds=151), False),
        ("LaunchRequest", timedelta(seconds=-151), False),
        ("AlexaSkillEvent.SkillEnabled", timedelta(minutes=30), True),
        ("AlexaSkillEvent.SkillEnabled", timedelta(hours=2), False),
        ("IntentRequest", timedelta(minutes=30), False),
    ],
)
def test_timestamp_tolerance(
    ca: ThrowawayCA, verifier: RequestVerifier, request_type: str, age: timedelta, ok: bool
) -> None:
    # GIVEN a request made `age` before now (negative: in the future)
    body = envelope(request_type, timestamp=NOW - age, application_id=SKILL_ID)
    if ok:
        verifier.verify(ca.headers(body), body)
    else:
        with pytest.raises(VerificationError, match=r"request.timestamp .* s (old|in the future)"):
            verifier.verify(ca.headers(body), body)


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [
        (None, "no request.timestamp"),
        ("", "no request.timestamp"),
        (1685620800, "no request.timestamp"),
        ("yesterday", "not an ISO 8601"),
        ("2025-06-01T12:00:00", "no time zone"),
    ],
)
def test_missing_or_unparsable_timestamp_is_rejected(
    ca: ThrowawayCA,
    verifier: RequestVerifier,
    body: bytes,
    timestamp: object,
    reason: str,
    fetcher: CountingFetcher,
) -> None:
    body = _with_timestamp(body, timestamp)
    with pytest.raises(VerificationError, match=reason):
        verifier.verify(ca.headers(body), body)
    assert fetcher.calls == 0


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"[" * 100_000, "not valid JSON"),
        (b"{}", "no request object"),
    ],
)
def test_body_that_is_not_an_envelope_is_rejected(
    ca: ThrowawayCA, verifier: RequestVerifier, payload: bytes, reason: str
) -> None:
    with pytest.raises(VerificationError, match=reason):
        verifier.verify(ca.headers(payload), payload)


# ----------------------------------------------------------------------------- skill id


def test_wrong_application_id_is_rejected(
    ca: ThrowawayCA, verifier: RequestVerifier, fetcher: CountingFetcher
) -> None:
    body = envelope(timestamp=NOW, application_id="amzn1.ask.skill.other")
    with pytest.raises(VerificationError, match="not this skill"):
        verifier.verify(ca.headers(body), body)
    assert fetcher.calls == 0


def test_application_id_is_read_from_context_not_session(
    ca: ThrowawayCA, verifier: RequestVerifier
) -> None:
    # GIVEN a session naming our skill but a context naming another
    document = json.loads(envelope(timestamp=NOW, application_id="amzn1.ask.skill.other"))
    document["session"]["application"] = {"applicationId": SKILL_ID}
    body = json.dumps(document).encode()
    with pytest.raises(VerificationError, match="not this skill"):
        verifier.verify(ca.headers(body), body)


def test_missing_application_id_is_rejected(
    ca: ThrowawayCA, verifier: RequestVerifier, body: bytes
) -> None:
    document = json.loads(body)
    del document["context"]
    body = json.dumps(document).encode()
    with pytest.raises(VerificationError, match=r"no context\.System\.application\.applicationId"):
        verifier.verify(ca.headers(body), body)


# ----------------------------------------------------------------------------- cache


def test_second_verification_uses_the_cache(
    ca: ThrowawayCA, verifier: RequestVerifier, body: bytes, fetcher: CountingFetcher
) -> None:
    verifier.verify(ca.headers(body), body)
    verifier.verify(ca.headers(body), body)
    assert fetcher.calls == 1


class _SequenceFetcher:
    """Returns (or raises) the given outcomes in turn."""

    def __init__(self, *outcomes: bytes | Exception) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self, url: str) -> bytes:
        outcome = self.outcomes[self.calls]
        self.calls += 1
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def test_cache_expires_with_the_leaf(ca: ThrowawayCA, make_verifier: MakeVerifier) -> None:
    # GIVEN a leaf valid for ten more minutes, then a renewed one
    short_lived = ca.chain_pem(not_after=NOW + timedelta(minutes=10))
    fetch = _SequenceFetcher(short_lived, ca.chain_pem())
    clock = [NOW]
    verifier = make_verifier(fetch=fetch, clock=lambda: clock[0])
    body = envelope(timestamp=NOW, application_id=SKILL_ID)
    verifier.verify(ca.headers(body), body)
    # WHEN a request comes after the first leaf's notAfter
    clock[0] = NOW + timedelta(minutes=11)
    later = envelope(timestamp=clock[0], application_id=SKILL_ID)
    verifier.verify(ca.headers(later), later)
    # THEN the chain was fetched again
    assert fetch.calls == 2


def test_failed_fetch_is_remembered_for_a_short_time(
    ca: ThrowawayCA, make_verifier: MakeVerifier, body: bytes
) -> None:
    # Semantics changed on purpose (issue 10): a failed URL used to be retried on the very
    # next request, so forged requests naming it cost a download each.
    # GIVEN a download that fails once, then would succeed
    fetch = _SequenceFetcher(OSError("connection reset"), ca.chain_pem())
    clock = [0.0]
    verifier = make_verifier(fetch=fetch, monotonic=lambda: clock[0])
    with pytest.raises(VerificationError, match="could not be fetched"):
        verifier.verify(ca.headers(body), body)
    # WHEN asked again within the failure TTL THEN it is refused without a download
    clock[0] = DownloadPolicy().failure_ttl - 1
    with pytest.raises(VerificationError, match="could not be fetched"):
        verifier.verify(ca.headers(body), body)
    assert fetch.calls == 1
    # AND once the TTL has passed the URL is tried again
    clock[0] = DownloadPolicy().failure_ttl + 1
    verifier.verify(ca.headers(body), body)
    assert fetch.calls == 2


def test_failed_validation_is_remembered_for_a_short_time(
    ca: ThrowawayCA, make_verifier: MakeVerifier, body: bytes
) -> None:
    # Semantics changed on purpose (issue 10), as for a failed fetch.
    fetch = _SequenceFetcher(ca.chain_pem(san=("example.com",)), ca.chain_pem())
    clock = [0.0]
    verifier = make_verifier(fetch=fetch, monotonic=lambda: clock[0])
    for _ in range(3):
        with pytest.raises(VerificationError, match="no matching subjectAltName"):
            verifier.verify(ca.headers(body), body)
    assert fetch.calls == 1
    clock[0] = DownloadPolicy().failure_ttl + 1
    verifier.verify(ca.headers(body), body)
    assert fetch.calls == 2


def test_cache_is_a_bounded_lru(
    ca: ThrowawayCA, make_verifier: MakeVerifier, body: bytes, fetcher: CountingFetcher
) -> None:
    verifier = make_verifier(cache_size=2)
    urls = [f"https://s3.amazonaws.com/echo.api/cert-{n}.pem" for n in range(3)]
    for url in [*urls, urls[2], urls[0]]:
        verifier.verify(ca.headers(body, url), body)
    # cert-0 was evicted by cert-2, so it was fetched twice; cert-2 stayed cached
    assert fetcher.urls == [*urls, urls[0]]


def test_concurrent_first_requests_fetch_once(
    ca: ThrowawayCA, make_verifier: MakeVerifier, body: bytes
) -> None:
    # GIVEN a slow certificate download and 16 requests arriving at once
    slow = ca.fetcher(delay=0.2)
    verifier = make_verifier(fetch=slow)
    headers = ca.headers(body)
    start = threading.Barrier(16)
    errors: list[BaseException] = []

    def worker() -> None:
        start.wait()
        try:
            verifier.verify(headers, body)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # THEN all pass and the chain was downloaded once
    assert errors == []
    assert slow.calls == 1


def test_concurrent_waiters_share_a_failure(ca: ThrowawayCA, make_verifier: MakeVerifier) -> None:
    calls = 0

    def failing(url: str) -> bytes:
        nonlocal calls
        calls += 1
        time.sleep(0.2)
        raise OSError("S3 is down")

    verifier = make_verifier(fetch=failing)
    body = envelope(timestamp=NOW, application_id=SKILL_ID)
    headers = ca.headers(body)
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker() -> None:
        start.wait()
        try:
            verifier.verify(headers, body)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == 1
    assert len(errors) == 8
    assert all(isinstance(e, VerificationError) and "S3 is down" in str(e) for e in errors)


# ----------------------------------------------------------------------------- download


def test_download_returns_the_body(http_server: str) -> None:
    assert download_cert_chain(f"{http_server}/chain.pem") == _Handler.chain


def test_download_404_is_rejected(http_server: str) -> None:
    with pytest.raises(VerificationError, match="returned HTTP 404"):
        download_cert_chain(f"{http_server}/missing")


@pytest.mark.parametrize("path", ["/big", "/big-unsized"])
def test_download_oversize_body_is_rejected(http_server: str, path: str) -> None:
    with pytest.raises(VerificationError, match=r"more than the 65536|larger than the 65536"):
        download_cert_chain(f"{http_server}{path}")


def test_download_slow_server_times_out(http_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(VerificationError, match="could not be downloaded"):
        download_cert_chain(f"{http_server}/slow", timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_download_connection_refused_is_rejected() -> None:
    # GIVEN a port that nothing listens on (bound, then released)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # WHEN downloading THEN the refusal is a VerificationError, never a raw OSError
    with pytest.raises(VerificationError, match="could not be downloaded"):
        download_cert_chain(f"http://127.0.0.1:{port}/x", timeout=0.5)


def test_download_refuses_other_schemes() -> None:
    with pytest.raises(VerificationError, match="not http or https"):
        download_cert_chain("file:///etc/passwd")


# ----------------------------------------------------------------------------- fuzzing

_header_names = st.sampled_from(
    [
        "Signature-256",
        "signature-256",
        "SignatureCertChainUrl",
        "signaturecertchainurl",
        "Signature",
        "Content-Type",
    ]
) | st.text(max_size=20)
_FUZZ_BODY = envelope(timestamp=NOW, application_id=SKILL_ID)


def _fuzz_verifier(ca: ThrowawayCA) -> RequestVerifier:
    return RequestVerifier(
        SKILL_ID, trust_roots=ca.root_pem, fetch_cert_chain=ca.fetcher(), clock=lambda: NOW
    )


@settings(max_examples=300, deadline=None)
@given(headers=st.dictionaries(_header_names, st.text(max_size=120)), body=st.binary(max_size=300))
def test_fuzz_random_requests_only_raise_verification_error(
    ca: ThrowawayCA, headers: dict[str, str], body: bytes
) -> None:
    with pytest.raises(VerificationError):
        _fuzz_verifier(ca).verify(headers, body)


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    replace=st.sampled_from(["Signature-256", "SignatureCertChainUrl", None]),
    value=st.text(max_size=200),
)
def test_fuzz_mutated_valid_requests_only_raise_verification_error(
    ca: ThrowawayCA, data: st.DataObject, replace: str | None, value: str
) -> None:
    # GIVEN a valid request with either a header replaced or some body bits flipped
    headers = ca.headers(_FUZZ_BODY)
    body = bytearray(_FUZZ_BODY)
    flips = data.draw(
        st.sets(st.integers(0, len(body) * 8 - 1), min_size=0 if replace else 1, max_size=8)
    )
    for bit in flips:
        body[bit // 8] ^= 1 << (bit % 8)
    if replace is not None:
        if not flips and value.strip() == headers[replace]:
            return  # the mutation happened to be a no-op
        headers[replace] = value
    # WHEN verified THEN only VerificationError is ever raised
    with pytest.raises(VerificationError):
        _fuzz_verifier(ca).verify(headers, bytes(body))
