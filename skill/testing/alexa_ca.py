"""A throwaway certificate authority that signs requests the way Alexa does.

Real Alexa requests cannot be produced in tests: nobody outside Amazon holds the key of
``echo-api.amazon.com``. :class:`ThrowawayCA` builds a small PKI of its own (root ->
intermediate -> leaf with SAN ``echo-api.amazon.com``), so a test can hand its root to
:class:`skill.verification.RequestVerifier` as ``trust_roots`` and its :meth:`~ThrowawayCA.fetcher`
as ``fetch_cert_chain``, then sign bodies exactly as Alexa would. Variants of the leaf (expired,
wrong SAN, self-signed, issued by an untrusted root, holding another key, an EC key) let tests
check each rule of the verifier on its own.

Generating RSA keys costs tens of milliseconds each, so build one instance per test session and
share it; certificates are cheap and are made per variant, then memoised.

Example::

    ca = ThrowawayCA()
    verifier = RequestVerifier("amzn1.ask.skill.test", trust_roots=ca.root_pem,
                               fetch_cert_chain=ca.fetcher(), clock=lambda: ca.now)
    body = envelope(timestamp=ca.now)
    verifier.verify(ca.headers(body), body)
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["DEFAULT_URL", "CountingFetcher", "ThrowawayCA", "envelope"]

DEFAULT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"
"""A certificate URL that passes the verifier's URL rules."""

ALEXA_SAN = "echo-api.amazon.com"

LeafKey = Literal["alexa", "other", "ec"]
_PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Corner Shop Throwaway CA"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class CountingFetcher:
    """A ``fetch_cert_chain`` that serves one chain for any URL and counts its calls.

    ``delay`` (seconds) makes each call slow, to test that concurrent first requests share
    one fetch. Thread-safe.
    """

    def __init__(self, chain: bytes, *, delay: float = 0.0) -> None:
        self.chain = chain
        self.delay = delay
        self.calls = 0
        self.urls: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, url: str) -> bytes:
        with self._lock:
            self.calls += 1
            self.urls.append(url)
        if self.delay:
            time.sleep(self.delay)
        return self.chain


class ThrowawayCA:
    """A root, an intermediate and an Alexa-like leaf, all made up on the spot.

    ``now`` is the reference time: CA certificates are valid ten years either side of it and
    the default leaf from one day before to thirty days after, so tests can pin the verifier's
    clock to ``ca.now``.
    """

    def __init__(self, *, now: datetime | None = None, key_size: int = 2048) -> None:
        self.now = (now or datetime.now(UTC)).replace(microsecond=0)
        self._key_size = key_size
        self.root_key = self._rsa()
        self.intermediate_key = self._rsa()
        self.leaf_key = self._rsa()
        """The key Alexa's leaf holds; :meth:`sign` signs with it."""
        self.other_key = self._rsa()
        """A second key: the untrusted root's, and the leaf's when ``leaf_key="other"``."""
        self._ec_key: ec.EllipticCurvePrivateKey | None = None
        ten_years = timedelta(days=3650)
        self.root_cert = self._ca_cert(
            "Throwaway Root",
            self.root_key,
            issuer=None,
            not_before=self.now - ten_years,
            not_after=self.now + ten_years,
        )
        self.intermediate_cert = self._ca_cert(
            "Throwaway Intermediate",
            self.intermediate_key,
            issuer=(self.root_cert, self.root_key),
            not_before=self.now - ten_years,
            not_after=self.now + ten_years,
        )
        self.untrusted_root_cert = self._ca_cert(
            "Untrusted Root",
            self.other_key,
            issuer=None,
            not_before=self.now - ten_years,
            not_after=self.now + ten_years,
        )
        self.root_pem: bytes = _pem(self.root_cert)
        """The trust anchor, to pass to ``RequestVerifier(trust_roots=...)``."""
        self._chains: dict[tuple[object, ...], bytes] = {}
        self._chains_lock = threading.Lock()

    # -- public API

    def chain_pem(
        self,
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        san: Sequence[str] = (ALEXA_SAN,),
        self_signed: bool = False,
        untrusted_root: bool = False,
        leaf_key: LeafKey = "alexa",
    ) -> bytes:
        """The PEM chain Alexa would serve: leaf first, then its issuer.

        The defaults give a valid chain. ``not_before``/``not_after`` move the leaf's validity
        window, ``san`` replaces its DNS names (empty: no SAN extension), ``self_signed`` makes a
        leaf that issued itself (the chain is then the leaf alone), ``untrusted_root`` has the leaf
        issued by a root the verifier does not trust, and ``leaf_key`` puts another RSA key
        (``"other"``) or an EC key (``"ec"``) in the leaf, so :meth:`sign` no longer matches.
        """
        start = not_before or self.now - timedelta(days=1)
        end = not_after or self.now + timedelta(days=30)
        key_id = (start, end, tuple(san), self_signed, untrusted_root, leaf_key)
        with self._chains_lock:
            cached = self._chains.get(key_id)
            if cached is None:
                cached = self._chains[key_id] = self._make_chain(
                    start, end, tuple(san), self_signed, untrusted_root, leaf_key
                )
            return cached

    def sign(self, body: bytes) -> str:
        """The ``Signature-256`` header value for ``body``: base64 RSA-PKCS#1v1.5-SHA256."""
        signature = self.leaf_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")

    def headers(self, body: bytes, url: str = DEFAULT_URL) -> dict[str, str]:
        """The two signature headers Alexa sends with ``body``."""
        return {"Signature-256": self.sign(body), "SignatureCertChainUrl": url}

    def fetcher(self, chain: bytes | None = None, *, delay: float = 0.0) -> CountingFetcher:
        """A ``fetch_cert_chain`` serving ``chain`` (the default valid one) for any URL."""
        return CountingFetcher(self.chain_pem() if chain is None else chain, delay=delay)

    # -- building blocks

    def _rsa(self) -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=self._key_size)

    def _ec(self) -> ec.EllipticCurvePrivateKey:
        if self._ec_key is None:
            self._ec_key = ec.generate_private_key(ec.SECP256R1())
        return self._ec_key

    @staticmethod
    def _skeleton(
        subject: x509.Name,
        issuer_name: x509.Name,
        key: _PrivateKey,
        issuer_public: Any,
        not_before: datetime,
        not_after: datetime,
        *,
        ca: bool,
        key_encipherment: bool = False,
    ) -> x509.CertificateBuilder:
        """What CA and leaf certificates share; only the CA bit and key usages differ."""
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=not ca,
                    content_commitment=False,
                    key_encipherment=key_encipherment,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=ca,
                    crl_sign=ca,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), False)
        )

    def _ca_cert(
        self,
        common_name: str,
        key: rsa.RSAPrivateKey,
        *,
        issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None,
        not_before: datetime,
        not_after: datetime,
    ) -> x509.Certificate:
        subject = _name(common_name)
        issuer_name, signing_key, issuer_public = (
            (subject, key, key.public_key())
            if issuer is None
            else (issuer[0].subject, issuer[1], issuer[1].public_key())
        )
        builder = self._skeleton(
            subject, issuer_name, key, issuer_public, not_before, not_after, ca=True
        )
        return builder.sign(signing_key, hashes.SHA256())

    def _make_chain(
        self,
        not_before: datetime,
        not_after: datetime,
        san: tuple[str, ...],
        self_signed: bool,
        untrusted_root: bool,
        leaf_key: LeafKey,
    ) -> bytes:
        key: _PrivateKey = {
            "alexa": self.leaf_key,
            "other": self.other_key,
        }.get(leaf_key) or self._ec()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ALEXA_SAN)])
        issuer_cert: x509.Certificate | None
        issuer_key: _PrivateKey
        if self_signed:
            issuer_cert, issuer_key, issuer_name = None, key, subject
        elif untrusted_root:
            issuer_cert, issuer_key = self.untrusted_root_cert, self.other_key
            issuer_name = issuer_cert.subject
        else:
            issuer_cert, issuer_key = self.intermediate_cert, self.intermediate_key
            issuer_name = issuer_cert.subject
        builder = self._skeleton(
            subject,
            issuer_name,
            key,
            issuer_key.public_key(),
            not_before,
            not_after,
            ca=False,
            key_encipherment=leaf_key != "ec",
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(name) for name in san]), critical=False
            )
        leaf = builder.sign(issuer_key, hashes.SHA256())
        return _pem(leaf) + (b"" if issuer_cert is None else _pem(issuer_cert))


def envelope(
    request_type: str = "LaunchRequest",
    *,
    timestamp: datetime,
    application_id: str = "amzn1.ask.skill.test",
) -> bytes:
    """A minimal, valid Alexa request envelope as the raw bytes Alexa would POST.

    ``timestamp`` is written in Alexa's format (UTC, seconds, ``Z`` suffix). The application id
    appears both in ``session`` and in ``context.System``, as in real requests.
    """
    stamp = timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    application = {"applicationId": application_id}
    user = {"userId": "amzn1.ask.account.TESTUSER"}
    document = {
        "version": "1.0",
        "session": {
            "new": True,
            "sessionId": "amzn1.echo-api.session.test",
            "application": application,
            "user": user,
            "attributes": {},
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": "amzn1.ask.device.TEST", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
            }
        },
        "request": {
            "type": request_type,
            "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
            "timestamp": stamp,
            "locale": "en-US",
        },
    }
    return json.dumps(document).encode("utf-8")
