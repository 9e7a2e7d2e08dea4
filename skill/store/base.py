"""The one storage interface the handlers use.

A store holds, for one shop: each user's cart, each user's orders, the shop's
order list and counter, the record of which checkout request made which
order (for idempotency), and the shop's catalog document (items, prices, stock and
opening hours: :mod:`skill.domain.catalog`). Implementations: memory, SQLite, DynamoDB.

What every implementation guarantees, and the contract tests
(tests/store/test_contract.py) check:

* **No lost updates.** :meth:`Store.update_cart` applies a pure function to the
  current cart atomically (a lock, a transaction, or a conditional write that is
  retried on conflict), so concurrent adds all land.
* **Cart writes applied once per request id.** ``update_cart(user, change,
  request_id=R)`` records ``R`` in the user's cart record, in the same atomic write
  as the change (the last :data:`RECENT_REQUEST_IDS` ids are kept). When ``R`` is
  already recorded there, ``change`` is not applied again: the current cart is
  returned. So Alexa redelivering a request, or a retry after a write committed
  but its reply was lost, changes the cart once.
* **Atomic, idempotent checkout.** :meth:`Store.place_order` writes the order,
  empties the cart, bumps the counter and records the request id together, or
  does none of it. The record is keyed by shop, user and request id: the same
  user's same request id returns the first order; another user's request id never
  returns someone else's order.
* **Damaged records are refused, never acted on.** Carts and orders are read
  back through :meth:`Cart.from_data <skill.domain.cart.Cart.from_data>` and
  :meth:`Order.from_data <skill.domain.orders.Order.from_data>`, and anything
  unreadable (bad JSON, a quantity of -5, an unknown status) raises
  :class:`~skill.errors.CorruptRecord`, a :class:`~skill.errors.StoreError`: the user
  hears the storage apology and the record stays as it was for the shop to inspect.
* **The catalog is one document, changed atomically.** :meth:`Store.update_catalog`
  applies a function to the stored document as one read-modify-write (concurrent
  price changes all land) and bumps its ``version``; every document written is
  checked by :func:`skill.domain.catalog.check_document` first (a broken one raises
  :class:`~skill.domain.catalog.InvalidCatalog` and writes nothing) and stored in its
  :func:`~skill.domain.catalog.canonical` form; one read back that breaks the rules
  is a :class:`~skill.errors.CorruptRecord`. :meth:`Store.seed_catalog` writes only
  when the shop has none.
* **A checkout sees the catalog it commits against.** :meth:`Store.place_order` reads
  the catalog in the same transaction as the cart and hands it to the order factory,
  and commits only if the catalog is unchanged at commit time (SQLite and memory:
  the same write lock; DynamoDB: a ConditionCheck on the catalog's version, retried
  on conflict). So a checkout racing a stock or price change is either placed before
  the change, or built from the changed catalog; never from a stale one.
* **Order status follows one rule**, :func:`skill.domain.orders.check_status_change`
  (through ``Order.with_status``): a refused change, including asking for the
  status the order already has, raises :class:`~skill.errors.InvalidStatusChange`
  and writes nothing.
* **A customer's cancel is atomic, and only from placed.** :meth:`Store.cancel_order`
  checks that the order is the caller's and still ``placed``
  (:meth:`Order.cancelled_by_customer <skill.domain.orders.Order.cancelled_by_customer>`)
  in the same atomic write that cancels it (memory: the lock; SQLite: one
  ``BEGIN IMMEDIATE`` transaction; DynamoDB: an update conditional on
  ``status = placed AND user_id = U``). So a cancel racing the shop's "ready" ends in
  exactly one of the two: the order is cancelled and the shop's change is refused
  (:class:`~skill.errors.InvalidStatusChange`), or it is ready and the cancel is
  refused (:class:`~skill.errors.OrderNotCancellable`).
* **An order's notification state changes alone.** :meth:`Store.set_order_notification`
  replaces the order's :class:`~skill.domain.orders.OrderNotification` (what became of
  its "ready" notification to the customer's Echo) and nothing else, atomically, so it
  never undoes a status change racing it, nor a status change it (memory: the lock;
  SQLite: one ``BEGIN IMMEDIATE`` read-modify-write of the order's body; DynamoDB: one
  UpdateItem of the order item's ``notification`` attribute). Every later read of the
  order, in any process, carries it.

What the request-id guarantees do **not** cover:

* An empty request id: the cart change is always applied, and a checkout writes
  no idempotency record and never returns an earlier order.
* A cart request id older than the last :data:`RECENT_REQUEST_IDS` writes to that
  user's cart: it is forgotten, and a redelivery that late is applied again.
  (Alexa redelivers within seconds; a cart sees a handful of writes per minute.)
* A change that leaves the cart exactly as it was may not be recorded (DynamoDB
  writes nothing then), so its redelivery is evaluated again.
* A change that raises (a domain error) records nothing, so its redelivery is
  evaluated again, against the cart as it is then.
* The cart a replay returns is the cart *now*, with any later changes, not the
  cart as it was right after the first delivery.
* Cart request ids and checkout request ids are separate records. Checkout
  records are kept for good in SQLite and memory, and for 24 hours in DynamoDB.
* The memory store keeps everything in the process: it is all lost on exit.

Every failure of the underlying database surfaces as :class:`~skill.errors.StoreError`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from skill.domain.cart import Cart

if TYPE_CHECKING:
    from skill.domain.orders import Order, OrderNotification, OrderStatus

CartChange = Callable[[Cart], Cart]
# Given the cart being checked out, the order number reserved for it, and the shop's
# catalog document as read in the same transaction (None when the shop has none;
# read-only: a store may hand the same object to several checkouts), build the order
# (pure). It raises EmptyCart when there is nothing to order, and may raise any
# DomainError to abort (nothing is written).
OrderFactory = Callable[[Cart, int, "dict[str, Any] | None"], "Order"]
# Given a deep copy of the shop's catalog document ({} when it has none), return the
# new document (pure). It may raise a DomainError or ConfigError to abort.
CatalogChange = Callable[[dict[str, Any]], dict[str, Any]]

#: How many applied request ids a cart record remembers.
RECENT_REQUEST_IDS = 16


class Store(Protocol):
    def get_cart(self, user_id: str) -> Cart: ...

    def update_cart(self, user_id: str, change: CartChange, *, request_id: str = "") -> Cart:
        """Apply ``change`` atomically and return the new cart.

        With a non-empty ``request_id`` already applied to this user's cart (one of
        its last :data:`RECENT_REQUEST_IDS`), ``change`` is not called and the
        current cart is returned. With an empty one, ``change`` is always applied.

        Exceptions raised by ``change`` (domain errors) leave the cart as it was,
        record no request id, and propagate unchanged.
        """
        ...

    def place_order(self, user_id: str, request_id: str, make_order: OrderFactory) -> Order:
        """Check the user's cart out atomically and return the order.

        A non-empty ``request_id`` that already placed an order for this user returns
        that order (nothing new is written). An empty ``request_id`` always places a
        new order and records nothing. Raises EmptyCart for an empty cart.
        """
        ...

    def last_order(self, user_id: str) -> Order | None: ...

    def list_orders(self, limit: int = 20) -> list[Order]:
        """The shop's orders, most recent first."""
        ...

    def set_order_status(self, number: int, status: OrderStatus) -> Order:
        """Move an order along; InvalidStatusChange (nothing written) if the rule refuses."""
        ...

    def cancel_order(self, user_id: str, number: int) -> Order:
        """Cancel order ``number`` for its customer ``user_id``, atomically; the cancelled order.

        Only while it is ``placed``: otherwise OrderNotCancellable (carrying the status
        it has; nothing written). OrderNotFound (``for_customer``) when there is no such
        order *or* it is another user's: one customer never learns about another's
        orders. The shop's own path is :meth:`set_order_status`, whose rules differ (it
        may still cancel a ready order).
        """
        ...

    def set_order_notification(self, number: int, notification: OrderNotification) -> None:
        """Record what became of order ``number``'s "ready" notification.

        Only that field changes, atomically, whatever the order's status (the notifier
        records the outcome after its retries, when staff may have moved it on).
        OrderNotFound (nothing written) when there is no such order.
        """
        ...

    def get_catalog(self) -> dict[str, Any] | None:
        """The shop's catalog document with its ``version``, or None when it has none.

        CorruptRecord when the stored document is unreadable or breaks the rules.
        """
        ...

    def update_catalog(self, change: CatalogChange) -> dict[str, Any]:
        """Apply ``change`` to the catalog atomically and return the stored document.

        ``change`` gets a deep copy of the document (``{}`` when the shop has none)
        and returns the new one; its ``version`` is ignored: the store sets it to the
        stored version + 1 (1 for the first). A result equal to the current document
        writes nothing and keeps the version. A result that breaks the rules raises
        InvalidCatalog; exceptions raised by ``change`` propagate. Either way nothing
        is written.
        """
        ...

    def seed_catalog(self, doc: dict[str, Any]) -> bool:
        """Store ``doc`` (checked, as version 1) only if the shop has no catalog yet.

        Returns whether it was written. Never replaces a catalog, even a damaged one.
        """
        ...

    def ping(self) -> None:
        """Raise StoreError if the store cannot be reached. Cheap; used by health checks."""
        ...

    def close(self) -> None: ...


# -- helpers the stores share for the catalog ------------------------------------------
def catalog_to_store(doc: Any) -> dict[str, Any]:
    """The body a store writes for ``doc``: checked (InvalidCatalog if it breaks the
    rules, nothing written), in canonical form, without ``version`` (the store keeps
    the version beside the body)."""
    from skill.domain.catalog import canonical, check

    if isinstance(doc, dict):
        doc = {key: value for key, value in doc.items() if key != "version"}
    check(doc)
    return canonical(doc)


def catalog_json(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def catalog_from_store(body: Any, version: Any, *, checked: str | None = None) -> dict[str, Any]:
    """The document for a stored body (JSON text, or the parsed body) and version.

    Raises ValueError with a short description of the damage (the store turns it
    into a CorruptRecord in its own words). ``checked`` is JSON text already found
    good: a body equal to it is not checked again.
    """
    from skill.domain.catalog import check_document, describe

    if type(version) is not int or version < 1:
        raise ValueError(f"its version {version!r} is not a whole number of 1 or more.")
    text = body if isinstance(body, str) else None
    if text is not None:
        try:
            body = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ValueError("it is not valid JSON.") from exc
    if not isinstance(body, dict) or "version" in body:
        raise ValueError("it is not a catalog document.")
    if text is None or text != checked:
        problems = check_document(body)
        if problems:
            first = problems[0]
            raise ValueError(f"{describe(body, first.path)}: {first.message}")
    body["version"] = version
    return body
