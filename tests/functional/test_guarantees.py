"""No lost updates, idempotent checkout, storage failures, foreign skills and bad envelopes."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Conversation, speech_of

from skill.app import CornerShopSkill
from skill.config import Settings
from skill.domain.cart import Cart
from skill.errors import BadRequest, ForeignSkillError, StoreError
from skill.store.memory import MemoryStore
from skill.store.sqlite import SQLiteStore

Event = Callable[..., dict[str, Any]]
USER = "amzn1.ask.account.AEXAMPLEUSERID0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
EIGHT_ITEMS = ["apples", "bananas", "oranges", "lemons", "avocados", "tomatoes", "milk", "eggs"]


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_eight_threads_of_25_adds_land_exactly_200_items(
    make_skill: Callable[..., CornerShopSkill], event: Event, tmp_path: Path, backend: str
) -> None:
    # GIVEN one user and 8 threads, each sending 25 Add requests through the skill
    store = MemoryStore() if backend == "memory" else SQLiteStore(tmp_path / "c.db")
    skill = make_skill(store=store)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker(item: str) -> None:
        start.wait()
        for i in range(25):
            try:
                out = skill.handle(
                    event("add_item_spoken_only", slots={"Item": item}, request_id=f"{item}-{i}")
                )
                assert speech_of(out).startswith("Added 1 ")
            except BaseException as exc:  # collected and re-raised in the main thread
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(item,)) for item in EIGHT_ITEMS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # THEN every add landed: 200 items, 25 per line
    assert not errors, errors[:3]
    cart = store.get_cart(USER)
    assert cart.count == 200
    assert sorted(line.quantity for line in cart.lines) == [25] * 8


def test_concurrent_yes_to_checkout_makes_one_order(
    make_skill: Callable[..., CornerShopSkill], event: Event, tmp_path: Path
) -> None:
    store = SQLiteStore(tmp_path / "c.db")
    skill = make_skill(store=store)
    talk = Conversation(skill, event)
    talk.send("add_item")
    talk.send("checkout")
    pending = talk.attributes
    start = threading.Barrier(6)
    speeches: list[str] = []

    def worker(i: int) -> None:
        start.wait()
        out = skill.handle(event("yes", attributes=pending, request_id=f"yes-{i}"))
        speeches.append(speech_of(out))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(store.list_orders()) == 1
    assert sum("checked out" in s for s in speeches) == 1
    assert sum("nothing to check out" in s for s in speeches) == 5


class BrokenStore(MemoryStore):
    """A store whose every call fails, as when the database is unreachable."""

    def __init__(self) -> None:
        super().__init__()
        self.broken = True

    def _check(self) -> None:
        if self.broken:
            raise StoreError("The test store is down.")

    def get_cart(self, user_id: str) -> Cart:
        self._check()
        return super().get_cart(user_id)

    def update_cart(self, user_id: str, change: Any, *, request_id: str = "") -> Cart:
        self._check()
        return super().update_cart(user_id, change, request_id=request_id)

    def place_order(self, user_id: str, request_id: str, make_order: Any) -> Any:
        self._check()
        return super().place_order(user_id, request_id, make_order)

    def last_order(self, user_id: str) -> Any:
        self._check()
        return super().last_order(user_id)


@pytest.mark.parametrize("name", ["launch", "add_item", "list_cart", "checkout", "last_order"])
def test_storage_failure_gets_spoken_apology(
    make_skill: Callable[..., CornerShopSkill], event: Event, name: str
) -> None:
    skill = make_skill(store=BrokenStore())
    out = skill.handle(event(name))
    assert speech_of(out) == "Sorry, I couldn't reach your cart just now. Please try again."
    assert out["response"]["shouldEndSession"] is False
    assert "reprompt" in out["response"]


def test_checkout_failure_keeps_pending_question_and_recovers(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    store = BrokenStore()
    store.broken = False
    talk = Conversation(make_skill(store=store), event)
    talk.send("add_item")
    talk.send("checkout")
    # WHEN the store fails while placing the order
    store.broken = True
    talk.send("yes")
    assert "couldn't reach your cart" in talk.speech
    assert talk.attributes["pending"] == {"kind": "checkout"}
    # THEN no order exists, the cart is intact, and "yes" works once the store is back
    store.broken = False
    assert store.list_orders() == []
    assert store.get_cart(USER).count == 2
    talk.send("yes", request_id="retry")
    assert "Order 1001" in talk.speech
    assert len(store.list_orders()) == 1


def test_sqlite_locked_database_gets_apology_and_no_partial_write(
    make_skill: Callable[..., CornerShopSkill], event: Event, tmp_path: Path
) -> None:
    path = tmp_path / "locked.db"
    store = SQLiteStore(path, busy_timeout_ms=100)
    skill = make_skill(store=store)
    talk = Conversation(skill, event)
    talk.send("add_item")
    talk.send("checkout")
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        talk.send("yes")
        assert "couldn't reach your cart" in talk.speech
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.list_orders() == []
    assert store.get_cart(USER).count == 2
    talk.send("yes", request_id="after-unlock")
    assert "Order 1001" in talk.speech


def test_unexpected_exception_gets_generic_apology(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    class Exploding(MemoryStore):
        def get_cart(self, user_id: str) -> Cart:
            raise RuntimeError("boom: secret internals")

    out = make_skill(store=Exploding()).handle(event("list_cart"))
    assert speech_of(out) == "Sorry, something went wrong on my side. Please try that again."
    assert "boom" not in str(out)


def test_foreign_skill_id_is_refused_before_storage(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    class Untouchable(MemoryStore):
        def get_cart(self, user_id: str) -> Cart:
            raise AssertionError("storage touched")

    skill = make_skill(
        settings=Settings(store_url="memory://", skill_id="amzn1.ask.skill.other"),
        store=Untouchable(),
    )
    with pytest.raises(ForeignSkillError, match="does not match ALEXA_SKILL_ID"):
        skill.handle(event("launch"))


def test_configured_skill_id_read_from_context_when_session_absent(
    make_skill: Callable[..., CornerShopSkill], event: Event
) -> None:
    skill_id = "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"
    skill = make_skill(settings=Settings(store_url="memory://", skill_id=skill_id))
    out = skill.handle(event("exception_encountered"))  # has no session
    assert out["response"] == {}


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1,2]", b'{"request": 5}', b'{"request": {"type": 7}}', b"\xff\xfe"],
)
def test_non_envelopes_raise_bad_request(skill: CornerShopSkill, body: bytes) -> None:
    with pytest.raises(BadRequest):
        skill.handle_json(body)


def test_envelope_the_sdk_cannot_read_gets_valid_apology(
    skill: CornerShopSkill, event: Event
) -> None:
    env = event("add_item")
    env["request"]["timestamp"] = "not a time"
    out = skill.handle(env)
    assert "something went wrong" in speech_of(out)
    assert out["response"]["shouldEndSession"] is False


def test_session_ended_with_new_reason_value_is_still_silent(
    skill: CornerShopSkill, event: Event
) -> None:
    env = event("session_ended")
    env["request"]["reason"] = "SOME_FUTURE_REASON"
    assert skill.handle(env)["response"] == {}
