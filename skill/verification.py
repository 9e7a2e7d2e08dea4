"""Verify that an HTTPS request really comes from Alexa.

A skill hosted on its own web server (not on Lambda) must prove to Amazon's certification
that it rejects requests not sent by Alexa. Alexa signs the raw request body with the private
key of a certificate it publishes on S3, and tells us where in two headers:

* ``SignatureCertChainUrl``: where to download the PEM chain (leaf first).
* ``Signature-256``: base64 of the RSA PKCS#1 v1.5 SHA-256 signature of the raw body.

:class:`RequestVerifier` checks, in this order (cheap and local first, so that junk costs no
network round trip and no RSA operation):

1. both headers are present (the SHA-1 ``Signature`` header alone is not enough),
2. the signature is strict base64,
3. the certificate URL is one Amazon could have sent (:func:`check_cert_url`),
4. the body is a JSON object whose ``request.timestamp`` is within 150 s of now
   (one hour for ``AlexaSkillEvent.*`` requests, which Alexa may deliver late),
5. ``context.System.application.applicationId`` is our skill id (when one is configured),
6. the certificate chain validates to a trusted root for ``echo-api.amazon.com``
   (:func:`validate_chain`),
7. the signature matches the raw body bytes under the leaf's public key.

Until step 7 passes, nothing proves that Alexa sent the request: anyone can send a fresh
timestamp, our skill id and any base64 with a certificate URL of their choosing. So the URL a
request names must not let a forger control our downloads (see :class:`RequestVerifier`):

* a chain enters the cache only after a request signed with its leaf key verified, so forged
  requests can neither evict a chain Alexa uses nor poison its URL;
* a URL whose download or chain failed is remembered as failed for a minute;
* downloads of unknown URLs draw on a small budget (two at once, then one per 30 s, given back
  when the chain is then proven by a signed request), and at most two run at a time in the
  process; over either limit a request is refused at once, never queued;
* each download gets 2 s of wall clock in total, whatever the fetcher does.

A request naming a chain that has verified never waits for any of this.

Every failure raises :class:`skill.errors.VerificationError`, whatever the input; boundaries
answer it with HTTP 400. ``cryptography`` is imported only here (and by the test CA in
:mod:`skill.testing.alexa_ca`), and trust roots are loaded lazily, on the first chain that
needs validating, so importing this module stays cheap for the Lambda front door, which never
verifies signatures itself.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import logging
import math
import re
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import PolicyBuilder, Store
from cryptography.x509.verification import VerificationError as X509VerificationError

from skill.errors import ConfigError, VerificationError

__all__ = [
    "ALEXA_SAN",
    "CERT_HOST",
    "CERT_PATH_PREFIX",
    "MAX_DOWNLOADS_IN_FLIGHT",
    "DownloadPolicy",
    "DownloadSlots",
    "RequestVerifier",
    "check_cert_url",
    "download_cert_chain",
    "load_trust_roots",
    "validate_chain",
]

log = logging.getLogger(__name__)

CERT_HOST = "s3.amazonaws.com"
"""The only host Alexa downloads its signing certificate chain from."""

CERT_PATH_PREFIX = "/echo.api/"
"""The S3 bucket (path-style) holding Alexa's certificates; case-sensitive like S3 keys."""

ALEXA_SAN = "echo-api.amazon.com"
"""The DNS name the signing (leaf) certificate must carry in its subjectAltName."""

SIGNATURE_HEADER = "signature-256"
CERT_URL_HEADER = "signaturecertchainurl"
_SHA1_SIGNATURE_HEADER = "signature"

TIMESTAMP_TOLERANCE_S = 150.0
"""Alexa's documented limit: a request older (or newer) than this is a possible replay."""

SKILL_EVENT_TOLERANCE_S = 3600.0
"""Skill events (enablement, permission changes) may be delivered up to an hour late."""

_SKILL_EVENT_PREFIX = "AlexaSkillEvent."

MAX_DOWNLOADS_IN_FLIGHT = 2
"""Certificate downloads running at once in this process, across all verifiers.

Alexa needs one download per process (and one more when Amazon rotates its certificate), so
two is plenty; any more would only let forged requests tie up server threads on S3.
"""

_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----\s.*?-----END CERTIFICATE-----", re.DOTALL)
# Percent-encoded '.', '/' and '\' could smuggle a '..' segment past the path check if any
# hop between us and S3 decoded them; Alexa's URLs never contain them.
_ENCODED_PATH_TRICK = re.compile(r"%(2e|2f|5c)", re.IGNORECASE)
# Printable ASCII without spaces. urlsplit silently deletes tabs and newlines and http.client
# refuses control characters only once a download has started; Alexa's URLs have none.
_URL_CHARACTERS = re.compile(r"[!-~]+")

_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()

Clock = Callable[[], datetime]
Fetcher = Callable[[str], bytes]


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- certificate URL


def check_cert_url(url: str) -> str:
    """Check ``url`` against Alexa's rules for ``SignatureCertChainUrl``; return it normalised.

    The checks run before any download so that a forged request cannot make us fetch from an
    arbitrary place (server-side request forgery) or make us pay for a download at all. Alexa's
    URLs are plain: https, host ``s3.amazonaws.com``, port 443 if any, a path under
    ``/echo.api/``, and no user information, query string or fragment (refused even when empty,
    so that one S3 object cannot be named in endless spellings). The returned URL is the one to
    fetch and to cache under: ``..``/``.`` segments and repeated slashes are resolved, the scheme
    and host are lower-cased, and the default port is dropped, so what we fetch is exactly what
    we checked.
    """
    if not isinstance(url, str) or not url.strip():
        raise VerificationError("The SignatureCertChainUrl header is empty.")
    url = url.strip()
    if not _URL_CHARACTERS.fullmatch(url):
        raise VerificationError(
            f"The certificate URL {url!r} contains spaces, control or non-ASCII characters."
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise VerificationError(f"The certificate URL {url!r} cannot be parsed: {exc}.") from exc
    if parts.scheme != "https":  # urlsplit lower-cases the scheme
        raise VerificationError(f"The certificate URL {url!r} does not use https.")
    if "@" in parts.netloc:
        raise VerificationError(f"The certificate URL {url!r} carries user information.")
    # Checked on the raw text: urlsplit reports an empty query or fragment as none at all.
    if "?" in url:
        raise VerificationError(f"The certificate URL {url!r} has a query string.")
    if "#" in url:
        raise VerificationError(f"The certificate URL {url!r} has a fragment.")
    if parts.hostname != CERT_HOST:  # .hostname is lower-cased
        raise VerificationError(f"The certificate URL {url!r} is not on host {CERT_HOST}.")
    if port is not None and port != 443:
        raise VerificationError(f"The certificate URL {url!r} uses port {port}, not 443.")
    if "\\" in parts.path or _ENCODED_PATH_TRICK.search(parts.path):
        raise VerificationError(
            f"The certificate URL {url!r} hides path separators or dots in its path."
        )
    path = _normalise_path(parts.path)
    if not path.startswith(CERT_PATH_PREFIX):
        raise VerificationError(
            f"The certificate URL {url!r} does not point under {CERT_PATH_PREFIX} "
            f"(normalised path {path!r})."
        )
    return f"https://{CERT_HOST}{path}"


def _normalise_path(path: str) -> str:
    """Resolve ``.``, ``..`` and empty segments the way a server would.

    Unlike :func:`posixpath.normpath` this does not keep a leading ``//`` (POSIX leaves its
    meaning to the implementation), so ``//echo.api/x`` and ``/echo.api/x`` are the same path.
    ``..`` above the root is dropped, as HTTP servers do.
    """
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    trailing = "/" if path.endswith(("/", "/.", "/..")) and segments else ""
    return "/" + "/".join(segments) + trailing


# --------------------------------------------------------------------------- trust roots


def load_trust_roots(pem: bytes | None = None) -> list[x509.Certificate]:
    """Parse a PEM trust bundle (certifi's when ``pem`` is None), skipping unparsable certs.

    One bad certificate in a bundle must not take signature verification down, so the bundle is
    parsed certificate by certificate. certifi ships a root with a non-positive serial, for which
    ``cryptography`` emits a ``CryptographyDeprecationWarning`` on every parse; it is silenced
    here, where it is expected, rather than in every caller. (``warnings.catch_warnings`` touches
    process-wide state, which is one reason the verifier loads roots once and caches them.)
    """
    if pem is None:
        import certifi  # deferred: only a verifier that validates a chain needs the bundle

        with open(certifi.where(), "rb") as bundle:
            pem = bundle.read()
    roots: list[x509.Certificate] = []
    skipped = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for block in _PEM_CERT.findall(pem):
            try:
                roots.append(x509.load_pem_x509_certificate(block))
            except (ValueError, x509.InvalidVersion):
                skipped += 1
    if skipped:
        log.warning("Skipped %d unparsable certificate(s) in the trust bundle.", skipped)
    return roots


_default_store: Store | None = None
_default_store_lock = threading.Lock()


def _certifi_store() -> Store:
    """certifi's roots as a Store, built once per process and shared by all verifiers."""
    global _default_store
    with _default_store_lock:
        if _default_store is None:
            _default_store = _build_store(load_trust_roots(None), "certifi's bundle")
        return _default_store


def _build_store(roots: list[x509.Certificate], origin: str) -> Store:
    if not roots:
        raise VerificationError(f"The trust roots ({origin}) contain no parsable certificate.")
    return Store(roots)


# --------------------------------------------------------------------------- chain


def validate_chain(
    pem: bytes,
    *,
    roots: Store | Iterable[x509.Certificate],
    at: datetime,
    dns_name: str = ALEXA_SAN,
) -> x509.Certificate:
    """Validate a PEM chain (leaf first, as Alexa sends it) and return the leaf certificate.

    Path building, validity dates at ``at``, CA constraints and the subjectAltName are all left
    to ``cryptography``'s WebPKI verifier rather than re-implemented: extra certificates after
    the intermediate (Amazon appends cross-signed roots) are offered as candidates and ignored
    when a shorter path to a trusted root exists.
    """
    leaf, _ = _validate(pem, roots=roots, at=at, dns_name=dns_name)
    return leaf


def _validate(
    pem: bytes,
    *,
    roots: Store | Iterable[x509.Certificate],
    at: datetime,
    dns_name: str,
) -> tuple[x509.Certificate, datetime]:
    """Validate and return the leaf and the moment the validated path stops being valid."""
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except (ValueError, x509.InvalidVersion) as exc:  # InvalidVersion is no ValueError
        raise VerificationError(
            f"The certificate chain is not a readable PEM chain: {exc}."
        ) from exc
    store = roots if isinstance(roots, Store) else _build_store(list(roots), "given roots")
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    try:
        verifier = (
            PolicyBuilder().store(store).time(at).build_server_verifier(x509.DNSName(dns_name))
        )
        path = verifier.verify(certs[0], certs[1:])
    except X509VerificationError as exc:
        raise VerificationError(
            f"The certificate chain does not validate for {dns_name} at {at.isoformat()}: {exc}"
        ) from exc
    except ValueError as exc:  # e.g. a DNS name that is not one
        raise VerificationError(f"The certificate chain cannot be checked: {exc}.") from exc
    expires = min(cert.not_valid_after_utc for cert in path)
    return certs[0], expires


# --------------------------------------------------------------------------- download


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: the URL we checked must be the URL we read."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def download_cert_chain(url: str, *, timeout: float = 2.0, max_bytes: int = 65536) -> bytes:
    """Download a certificate chain; the default ``fetch_cert_chain`` of :class:`RequestVerifier`.

    The limits protect the request path: Alexa waits about 8 s for an answer, so a slow S3 must
    not hold a worker long, and a chain is a few KB, so anything above ``max_bytes`` is refused
    without reading it all. Here ``timeout`` bounds each network wait (connect, each read) and
    the body is abandoned once reading it took longer than ``timeout``; that alone is not a
    total bound (a name lookup has no timeout, and headers trickling in reset each wait), so
    :class:`RequestVerifier` runs every fetch in a thread of its own and stops waiting for it
    after its policy's total ``timeout``. Redirects are not followed. URL rules are *not*
    checked here (:func:`check_cert_url` does that before calling), which lets tests point this
    at a local ``http://`` server; only http and https are allowed.
    """
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise VerificationError(f"The certificate chain URL {url!r} is not http or https.")
    opener = urllib.request.build_opener(_NoRedirect)
    deadline = time.monotonic() + timeout
    try:
        with opener.open(url, timeout=timeout) as response:
            if response.status != 200:
                raise VerificationError(
                    f"The certificate chain download from {url} returned HTTP {response.status}."
                )
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise VerificationError(
                    f"The certificate chain at {url} is {declared} bytes, "
                    f"more than the {max_bytes} allowed."
                )
            chunks: list[bytes] = []
            size = 0
            while size <= max_bytes:
                chunk = response.read1(max_bytes + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if time.monotonic() > deadline:
                    raise VerificationError(
                        f"The certificate chain download from {url} took more than {timeout} s."
                    )
    except urllib.error.HTTPError as exc:
        exc.close()
        raise VerificationError(
            f"The certificate chain download from {url} returned HTTP {exc.code}."
        ) from exc
    except urllib.error.URLError as exc:
        raise VerificationError(
            f"The certificate chain could not be downloaded from {url}: {exc.reason}."
        ) from exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # TimeoutError is an OSError; HTTPException covers malformed responses.
        raise VerificationError(
            f"The certificate chain could not be downloaded from {url}: "
            f"{type(exc).__name__}: {exc}."
        ) from exc
    if size > max_bytes:
        raise VerificationError(
            f"The certificate chain at {url} is larger than the {max_bytes} bytes allowed."
        )
    return b"".join(chunks)


# --------------------------------------------------------------------------- verifier


@dataclass(frozen=True)
class DownloadPolicy:
    """How much certificate downloading a :class:`RequestVerifier` allows itself.

    ``timeout``: seconds of wall clock per download, in total, whatever the fetcher does.
    ``burst`` and ``refill_seconds``: a token bucket for downloads of URLs without a verified
    chain; ``burst`` may run back to back, then one more per ``refill_seconds``. A token is
    given back when a signed request proves the downloaded chain, so Alexa's own traffic never
    spends the budget; only downloads that no signed request vindicates (forgeries) do.
    ``failure_ttl``: seconds a URL whose download or chain failed is refused without retrying.
    """

    timeout: float = 2.0
    burst: int = 2
    refill_seconds: float = 30.0
    failure_ttl: float = 60.0

    def __post_init__(self) -> None:
        for name in ("timeout", "refill_seconds", "failure_ttl"):
            value = getattr(self, name)
            if not value > 0:
                raise ConfigError(f"DownloadPolicy needs a positive {name}, not {value!r}.")
        if self.burst < 1:
            raise ConfigError(f"DownloadPolicy needs a burst of at least 1, not {self.burst}.")


class DownloadSlots:
    """A cap on downloads in flight, taken without waiting: full means refuse, not queue.

    One instance (``MAX_DOWNLOADS_IN_FLIGHT`` slots) is shared by every verifier in the process
    unless a verifier is given its own. A slot is held until the fetch really returns, even
    when the request that started it stopped waiting at the deadline, so the cap counts the
    threads actually tied up on S3.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ConfigError(f"DownloadSlots needs a limit of at least 1, not {limit}.")
        self.limit = limit
        self._lock = threading.Lock()
        self._taken = 0

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._taken

    def try_acquire(self) -> bool:
        with self._lock:
            if self._taken >= self.limit:
                return False
            self._taken += 1
            return True

    def release(self) -> None:
        with self._lock:
            if self._taken <= 0:
                raise RuntimeError("DownloadSlots.release() called more often than acquired.")
            self._taken -= 1


_PROCESS_SLOTS = DownloadSlots(MAX_DOWNLOADS_IN_FLIGHT)

_CANDIDATES = 8
"""Validated chains no signed request has used yet; a few, so forgeries cannot grow memory."""

_FAILURES = 256
"""Failed URLs remembered at once; the download budget keeps the real number far lower."""


class _Chain:
    """A validated chain reduced to what later requests need."""

    __slots__ = ("expires", "public_key", "refund")

    def __init__(self, public_key: rsa.RSAPublicKey, expires: datetime) -> None:
        self.public_key = public_key
        self.expires = expires
        self.refund = True  # the download's budget token, owed back once a request proves it


class _Flight:
    """One in-progress fetch+validate that other threads wanting the same URL wait for."""

    __slots__ = ("chain", "done", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.chain: _Chain | None = None
        self.error: VerificationError | None = None


class RequestVerifier:
    """Checks Alexa's signature, certificate chain, timestamp and skill id on each request.

    Build one per process and share it between threads. Certificate URLs are kept in three
    places, all behind one lock and all bounded:

    * **verified**: URL -> key of a chain whose leaf signed a request that passed every check;
      an LRU of ``cache_size``, each entry dropped at its path's earliest ``notAfter``. Only a
      verified request inserts or refreshes an entry, so no forgery can evict or replace one,
      and a request naming a verified URL never downloads, waits or spends anything.
    * **candidates**: a few chains that downloaded and validated but have not signed a request
      yet (a forger may name Amazon's real URL first); the next genuine request promotes one.
      A signature mismatch never marks a URL failed: one forged request naming the real URL
      would otherwise lock Alexa out.
    * **failed**: URLs whose download or chain failed, refused without a download for
      ``download_policy.failure_ttl`` seconds.

    Anything else needs a download: one per URL at a time (concurrent requests for it wait for
    that one), only if the policy's budget has a token and the process has a free slot in
    ``download_slots`` (otherwise refused at once), and for at most ``download_policy.timeout``
    seconds. A refusal for lack of budget or slots is not remembered as a failure.

    ``skill_id`` None accepts any application id (for local tools only). ``trust_roots`` is a
    PEM bundle (certifi's when None), ``fetch_cert_chain`` downloads a chain (defaults to
    :func:`download_cert_chain`), ``clock`` returns the current time as an aware datetime
    (for timestamps and certificate validity), and ``monotonic`` returns seconds for the
    budget and the failure memory (``time.monotonic`` when None).
    """

    def __init__(
        self,
        skill_id: str | None,
        *,
        trust_roots: bytes | None = None,
        fetch_cert_chain: Callable[[str], bytes] | None = None,
        clock: Callable[[], datetime] | None = None,
        cache_size: int = 16,
        download_policy: DownloadPolicy | None = None,
        download_slots: DownloadSlots | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        if cache_size < 1:
            raise ConfigError(f"RequestVerifier needs cache_size of at least 1, not {cache_size}.")
        self._skill_id = skill_id
        self._trust_roots_pem = trust_roots
        self._policy = download_policy or DownloadPolicy()
        self._fetch: Fetcher = fetch_cert_chain or self._default_fetch
        self._clock: Clock = clock or _utcnow
        self._monotonic = monotonic or time.monotonic
        self._slots = download_slots or _PROCESS_SLOTS
        self._cache_size = cache_size
        self._store: Store | None = None
        self._lock = threading.Lock()
        self._verified: OrderedDict[str, _Chain] = OrderedDict()
        self._candidates: OrderedDict[str, _Chain] = OrderedDict()
        self._failed: OrderedDict[str, tuple[float, str]] = OrderedDict()  # url -> (until, why)
        self._flights: dict[str, _Flight] = {}
        self._tokens = float(self._policy.burst)
        self._tokens_at = self._monotonic()
        self._warned_budget_at: float | None = None

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise :class:`VerificationError` unless the request provably comes from Alexa now."""
        if not isinstance(body, bytes | bytearray | memoryview):
            raise VerificationError("The request body must be bytes, as read from the wire.")
        signature_b64, cert_url = _signature_headers(headers)
        try:
            signature = base64.b64decode(signature_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise VerificationError("The Signature-256 header is not valid base64.") from exc
        url = check_cert_url(cert_url)
        now = self._now()
        envelope = _parse_envelope(body)
        _check_timestamp(envelope, now)
        if self._skill_id is not None:
            _check_application_id(envelope, self._skill_id)
        chain = self._chain(url, now)
        try:
            chain.public_key.verify(signature, bytes(body), _PKCS1V15, _SHA256)
        except InvalidSignature as exc:
            raise VerificationError(
                "The Signature-256 header does not match the request body "
                "under the certificate's key."
            ) from exc
        self._proven(url, chain)

    # -- internals

    def _now(self) -> datetime:
        now = self._clock()
        return now.replace(tzinfo=UTC) if now.tzinfo is None else now

    def _default_fetch(self, url: str) -> bytes:
        return download_cert_chain(url, timeout=self._policy.timeout)

    def _chain(self, url: str, now: datetime) -> _Chain:
        """The chain for ``url``: verified, candidate, or fetched+validated once across threads."""
        with self._lock:
            for area in (self._verified, self._candidates):
                chain = area.get(url)
                if chain is not None:
                    if now < chain.expires:
                        return chain  # no LRU refresh: only a verified request earns one
                    del area[url]
            clock = self._monotonic()
            failure = self._failed.get(url)
            if failure is not None:
                if clock < failure[0]:
                    raise VerificationError(failure[1])
                del self._failed[url]
            flight = self._flights.get(url)
            leader = flight is None
            if flight is None:
                self._admit_download(url, clock)
                flight = self._flights[url] = _Flight()
        if not leader:
            flight.done.wait()
            if flight.chain is not None:
                return flight.chain
            reason = str(flight.error) if flight.error else "The certificate check failed."
            raise VerificationError(reason) from flight.error
        try:
            chain = self._download_and_validate(url, now)
        except VerificationError as exc:
            flight.error = exc
            with self._lock:
                self._remember_failure(url, str(exc))
            raise
        else:
            flight.chain = chain
            with self._lock:
                _put(self._candidates, url, chain, _CANDIDATES)
            return chain
        finally:
            with self._lock:
                del self._flights[url]
            flight.done.set()

    def _admit_download(self, url: str, clock: float) -> None:
        """Take a budget token and a process slot, or refuse at once (caller holds the lock)."""
        policy = self._policy
        elapsed = max(0.0, clock - self._tokens_at)
        self._tokens = min(float(policy.burst), self._tokens + elapsed / policy.refill_seconds)
        self._tokens_at = clock
        if self._tokens < 1.0:
            wait = math.ceil((1.0 - self._tokens) * policy.refill_seconds)
            if self._warned_budget_at is None or clock - self._warned_budget_at >= wait:
                # Once per refill at most: in a flood, one line per forged request would be
                # a second flood, in the logs.
                self._warned_budget_at = clock
                log.warning(
                    "Refusing certificate downloads for unknown URLs for %d s: the download "
                    "budget is spent (many requests naming new certificate URLs).",
                    wait,
                )
            raise VerificationError(
                f"The certificate chain at {url} was not downloaded: too many new certificate "
                f"URLs were tried recently. Try again in {wait} s."
            )
        if not self._slots.try_acquire():
            raise VerificationError(
                f"The certificate chain at {url} was not downloaded: {self._slots.limit} "
                "downloads are already in progress. Try again shortly."
            )
        self._tokens -= 1.0

    def _remember_failure(self, url: str, reason: str) -> None:
        clock = self._monotonic()
        while self._failed:  # entries share one TTL, so the oldest expire first
            oldest = next(iter(self._failed.values()))
            if oldest[0] > clock:
                break
            self._failed.popitem(last=False)
        _put(self._failed, url, (clock + self._policy.failure_ttl, reason), _FAILURES)

    def _proven(self, url: str, chain: _Chain) -> None:
        """A request signed by ``chain``'s leaf passed every check: cache it as verified."""
        with self._lock:
            if self._candidates.get(url) is chain:
                del self._candidates[url]
            _put(self._verified, url, chain, self._cache_size)
            if chain.refund:
                chain.refund = False
                self._tokens = min(float(self._policy.burst), self._tokens + 1.0)

    def _download_and_validate(self, url: str, now: datetime) -> _Chain:
        pem = self._fetch_within_deadline(url)
        if not isinstance(pem, bytes):
            raise VerificationError(
                f"The certificate fetcher returned {type(pem).__name__} for {url}, not bytes."
            )
        if not pem.strip():
            raise VerificationError(f"The certificate chain fetched from {url} is empty.")
        leaf, expires = _validate(pem, roots=self._trust_store(), at=now, dns_name=ALEXA_SAN)
        try:
            public_key = leaf.public_key()
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise VerificationError(
                f"The signing certificate's public key cannot be read: {exc}."
            ) from exc
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise VerificationError(
                f"The signing certificate has a {type(public_key).__name__} key; "
                "Alexa signs with RSA."
            )
        return _Chain(public_key, expires)

    def _fetch_within_deadline(self, url: str) -> object:
        """Run the fetcher in its own thread and wait at most the policy's timeout for it.

        The caller already holds a download slot; the thread gives it back when the fetcher
        really returns, so a fetch abandoned at the deadline still counts against the cap.
        """
        outcome: list[object] = []
        finished = threading.Event()

        def run() -> None:
            try:
                outcome.append(self._fetch(url))
            except BaseException as exc:  # handed over to the waiting request thread
                outcome.append(exc)
            finally:
                self._slots.release()
                finished.set()

        try:
            threading.Thread(target=run, name="cert-chain-download", daemon=True).start()
        except RuntimeError as exc:  # the process cannot start another thread
            self._slots.release()
            raise VerificationError(
                f"The certificate chain download from {url} could not start: {exc}."
            ) from exc
        if not finished.wait(self._policy.timeout):
            raise VerificationError(
                f"The certificate chain download from {url} took more than "
                f"{self._policy.timeout:g} s."
            )
        result = outcome[0]
        if isinstance(result, VerificationError):
            raise result
        if isinstance(result, BaseException):  # an injected fetcher may raise anything
            raise VerificationError(
                f"The certificate chain could not be fetched from {url}: "
                f"{type(result).__name__}: {result}"
            ) from result
        return result

    def _trust_store(self) -> Store:
        if self._trust_roots_pem is None:
            return _certifi_store()
        with self._lock:
            if self._store is None:
                self._store = _build_store(
                    load_trust_roots(self._trust_roots_pem), "the trust_roots given"
                )
            return self._store


def _put(area: OrderedDict[str, Any], key: str, value: Any, bound: int) -> None:
    """Insert or refresh ``key`` as most recent, dropping the least recent beyond ``bound``."""
    area[key] = value
    area.move_to_end(key)
    while len(area) > bound:
        area.popitem(last=False)


# --------------------------------------------------------------------------- envelope checks


def _signature_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """Find the two headers whatever their case; refuse if absent, empty or ambiguous."""
    found: dict[str, str] = {}
    try:
        items = list(headers.items())
    except Exception as exc:  # a broken mapping is a broken request
        raise VerificationError("The request headers cannot be read.") from exc
    for name, value in items:
        if not isinstance(name, str):
            continue
        key = name.lower()
        if key not in (SIGNATURE_HEADER, CERT_URL_HEADER, _SHA1_SIGNATURE_HEADER):
            continue
        if not isinstance(value, str):
            raise VerificationError(f"The {name} header is not text.")
        value = value.strip()
        if key in found and found[key] != value:
            raise VerificationError(f"The {name} header appears twice with different values.")
        found[key] = value
    signature = found.get(SIGNATURE_HEADER, "")
    if not signature:
        if found.get(_SHA1_SIGNATURE_HEADER):
            raise VerificationError(
                "The request has no Signature-256 header; a SHA-1 Signature header alone "
                "is not accepted."
            )
        raise VerificationError("The request has no Signature-256 header.")
    cert_url = found.get(CERT_URL_HEADER, "")
    if not cert_url:
        raise VerificationError("The request has no SignatureCertChainUrl header.")
    return signature, cert_url


def _parse_envelope(body: bytes | bytearray | memoryview) -> dict[str, Any]:
    try:
        envelope = json.loads(bytes(body))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise VerificationError("The request body is not valid JSON.") from exc
    if not isinstance(envelope, dict):
        raise VerificationError("The request body is not a JSON object.")
    return envelope


def _check_timestamp(envelope: dict[str, Any], now: datetime) -> None:
    """Refuse replays: the request must have been made within the tolerance of ``now``."""
    request = envelope.get("request")
    if not isinstance(request, dict):
        raise VerificationError("The request body has no request object.")
    raw = request.get("timestamp")
    if not isinstance(raw, str) or not raw:
        raise VerificationError("The request has no request.timestamp.")
    try:
        stamp = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise VerificationError(
            f"The request.timestamp {raw!r} is not an ISO 8601 date and time."
        ) from exc
    if stamp.tzinfo is None:
        raise VerificationError(
            f"The request.timestamp {raw!r} has no time zone; Alexa sends UTC with a Z suffix."
        )
    request_type = request.get("type")
    tolerance = (
        SKILL_EVENT_TOLERANCE_S
        if isinstance(request_type, str) and request_type.startswith(_SKILL_EVENT_PREFIX)
        else TIMESTAMP_TOLERANCE_S
    )
    try:
        skew = (now - stamp).total_seconds()
    except OverflowError as exc:
        raise VerificationError(f"The request.timestamp {raw!r} is out of range.") from exc
    if abs(skew) > tolerance:
        direction = "old" if skew > 0 else "in the future"
        raise VerificationError(
            f"The request.timestamp {raw!r} is {abs(skew):.0f} s {direction}; "
            f"at most {tolerance:.0f} s is allowed."
        )


def _check_application_id(envelope: dict[str, Any], skill_id: str) -> None:
    """Read the id from context (always present), never from session (absent in events)."""
    node: Any = envelope
    for key in ("context", "System", "application", "applicationId"):
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, str) or not node:
        raise VerificationError("The request has no context.System.application.applicationId.")
    if node != skill_id:
        raise VerificationError(
            f"The request is for application id {node!r}, not this skill ({skill_id!r})."
        )
