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
from skill.domain.catalog import Catalog, Item, normalise
from skill.domain.money import Money
from skill.domain.quantity import ONE, UNITS, Said, unit_of
from skill.errors import UnknownItem
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
#: The catalog id of the item just added, removed, changed, priced, asked about or offered:
#: what "make that five" and "one more" mean.
LAST_ITEM_KEY = "last_item"
#: The session attributes the skill writes; anything else a client sends back is dropped.
SESSION_KEYS = ("pending", QUOTE_KEY, "last_spoken", "asked_name_permission", LAST_ITEM_KEY)
MAX_SESSION_BYTES = 12 * 1024
#: What a "yes" or "no" answers. ``more``: "What else would you like?" after a cart
#: change (no offers checkout); ``cancel_order``: "Shall I cancel order N?" (``order``).
PENDING_KINDS = frozenset(
    {"checkout", "clear", "add", "alternative", "checkout_offer", "more", "cancel_order"}
)
#: The kinds that are a yes/no question: help repeats them, cancel drops just the question.
YES_NO_KINDS = PENDING_KINDS - {"more"}
_QUOTE = re.compile(r"[0-9a-f]{16}")
_QUANTITY = re.compile(r"[0-9]{1,2}")
_ORDER_NUMBER = re.compile(r"[0-9]{1,12}")
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
        #: Names of unknown items that are catalog names (said as they are, no plural).
        self._catalog_names: set[str] = set()
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
        if kind == "cancel_order":
            order = raw.get("order")
            if not isinstance(order, str) or not _ORDER_NUMBER.fullmatch(order):
                return None
            return {"kind": kind, "order": order}
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

    # -- what the conversation is about (untrusted input: a catalog id or nothing) ---
    @property
    def last_item(self) -> Item | None:
        """The item just added, removed, changed, priced, asked about or offered."""
        raw = self.session.get(LAST_ITEM_KEY)
        return self.catalog.get(raw) if isinstance(raw, str) else None

    def remember(self, item: Item) -> None:
        self.session[LAST_ITEM_KEY] = item.id

    # -- slots ---------------------------------------------------------------
    @property
    def intent(self) -> Intent | None:
        return getattr(self.request, "intent", None)

    @property
    def answering(self) -> bool:
        """Whether this request answers our own Dialog.ElicitSlot (dialogState IN_PROGRESS)."""
        state = getattr(self.request, "dialog_state", None)
        return getattr(state, "value", state) == "IN_PROGRESS"

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
                self._catalog_names.add(resolved_name)
                raise UnknownItem(resolved_name)
            return None
        item = self.catalog.find(spoken)
        if item is None:
            raise UnknownItem(spoken)
        return item

    def slot_id(self, name: str, words: str) -> str | None:
        """The id a slot of a custom type resolved to (entity resolution), else the id
        the locale's word table ``words`` (``quantity_words``, ``unit_words``) gives the
        spoken value; ``"?"`` for a value that matches neither, None for no value."""
        slot = self.slot(name)
        resolutions = getattr(getattr(slot, "resolutions", None), "resolutions_per_authority", None)
        for authority in resolutions or ():
            status = getattr(getattr(authority, "status", None), "code", None)
            if getattr(status, "value", status) != ER_MATCH:
                continue
            for wrapper in authority.values or ():
                value_id = getattr(getattr(wrapper, "value", None), "id", None)
                if isinstance(value_id, str) and value_id:
                    return value_id[:_MAX_SLOT_NAME]
        spoken = self.slot_text(name)
        if spoken is None:
            return None
        return self.msg.word_ids(words).get(" ".join(spoken.lower().split()), "?")

    def said(self, suffix: str = "", *, item: Item | None = None) -> Said:
        """The quantity part of one item: ``Quantity``/``Amount``/``Unit`` (``suffix``
        "2": ``Quantity2``, ``Amount2``; items 2 and 3 have no unit slot).

        Read as a shop assistant would hear it, whatever slot the words landed in: a
        quantity word heard as a unit ("a dozen" as Amount=a, Unit=dozen) is the amount,
        and a unit said as part of the item ("pint of milk", "Flasche Milch", when that
        is not one of the item's own names) is the unit."""
        number = self.slot_text(f"Quantity{suffix}")
        amount = self.slot_id(f"Amount{suffix}", "quantity_words")
        unit = self.slot_id(f"Unit{suffix}", "unit_words")
        if unit is not None and unit not in UNITS:
            spoken = " ".join((self.slot_text(f"Unit{suffix}") or "").lower().split())
            heard = self.msg.word_ids("quantity_words").get(spoken)
            if heard is not None and amount in (None, ONE):
                amount, unit = heard, None
        if unit is None and item is not None:
            unit = self._unit_in_item(f"Item{suffix}", item)
        return Said(number=number, amount=amount, unit=unit)

    def _unit_in_item(self, slot: str, item: Item) -> str | None:
        spoken = self.slot_text(slot)
        if spoken is None:
            return None
        words = normalise(spoken).split()
        if len(words) < 2 or normalise(spoken) in {normalise(f) for f in item.spoken_forms}:
            return None
        unit = self.msg.word_ids("unit_words").get(words[0])
        return unit if unit in UNITS else None

    def sold_in(self, item: Item) -> str | None:
        """The unit id ``item`` is sold in (skill.domain.quantity.unit_of)."""
        return unit_of(item.unit, self.msg.word_ids("unit_words"))

    def unknown_name(self, exc: UnknownItem) -> str:
        """How to name an item the shop doesn't sell: in the plural ("unicorns"), unless
        it is a name of the shop's own catalog that Alexa's model still resolves."""
        if exc.spoken in self._catalog_names:
            return exc.spoken
        return self.msg.plural(exc.spoken)

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

    def elicit(
        self,
        slot_name: str,
        speech: str,
        reprompt: str,
        *,
        clear: tuple[str, ...] = (),
        values: dict[str, str] | None = None,
        only: bool = False,
    ) -> Response:
        """Ask for one slot of the current intent (Dialog.ElicitSlot), keeping the others
        except those in ``clear``. ``values`` replace slot values (the item's own name, so
        the answer finds it again); with ``only``, the updated intent holds nothing else
        (one item of several, asked about alone)."""
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
            if values is not None and (only or name in values):
                value = values.get(name)
            keep = (
                name != slot_name
                and name not in clear
                and isinstance(value, str)
                and len(value) <= _MAX_SLOT_CHARS
            )
            slots[name] = Slot(
                name=name,
                value=value if keep else None,
                confirmation_status=getattr(slot, "confirmation_status", None),
            )
        for name, value in (values or {}).items():
            if name not in slots:  # e.g. "make that five": the item came from the session
                slots[name] = Slot(name=name, value=value, confirmation_status="NONE")
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
