"""Lambda SnapStart runtime hooks: warm up before the snapshot, renew after each restore.

With SnapStart (``EnableSnapStart=true`` in lambda/template.yaml) Lambda runs the init
phase once per published version, snapshots the execution environment's memory, and
starts every later environment of that version from the snapshot. Two consequences:

* What init leaves loaded costs nothing at a cold start. :func:`before_snapshot` runs
  the code every request runs (the SDK's parsing and serialising, which load the ASK
  models lazily, dispatch, the catalog and messages of every locale) on requests the
  skill answers from the catalog and its messages alone: a CanFulfillIntentRequest and
  an ``AMAZON.FallbackIntent`` per locale. The requests and cards whose handlers read
  the store (a launch, an added item, a session's end, the cart and receipt cards) are
  only parsed. It touches no store and no network, and makes no user's data; it loads
  neither hashlib nor ssl itself (botocore does, at init, in DynamoDB mode).
* Whatever init made that must be unique per execution environment is shared by all
  of them. :func:`after_restore` reseeds :mod:`random`'s global generator (botocore's
  retry jitter draws from it: environments restored together would otherwise back off
  in lockstep), mixes fresh
  entropy into OpenSSL's generator when :mod:`ssl` is loaded (with botocore it is, and
  its generator state is then in the snapshot), and renews the store's client,
  connections, credentials and jitter (:meth:`~skill.app.CornerShopSkill.renew_after_restore`).
  Tokens, ids and request ids come from :mod:`secrets` and :mod:`uuid` (the OS's
  generator), which need no renewal. The profile client's TLS context is made on the
  first checkout that asks for a name, never during init, so no snapshot holds one.

The hooks are registered with ``snapshot_restore_py``, which Lambda's Python 3.12+
managed runtimes ship; this module is its one home, and imports it only in
:func:`register`. Where it is absent (tests, the CLI, a web server) :func:`register`
does nothing; where it is present but SnapStart is off, Lambda never calls the hooks.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from skill.logs import get_logger

if TYPE_CHECKING:
    from skill.app import CornerShopSkill
    from skill.lambda_adapter import LambdaAdapter

__all__ = ["HOOKS_MODULE", "after_restore", "before_snapshot", "register", "warmup_events"]

HOOKS_MODULE = "snapshot_restore_py"

# Made-up ids, so that nothing warmed belongs to a real user, device or request.
_WARMUP_USER = "amzn1.ask.account.SNAPSTART-WARMUP"
_WARMUP_SKILL = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
_log = get_logger("snapstart")


def register(adapter: LambdaAdapter) -> bool:
    """Register the hooks for ``adapter`` (the function's one LambdaAdapter).

    Returns False, registering nothing, where ``snapshot_restore_py`` is not installed.
    """
    try:
        hooks = importlib.import_module(HOOKS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != HOOKS_MODULE:
            raise  # the library is there but broken: say so, don't hide it
        return False
    hooks.register_before_snapshot(before_snapshot, adapter)
    hooks.register_after_restore(after_restore, adapter.skill)
    return True


def warmup_events(locale: str, skill_id: str | None) -> dict[str, list[dict[str, Any]]]:
    """Envelopes for one locale: ``handled`` requests go through the whole skill (no
    store); ``requests`` and ``responses`` only through the SDK's deserializer (their
    handlers read the store)."""
    application = {"applicationId": skill_id or _WARMUP_SKILL}
    system = {
        "application": application,
        "user": {"userId": _WARMUP_USER},
        "device": {"deviceId": "amzn1.ask.device.SNAPSTART-WARMUP", "supportedInterfaces": {}},
        # No apiAccessToken: nothing may call the Alexa APIs during warm-up.
        "apiEndpoint": "https://api.amazonalexa.com",
    }
    # Devices with a screen describe it in every request.
    viewport = {
        "type": "APL",
        "id": "main",
        "shape": "RECTANGLE",
        "dpi": 213,
        "presentationType": "STANDARD",
        "canRotate": False,
        "configuration": {
            "current": {
                "mode": "HUB",
                "video": {"codecs": ["H_264_42"]},
                "size": {"type": "DISCRETE", "pixelWidth": 1280, "pixelHeight": 800},
            }
        },
    }
    session = {
        "new": True,
        "sessionId": "amzn1.echo-api.session.SNAPSTART-WARMUP",
        "application": application,
        "attributes": {},
        "user": {"userId": _WARMUP_USER},
    }

    def envelope(request: dict[str, Any], with_session: bool = True) -> dict[str, Any]:
        body = {
            "requestId": f"amzn1.echo-api.request.SNAPSTART-WARMUP-{request['type']}",
            "locale": locale,
            "timestamp": "2026-01-01T00:00:00Z",
            **request,
        }
        context = {"System": system, "Viewports": [viewport]}
        out: dict[str, Any] = {"version": "1.0", "context": context, "request": body}
        if with_session:
            out["session"] = session
        return out

    item = {
        "name": "Item",
        "value": "apples",
        "confirmationStatus": "NONE",
        "resolutions": {
            "resolutionsPerAuthority": [
                {
                    "authority": f"amzn1.er-authority.echo-sdk.{application['applicationId']}"
                    ".CatalogItem",
                    "status": {"code": "ER_SUCCESS_MATCH"},
                    "values": [{"value": {"name": "apple", "id": "apple"}}],
                }
            ]
        },
    }
    intent = {"name": "AddItemIntent", "confirmationStatus": "NONE", "slots": {"Item": item}}
    return {
        "handled": [
            envelope({"type": "CanFulfillIntentRequest", "intent": intent}, with_session=False),
            envelope(
                {
                    "type": "IntentRequest",
                    "dialogState": "STARTED",
                    "intent": {"name": "AMAZON.FallbackIntent", "confirmationStatus": "NONE"},
                }
            ),
        ],
        "requests": [
            envelope({"type": "LaunchRequest"}),
            envelope({"type": "IntentRequest", "dialogState": "COMPLETED", "intent": intent}),
            envelope({"type": "SessionEndedRequest", "reason": "USER_INITIATED"}),
        ],
        "responses": [
            {"version": "1.0", "response": {"card": card}}
            for card in (
                {"type": "Simple", "title": "Corner Shop", "content": "-"},
                {"type": "Standard", "title": "Corner Shop", "text": "-"},
                {
                    "type": "AskForPermissionsConsent",
                    "permissions": ["alexa::profile:given_name:read"],
                },
            )
        ],
    }


def before_snapshot(adapter: LambdaAdapter) -> None:
    """Run the request path once per locale, touching no store and no network."""
    from ask_sdk_core.serialize import DefaultSerializer

    from skill.speech import available_locales

    started = time.perf_counter()
    serializer = DefaultSerializer()
    locales = available_locales()
    # The bundled catalog, not the shop's: no store call before the snapshot, and no shop
    # data in it that could be stale when an environment is restored from it.
    with adapter.skill.catalogs.offline():
        for locale in locales:
            for event in warmup_events(locale, adapter.skill.settings.skill_id)["handled"]:
                adapter(event, None)
    for locale in locales:
        events = warmup_events(locale, adapter.skill.settings.skill_id)
        for event in events["requests"]:
            serializer.deserialize(json.dumps(event), "ask_sdk_model.RequestEnvelope")
        for response in events["responses"]:
            serializer.deserialize(json.dumps(response), "ask_sdk_model.ResponseEnvelope")
    _log.info(
        "warmed up %d locales before the snapshot in %.0f ms",
        len(locales),
        (time.perf_counter() - started) * 1000,
    )


def after_restore(skill: CornerShopSkill) -> None:
    """Renew what every environment restored from one snapshot would otherwise share."""
    import random  # only here: a cold start without SnapStart never pays for it (~5 ms)

    random.seed(os.urandom(32))
    ssl = sys.modules.get("ssl")
    if ssl is not None:
        # OpenSSL's generator was seeded before the snapshot; add entropy of this
        # environment, so TLS handshakes from two restored environments differ.
        ssl.RAND_add(os.urandom(32), 32.0)
    skill.renew_after_restore()
    _log.info("restored from a snapshot: random state and store connections renewed")
