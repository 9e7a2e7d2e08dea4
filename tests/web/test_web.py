"""The Flask app: Amazon's certification matrix through POST /alexa, and HTTP semantics."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from skill.app import build_skill
from skill.config import Settings
from skill.errors import StoreError
from skill.profile import NoProfile
from skill.store.memory import MemoryStore
from skill.testing.alexa_ca import DEFAULT_URL, ThrowawayCA, envelope
from skill.verification import RequestVerifier
from skill.web import MAX_BODY_BYTES, NO_VERIFY_WARNING, create_app

SKILL_ID = "amzn1.ask.skill.test"
BASE = "https://s3.amazonaws.com"


@pytest.fixture(scope="module")
def ca() -> ThrowawayCA:
    return ThrowawayCA()


def app_for(
    ca: ThrowawayCA,
    chain: bytes | None = None,
    *,
    fetch: Callable[[str], bytes] | None = None,
    store: MemoryStore | None = None,
) -> Flask:
    settings = Settings(store_url="memory://", skill_id=SKILL_ID)
    verifier = RequestVerifier(
        SKILL_ID,
        trust_roots=ca.root_pem,
        fetch_cert_chain=fetch or ca.fetcher(chain),
        clock=lambda: ca.now,
    )
    skill = build_skill(settings, store=store or MemoryStore(), profile=NoProfile())
    return create_app(settings, skill=skill, verifier=verifier.verify)


def post(client: FlaskClient, body: bytes, headers: dict[str, str]) -> Any:
    return client.post("/alexa", data=body, headers={**headers, "Content-Type": "application/json"})


def body_at(
    ca: ThrowawayCA, *, shift: float = 0.0, app_id: str = SKILL_ID, kind: str = "LaunchRequest"
) -> bytes:
    return envelope(kind, timestamp=ca.now + timedelta(seconds=shift), application_id=app_id)


def test_valid_signed_request_is_served(ca: ThrowawayCA) -> None:
    body = body_at(ca)
    resp = post(app_for(ca).test_client(), body, ca.headers(body))
    assert resp.status_code == 200
    data = resp.get_json()
    assert "Welcome to Corner Shop" in data["response"]["outputSpeech"]["ssml"]


@pytest.mark.parametrize(
    "url",
    [
        "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://notamazon.com/echo.api/echo-api-cert.pem",
        f"{BASE}/EcHo.aPi/echo-api-cert.pem",
        f"{BASE}/invalid.path/echo-api-cert.pem",
        "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
        f"{BASE}/echo.api/../invalid.path/echo-api-cert.pem",
        "",
    ],
)
def test_bad_certificate_urls_get_400_without_download(ca: ThrowawayCA, url: str) -> None:
    fetch = ca.fetcher()
    body = body_at(ca)
    headers = {"Signature-256": ca.sign(body), "SignatureCertChainUrl": url}
    resp = post(app_for(ca, fetch=fetch).test_client(), body, headers)
    assert resp.status_code == 400
    assert resp.get_json()["error"]
    assert fetch.calls == 0


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
        f"{BASE}/echo.api/../echo.api/echo-api-cert.pem",
    ],
)
def test_good_certificate_url_variants_are_accepted(ca: ThrowawayCA, url: str) -> None:
    body = body_at(ca)
    resp = post(app_for(ca).test_client(), body, ca.headers(body, url))
    assert resp.status_code == 200


def _chain_case(ca: ThrowawayCA, name: str) -> bytes:
    day = timedelta(days=1)
    return {
        "expired leaf": lambda: ca.chain_pem(not_before=ca.now - 30 * day, not_after=ca.now - day),
        "leaf without SAN": lambda: ca.chain_pem(san=()),
        "leaf with other SAN": lambda: ca.chain_pem(san=("example.com",)),
        "self-signed leaf": lambda: ca.chain_pem(self_signed=True),
        "untrusted root": lambda: ca.chain_pem(untrusted_root=True),
        "different key": lambda: ca.chain_pem(leaf_key="other"),
        "garbage PEM": lambda: (
            b"-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n"
        ),
        "not PEM": lambda: b"<html>AccessDenied</html>",
    }[name]()


@pytest.mark.parametrize(
    "case",
    [
        "expired leaf",
        "leaf without SAN",
        "leaf with other SAN",
        "self-signed leaf",
        "untrusted root",
        "different key",
        "garbage PEM",
        "not PEM",
    ],
)
def test_certificate_failures_get_400(ca: ThrowawayCA, case: str) -> None:
    body = body_at(ca)
    resp = post(app_for(ca, _chain_case(ca, case)).test_client(), body, ca.headers(body))
    assert resp.status_code == 400, case
    assert resp.get_json()["error"]


def test_missing_signature_headers_get_400(ca: ThrowawayCA) -> None:
    client = app_for(ca).test_client()
    body = body_at(ca)
    assert post(client, body, {}).status_code == 400
    assert post(client, body, {"SignatureCertChainUrl": DEFAULT_URL}).status_code == 400
    assert post(client, body, {"Signature-256": ca.sign(body)}).status_code == 400


def test_sha1_signature_header_alone_is_not_accepted(ca: ThrowawayCA) -> None:
    body = body_at(ca)
    headers = {"Signature": ca.sign(body), "SignatureCertChainUrl": DEFAULT_URL}
    resp = post(app_for(ca).test_client(), body, headers)
    assert resp.status_code == 400
    assert "Signature-256" in resp.get_json()["error"]


def test_tampered_body_gets_400(ca: ThrowawayCA) -> None:
    body = body_at(ca)
    headers = ca.headers(body)
    tampered = body.replace(b"LaunchRequest", b"LaunchRequesT")
    assert post(app_for(ca).test_client(), tampered, headers).status_code == 400


def test_non_base64_signature_gets_400(ca: ThrowawayCA) -> None:
    body = body_at(ca)
    headers = {"Signature-256": "***not base64***", "SignatureCertChainUrl": DEFAULT_URL}
    assert post(app_for(ca).test_client(), body, headers).status_code == 400


@pytest.mark.parametrize("shift", [-151, 151])
def test_stale_and_future_timestamps_get_400(ca: ThrowawayCA, shift: int) -> None:
    body = body_at(ca, shift=shift)
    resp = post(app_for(ca).test_client(), body, ca.headers(body))
    assert resp.status_code == 400
    assert "timestamp" in resp.get_json()["error"].lower()


def test_wrong_application_id_gets_400(ca: ThrowawayCA) -> None:
    body = body_at(ca, app_id="amzn1.ask.skill.someone-else")
    assert post(app_for(ca).test_client(), body, ca.headers(body)).status_code == 400


def test_fetch_timeout_gets_400(ca: ThrowawayCA) -> None:
    def timeout(url: str) -> bytes:
        from skill.errors import VerificationError

        raise VerificationError("Downloading the certificate chain timed out.")

    body = body_at(ca)
    assert post(app_for(ca, fetch=timeout).test_client(), body, ca.headers(body)).status_code == 400


def test_signed_garbage_body_gets_400(ca: ThrowawayCA) -> None:
    body = b"this is not json"
    assert post(app_for(ca).test_client(), body, ca.headers(body)).status_code == 400


def test_signed_json_that_is_not_an_envelope_gets_400(ca: ThrowawayCA) -> None:
    stamp = ca.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    doc = {
        "request": {"timestamp": stamp, "type": 5},
        "context": {"System": {"application": {"applicationId": SKILL_ID}}},
    }
    body = json.dumps(doc).encode()
    resp = post(app_for(ca).test_client(), body, ca.headers(body))
    assert resp.status_code == 400


def test_concurrent_first_requests_download_once(ca: ThrowawayCA) -> None:
    import threading

    fetch = ca.fetcher(delay=0.2)
    app = app_for(ca, fetch=fetch)
    statuses: list[int] = []

    def one() -> None:
        body = body_at(ca)
        statuses.append(post(app.test_client(), body, ca.headers(body)).status_code)

    threads = [threading.Thread(target=one) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert statuses == [200] * 12
    assert fetch.calls == 1


def test_other_methods_get_405_and_large_bodies_413(ca: ThrowawayCA) -> None:
    client = app_for(ca).test_client()
    for method in ("get", "put", "delete"):
        resp = getattr(client, method)("/alexa")
        assert resp.status_code == 405
        assert resp.get_json()["error"]
    resp = client.post("/alexa", data=b"x" * (MAX_BODY_BYTES + 1))
    assert resp.status_code == 413


def test_healthz_reports_store_state(ca: ThrowawayCA) -> None:
    class Down(MemoryStore):
        def ping(self) -> None:
            raise StoreError("down")

    assert app_for(ca).test_client().get("/healthz").get_json() == {"status": "ok"}
    resp = app_for(ca, store=Down()).test_client().get("/healthz")
    assert resp.status_code == 503


def test_simulator_page_is_absent_in_production(ca: ThrowawayCA) -> None:
    client = app_for(ca).test_client()
    assert client.get("/").status_code == 404
    assert client.post("/dev/say", json={"utterance": "add milk"}).status_code == 404


def test_verification_off_warns_loudly(capsys: pytest.CaptureFixture[str]) -> None:
    app = create_app({"store_url": "memory://", "verify_requests": False})
    assert NO_VERIFY_WARNING in capsys.readouterr().err
    body = envelope(timestamp=datetime.now().astimezone())
    assert app.test_client().post("/alexa", data=body).status_code == 200


def test_verification_is_on_by_default() -> None:
    app = create_app({"store_url": "memory://"})
    body = envelope(timestamp=datetime.now().astimezone())
    resp = app.test_client().post("/alexa", data=body)
    assert resp.status_code == 400


def test_unknown_settings_are_a_clear_error() -> None:
    from skill.errors import ConfigError

    with pytest.raises(ConfigError, match="Unknown setting"):
        create_app({"store": "memory://"})


def test_server_fault_after_parsing_gets_500_with_valid_alexa_apology(ca: ThrowawayCA) -> None:
    settings = Settings(store_url="memory://", verify_requests=False)
    skill = build_skill(settings, store=MemoryStore(), profile=NoProfile())
    skill.handle = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("bug"))  # type: ignore[method-assign]
    app = create_app(settings, skill=skill)
    resp = app.test_client().post("/alexa", data=body_at(ca))
    assert resp.status_code == 500
    data = resp.get_json()
    assert data["version"] == "1.0"
    assert "something went wrong" in data["response"]["outputSpeech"]["ssml"]
    assert "bug" not in resp.get_data(as_text=True)
