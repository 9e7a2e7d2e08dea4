"""Lambda behind API Gateway (REST v1, HTTP v2) and an ALB: verification, shapes, health."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import EVENTS, load_event

from skill.app import CornerShopSkill
from skill.config import Settings
from skill.errors import BadRequest, StoreError
from skill.lambda_adapter import LambdaAdapter, event_source
from skill.store.memory import MemoryStore
from skill.testing.alexa_ca import DEFAULT_URL, ThrowawayCA, envelope
from skill.verification import RequestVerifier

AWS = EVENTS / "aws"
SKILL_ID = "amzn1.ask.skill.test"


def aws_event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((AWS / f"{name}.json").read_text())
    return data


@pytest.fixture(scope="module")
def ca() -> ThrowawayCA:
    return ThrowawayCA()


@pytest.fixture
def adapter(make_skill: Callable[..., CornerShopSkill], ca: ThrowawayCA) -> LambdaAdapter:
    skill = make_skill(settings=Settings(store_url="memory://", skill_id=SKILL_ID))
    verifier = RequestVerifier(
        SKILL_ID, trust_roots=ca.root_pem, fetch_cert_chain=ca.fetcher(), clock=lambda: ca.now
    )
    return LambdaAdapter(skill, verifier=verifier.verify)


def http_event(name: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    event = aws_event(name)
    for key in ("headers", "multiValueHeaders"):
        if key in event:
            for k in list(event[key]):
                if k.lower() in ("signature-256", "signaturecertchainurl"):
                    del event[key][k]
    for header, value in headers.items():
        event["headers"][header if name == "apigw_v1" else header.lower()] = value
        if "multiValueHeaders" in event:
            event["multiValueHeaders"][header] = [value]
    if event.get("isBase64Encoded"):
        event["body"] = base64.b64encode(body).decode()
    else:
        event["body"] = body.decode()
    return event


@pytest.mark.parametrize(
    ("name", "source"),
    [("apigw_v1", "apigw-v1"), ("apigw_v2", "apigw-v2"), ("alb", "alb")],
)
def test_event_shapes_are_told_apart(name: str, source: str) -> None:
    assert event_source(aws_event(name)) == source
    assert event_source(load_event("launch")) == "alexa"
    assert event_source({"foo": 1}) == "unknown"


@pytest.mark.parametrize("name", ["apigw_v1", "apigw_v2", "alb"])
def test_signed_request_through_each_front_door(
    adapter: LambdaAdapter, ca: ThrowawayCA, name: str
) -> None:
    body = envelope(timestamp=ca.now, application_id=SKILL_ID)
    out = adapter(http_event(name, body, ca.headers(body)), None)
    assert out["statusCode"] == 200
    assert out["isBase64Encoded"] is False
    data = json.loads(out["body"])
    assert "Welcome to Corner Shop" in data["response"]["outputSpeech"]["ssml"]
    if name == "alb":
        assert out["statusDescription"] == "200 OK"
        assert out["headers"] == {"Content-Type": "application/json"}
    else:
        assert "statusDescription" not in out
        assert out["headers"]["Content-Type"] == "application/json"


@pytest.mark.parametrize("name", ["apigw_v1", "apigw_v2", "alb"])
def test_forged_requests_get_400_through_each_front_door(
    adapter: LambdaAdapter, ca: ThrowawayCA, name: str
) -> None:
    body = envelope(timestamp=ca.now, application_id=SKILL_ID)
    tampered = body.replace(b"LaunchRequest", b"IntentRequest")
    out = adapter(http_event(name, tampered, ca.headers(body)), None)
    assert out["statusCode"] == 400
    assert json.loads(out["body"])["error"]
    stale = envelope(timestamp=ca.now - timedelta(minutes=5), application_id=SKILL_ID)
    assert adapter(http_event(name, stale, ca.headers(stale)), None)["statusCode"] == 400
    bad_url = {"Signature-256": ca.sign(body), "SignatureCertChainUrl": DEFAULT_URL[:-4] + "/x"}
    bad_url["SignatureCertChainUrl"] = "https://evil.example/echo.api/cert.pem"
    assert adapter(http_event(name, body, bad_url), None)["statusCode"] == 400


def test_alb_health_check(adapter: LambdaAdapter) -> None:
    out = adapter(aws_event("alb_healthcheck"), None)
    assert out["statusCode"] == 200
    assert out["statusDescription"] == "200 OK"
    assert json.loads(out["body"]) == {"status": "ok"}


def test_health_check_reports_store_down(make_skill: Callable[..., CornerShopSkill]) -> None:
    class Down(MemoryStore):
        def ping(self) -> None:
            raise StoreError("down")

    adapter = LambdaAdapter(make_skill(store=Down()))
    out = adapter(aws_event("alb_healthcheck"), None)
    assert out["statusCode"] == 503
    assert out["statusDescription"] == "503 Service Unavailable"


def test_wrong_path_method_and_body(adapter: LambdaAdapter, ca: ThrowawayCA) -> None:
    event = aws_event("apigw_v2")
    event["rawPath"] = "/nope"
    assert adapter(event, None)["statusCode"] == 404
    event = aws_event("alb")
    event["httpMethod"] = "GET"
    assert adapter(event, None)["statusCode"] == 405
    event = aws_event("apigw_v2")
    event["body"] = "***not base64***"
    assert adapter(event, None)["statusCode"] == 400
    event = aws_event("apigw_v1")
    event["body"] = "x" * (128 * 1024 + 1)
    assert adapter(event, None)["statusCode"] == 413


def test_verification_off_serves_unsigned_http_events(
    make_skill: Callable[..., CornerShopSkill], ca: ThrowawayCA
) -> None:
    adapter = LambdaAdapter(
        make_skill(settings=Settings(store_url="memory://", verify_requests=False))
    )
    body = envelope(timestamp=ca.now)
    out = adapter(http_event("apigw_v1", body, {}), None)
    assert out["statusCode"] == 200


def test_verification_is_on_by_default_for_http_events(
    make_skill: Callable[..., CornerShopSkill], ca: ThrowawayCA
) -> None:
    adapter = LambdaAdapter(make_skill())  # default settings, default verifier
    body = envelope(timestamp=ca.now)
    out = adapter(http_event("apigw_v2", body, {}), None)
    assert out["statusCode"] == 400


def test_direct_alexa_events_need_no_signature(adapter: LambdaAdapter) -> None:
    event = copy.deepcopy(load_event("launch"))
    event["context"]["System"]["application"]["applicationId"] = SKILL_ID
    out = adapter(event, None)
    assert "Welcome" in out["response"]["outputSpeech"]["ssml"]


def test_unknown_events_are_refused_clearly(adapter: LambdaAdapter) -> None:
    with pytest.raises(BadRequest, match="neither an Alexa request"):
        adapter({"Records": []}, None)


def test_malformed_direct_event_gets_valid_response(
    make_skill: Callable[..., CornerShopSkill],
) -> None:
    adapter = LambdaAdapter(make_skill())
    out = adapter({"version": "1.0", "context": {}, "request": {"no": "type"}}, None)
    assert out["version"] == "1.0"
    assert "something went wrong" in out["response"]["outputSpeech"]["ssml"]


def test_alb_with_multi_value_headers_gets_them_back(
    adapter: LambdaAdapter, ca: ThrowawayCA
) -> None:
    body = envelope(timestamp=ca.now, application_id=SKILL_ID)
    event = http_event("alb", body, {})
    event["multiValueHeaders"] = {k: [v] for k, v in event.pop("headers").items()}
    event["multiValueHeaders"].update({k: [v] for k, v in ca.headers(body).items()})
    event["headers"] = {}
    out = adapter(event, None)
    assert out["statusCode"] == 200
    assert out["multiValueHeaders"] == {"Content-Type": ["application/json"]}
    assert "headers" not in out


def test_fixture_files_are_real_aws_shapes() -> None:
    v1, v2, alb = aws_event("apigw_v1"), aws_event("apigw_v2"), aws_event("alb")
    assert {"resource", "httpMethod", "requestContext", "multiValueHeaders"} <= v1.keys()
    assert v2["version"] == "2.0" and "http" in v2["requestContext"]
    assert "targetGroupArn" in alb["requestContext"]["elb"]
    assert Path(AWS / "alb_healthcheck.json").exists()
