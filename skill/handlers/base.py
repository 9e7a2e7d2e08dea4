"""What every handler shares: the services it may use and a per-request :class:`Turn`.

Handlers get their dependencies through :class:`Services` at build time; none
reads a global. A :class:`Turn` wraps one request: locale, messages, catalog (the
shop's, through :class:`~skill.catalog_source.CatalogSource`), the (untrusted)
session attributes and helpers that always set ``shouldEndSession`` on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Intent, Response, Slot

from skill.config import Settings
from skill.domain.cart import MAX_PER_LINE
from skill.domain.catalog import Catalog, Item
from skill.domain.money import Money
from skill.errors import InvalidQuantity, UnknownItem
from skill.profile import NameLookup
from skill.speech import Messages, messages_for
from skill.speech.ssml import escape
from skill.store.base import Store

if TYPE_CHECKING:
    from ask_sdk_model.ui import Card

    from skill.catalog_source import CatalogSource
    from skill.domain.hours import OpeningHours

ER_MATCH = "ER_SUCCESS_MATCH"
#: Beside "pending" while the checkout question is open: a fingerprint of the answer
#: the customer is asked to confirm (skill.domain.orders.CheckoutReview.quote).
QUOTE_KEY = "checkout_quote"
#: The session attributes the skill writes; anything else a client sends back is dropped.
SESSION_KEYS = ("pending", QUOTE_KEY, "last_spoken", "asked_name_permission")
MAX_SESSION_BYTES = 12 * 1024
PENDING_KINDS = frozenset({"checkout", "clear", "add", "alternative", "checkout_offer"})
_QUOTE = re.compile(r"[0-9a-f]{16}")
_QUANTITY = re.compile(r"[0-9]{1,2}")
_MAX_SLOT_CHARS = 200
_MAX_SLOT_NAME = 64
_MAX_SLOTS = 16


def capitalized(text: str) -> str:
    """``oat milk`` -> ``Oat milk`` at the start of a sentence (German nouns already are)."""
    return text[:1].upper() + text[1:]


class Services:
    """What handlers may use, given once at build time (no globals)."""

    __slots__ = ("catalogs", "clock", "profile", "settings", "store")

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        profile: NameLookup,
        clock: Callable[[], datetime],
        catalogs: CatalogSource,
    ) -> None:
        self.settings = settings
        self.store = store
        self.profile = profile
        self.clock = clock
        self.catalogs = catalogs


class Turn:
    """One request, seen from a handler."""

    def __init__(self, handler_input: HandlerInput, services: Services) -> None:
        self.hi = handler_input
        self.services = services
        self.envelope = handler_input.request_envelope
        self.request = self.envelope.request
        self.locale: str = self.request.locale or "en-US"
        self.msg: Messages = messages_for(self.locale)
        self.session: dict[str, Any] = {}
        if self.envelope.session is not None:  # out-of-session requests have none
            attrs = handler_input.attributes_manager.session_attributes
            if isinstance(attrs, dict):  # attributes come back from the client: untrusted
                self.session = attrs
            else:
                handler_input.attributes_manager.session_attributes = self.session

    # -- the shop --------------------------------------------------------------
    @cached_property
    def catalog(self) -> Catalog:
        """The shop's catalog for this locale, read once per request (lazily: requests
        that never look at it, such as SessionEndedRequest, never read it)."""
        return self.services.catalogs.catalog_for(self.msg.locale)

    @cached_property
    def hours(self) -> OpeningHours:
        return self.services.catalogs.hours()

    @property
    def zone(self) -> tzinfo:
        return self.services.settings.zone

    # -- identity ------------------------------------------------------------
    @property
    def user_id(self) -> str:
        system = self.envelope.context.system if self.envelope.context else None
        user = (system.user if system else None) or (
            self.envelope.session.user if self.envelope.session else None
        )
        uid = getattr(user, "user_id", None)
        return str(uid) if uid else "anonymous"

    @property
    def request_id(self) -> str:
        return str(self.request.request_id or "")

    @property
    def store(self) -> Store:
        return self.services.store

    # -- pending question (untrusted input: validate every field) -------------
    @property
    def pending(self) -> dict[str, str] | None:
        raw = self.session.get("pending")
        if not isinstance(raw, dict) or raw.get("kind") not in PENDING_KINDS:
            return None
        kind = str(raw["kind"])
        if kind in ("add", "alternative"):
            item = raw.get("item")
            if not isinstance(item, str) or item not in self.catalog:
                return None
            pending = {"kind": kind, "item": item}
            quantity = raw.get("quantity")
            if (
                isinstance(quantity, str)
                and _QUANTITY.fullmatch(quantity)
                and 1 <= int(quantity) <= MAX_PER_LINE
            ):
                pending["quantity"] = quantity
            return pending
        return {"kind": kind}

    @property
    def quote(self) -> str | None:
        """The fingerprint of the checkout answer pending, if the question was asked."""
        raw = self.session.get(QUOTE_KEY)
        pending = self.session.get("pending")
        if not isinstance(pending, dict) or pending.get("kind") != "checkout":
            return None
        return raw if isinstance(raw, str) and _QUOTE.fullmatch(raw) else None

    def set_pending(self, kind: str, *, quote: str | None = None, **data: str) -> None:
        self.session["pending"] = {"kind": kind, **data}
        if quote is not None:
            self.session[QUOTE_KEY] = quote
        else:
            self.session.pop(QUOTE_KEY, None)

    def clear_pending(self) -> None:
        self.session.pop("pending", None)
        self.session.pop(QUOTE_KEY, None)

    # -- slots ---------------------------------------------------------------
    @property
    def intent(self) -> Intent | None:
        return getattr(self.request, "intent", None)

    def slot(self, name: str) -> Slot | None:
        intent = self.intent
        slots = getattr(intent, "slots", None) if intent is not None else None
        if not isinstance(slots, dict):
            return None
        slot = slots.get(name)
        return slot if isinstance(slot, Slot) else None

    def slot_text(self, name: str) -> str | None:
        slot = self.slot(name)
        value = getattr(slot, "value", None)
        if not isinstance(value, str):
            return None
        value = value.strip()[:_MAX_SLOT_CHARS]
        return value or None

    def item_slot(self, name: str = "Item") -> Item | None:
        """The catalog item a slot names; None if the slot is empty.

        Uses entity resolution when Alexa matched an id, else matches the
        spoken value against names and synonyms. Raises UnknownItem otherwise,
        also for an id Alexa still resolves (its model lags the shop's catalog)
        that the catalog no longer has. Out-of-stock items are returned: the
        caller says they are out of stock.
        """
        slot = self.slot(name)
        resolutions = getattr(getattr(slot, "resolutions", None), "resolutions_per_authority", None)
        resolved_name: str | None = None
        for authority in resolutions or ():
            status = getattr(getattr(authority, "status", None), "code", None)
            code = getattr(status, "value", status)
            if code != ER_MATCH:
                continue
            for wrapper in authority.values or ():
                value = getattr(wrapper, "value", None)
                item_id = getattr(value, "id", None)
                item = self.catalog.get(item_id) if isinstance(item_id, str) else None
                if item is not None:
                    return item
                label = getattr(value, "name", None)
                if resolved_name is None and isinstance(label, str) and label.strip():
                    resolved_name = label.strip()[:_MAX_SLOT_CHARS]
        spoken = self.slot_text(name)
        if spoken is None:
            if resolved_name is not None:
                raise UnknownItem(resolved_name)
            return None
        item = self.catalog.find(spoken)
        if item is None:
            raise UnknownItem(spoken)
        return item

    def quantity_slot(self, name: str = "Quantity") -> int | None:
        """A positive whole quantity, None if not said; InvalidQuantity for 0, negatives, '?'."""
        text = self.slot_text(name)
        if text is None:
            return None
        if len(text) > 6 or not text.lstrip("-").isdigit():
            raise InvalidQuantity(f"{text!r} is not a whole number.")
        value = int(text)
        if value < 1:
            raise InvalidQuantity(f"{value} is below one.")
        return value

    def say(self, money: Money) -> str:
        """Money as it should be spoken in this locale (cards use ``money.display()``)."""
        return money.spoken(self.msg.language)

    # -- responses -----------------------------------------------------------
    def ask(
        self,
        speech: str,
        reprompt: str,
        *,
        card: Card | None = None,
        directive: Any | None = None,
    ) -> Response:
        rb = self.hi.response_builder
        rb.speak(escape(speech)).ask(escape(reprompt))
        if card is not None:
            rb.set_card(card)
        if directive is not None:
            rb.add_directive(directive)
        rb.set_should_end_session(False)
        return rb.response

    def tell(self, speech: str, *, card: Card | None = None) -> Response:
        rb = self.hi.response_builder
        rb.speak(escape(speech))
        if card is not None:
            rb.set_card(card)
        rb.set_should_end_session(True)
        self.clear_pending()
        return rb.response

    def elicit(self, slot_name: str, speech: str, reprompt: str) -> Response:
        """Ask for one slot of the current intent (Dialog.ElicitSlot), keeping the others."""
        from ask_sdk_model.dialog import ElicitSlotDirective  # rare: keep off cold start

        intent = self.intent
        assert intent is not None
        # Rebuild the slots from what we trust: the slot being asked for starts empty, and
        # nothing oversized from the request is echoed back (Alexa caps a reply at 24 KB).
        slots: dict[str, Slot] = {}
        for name, slot in list((intent.slots or {}).items())[:_MAX_SLOTS]:
            if not isinstance(name, str) or len(name) > _MAX_SLOT_NAME:
                continue
            value = getattr(slot, "value", None)
            keep = name != slot_name and isinstance(value, str) and len(value) <= _MAX_SLOT_CHARS
            slots[name] = Slot(
                name=name,
                value=value if keep else None,
                confirmation_status=getattr(slot, "confirmation_status", None),
            )
        updated = Intent(
            name=intent.name, slots=slots, confirmation_status=intent.confirmation_status
        )
        return self.ask(
            speech,
            reprompt,
            directive=ElicitSlotDirective(updated_intent=updated, slot_to_elicit=slot_name),
        )

    def silent(self) -> Response:
        """An empty response, for requests that must get no speech."""
        return self.hi.response_builder.response


class ShopHandler(AbstractRequestHandler):  # type: ignore[misc]
    """A handler for one request type and, for intents, a set of intent names."""

    request_type: ClassVar[str] = "IntentRequest"
    intents: ClassVar[frozenset[str]] = frozenset()
    #: Yes/No/Help/Repeat/Fallback answer around a pending question; all others drop it.
    keeps_pending: ClassVar[bool] = False

    def __init__(self, services: Services) -> None:
        self.services = services

    def can_handle(self, handler_input: HandlerInput) -> bool:
        request = handler_input.request_envelope.request
        if request.object_type != self.request_type:
            return False
        if not self.intents:
            return True
        return getattr(getattr(request, "intent", None), "name", None) in self.intents

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = Turn(handler_input, self.services)
        if not self.keeps_pending:
            turn.clear_pending()
        return self.respond(turn)

    def respond(self, turn: Turn) -> Response:
        raise NotImplementedError
