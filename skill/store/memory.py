"""An in-memory store for tests and throwaway sessions. One lock guards it all.

Records are kept in their stored form, as the other stores keep them (what
``to_data()`` gives), and read back through ``from_data()``: so a memory store
checks the same domain rules on every read, and the contract tests can damage a
record here as they do in SQLite or DynamoDB::

    _carts[user_id]                    = (Cart.to_data(), (request id, ...))  # last 16
    _orders[number]                    = (user_id, Order.to_data())
    _checkouts[(user_id, request_id)]  = order number
    _catalog                           = (catalog body, version) or None
    _staff[name]                       = StaffMember.to_data()  # the dashboard's accounts
    _secret                            = the session secret (bytes) or None
    _revoked[session digest]           = until (epoch seconds)  # logged-out sessions

An order's "ready" notification state is part of its ``to_data()``.

One MemoryStore is one shop.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import TYPE_CHECKING, Any

from skill.domain.cart import Cart
from skill.domain.orders import FIRST_ORDER_NUMBER, Order, OrderNotification, OrderStatus
from skill.errors import CorruptRecord, EmptyCart, OrderNotFound
from skill.store.base import (
    RECENT_REQUEST_IDS,
    CartChange,
    CatalogChange,
    OrderFactory,
    catalog_from_store,
    catalog_to_store,
)

if TYPE_CHECKING:
    from skill.dashboard.staff import StaffMember

_NO_CART: tuple[Any, tuple[str, ...]] = ([], ())


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._carts: dict[str, tuple[Any, tuple[str, ...]]] = {}
        self._orders: dict[int, tuple[str, Any]] = {}
        self._checkouts: dict[tuple[str, str], int] = {}
        self._next = FIRST_ORDER_NUMBER
        self._catalog: tuple[Any, Any] | None = None
        self._staff: dict[str, Any] = {}
        self._secret: bytes | None = None
        self._revoked: dict[str, float] = {}

    def get_cart(self, user_id: str) -> Cart:
        with self._lock:
            return Cart.from_data(self._carts.get(user_id, _NO_CART)[0])

    def update_cart(self, user_id: str, change: CartChange, *, request_id: str = "") -> Cart:
        with self._lock:
            lines, applied = self._carts.get(user_id, _NO_CART)
            cart = Cart.from_data(lines)
            if request_id and request_id in applied:
                return cart
            new = change(cart)
            if request_id:
                applied = (*applied, request_id)[-RECENT_REQUEST_IDS:]
            self._carts[user_id] = (new.to_data(), applied)
            return new

    def place_order(self, user_id: str, request_id: str, make_order: OrderFactory) -> Order:
        with self._lock:
            if request_id and (user_id, request_id) in self._checkouts:
                number = self._checkouts[(user_id, request_id)]
                order = self._read_order(number)
                if order is None or order.user_id != user_id:
                    raise CorruptRecord(
                        f"The memory store's checkout record for order {number} names an "
                        "order that is missing or belongs to another user."
                    )
                return order
            lines, applied = self._carts.get(user_id, _NO_CART)
            cart = Cart.from_data(lines)
            if cart.is_empty:
                raise EmptyCart("The cart is empty, so there is nothing to check out.")
            # Under the lock: no catalog change can land between this read and the order.
            order = make_order(cart, self._next, self._read_catalog())
            self._next += 1
            self._orders[order.number] = (user_id, order.to_data())
            if request_id:
                self._checkouts[(user_id, request_id)] = order.number
            self._carts[user_id] = (Cart().to_data(), applied)
            return order

    def last_order(self, user_id: str) -> Order | None:
        with self._lock:
            for number in sorted(self._orders, reverse=True):
                # Only this user's orders are read, as SQLite selects by its user_id column.
                if self._orders[number][0] == user_id:
                    return self._read_order(number)
            return None

    def list_orders(self, limit: int = 20) -> list[Order]:
        with self._lock:
            newest = sorted(self._orders, reverse=True)[: max(limit, 0)]
            return [order for order in map(self._read_order, newest) if order is not None]

    def set_order_status(self, number: int, status: OrderStatus) -> Order:
        with self._lock:
            order = self._read_order(number)
            if order is None:
                raise OrderNotFound(number)
            order = order.with_status(status)
            self._orders[number] = (order.user_id, order.to_data())
            return order

    def cancel_order(self, user_id: str, number: int) -> Order:
        with self._lock:  # the read, the check and the write: one step for every thread
            stored = self._orders.get(number)
            if stored is None or stored[0] != user_id:
                raise OrderNotFound(number, for_customer=True)
            order = self._read_order(number)
            assert order is not None  # it is stored, and _read_order checked its keys
            order = order.cancelled_by_customer()  # OrderNotCancellable: nothing written
            self._orders[number] = (order.user_id, order.to_data())
            return order

    def set_order_notification(self, number: int, notification: OrderNotification) -> None:
        with self._lock:
            order = self._read_order(number)
            if order is None:
                raise OrderNotFound(number)
            self._orders[number] = (order.user_id, order.with_notification(notification).to_data())

    # -- the catalog -----------------------------------------------------------
    def get_catalog(self) -> dict[str, Any] | None:
        with self._lock:
            return self._read_catalog()

    def update_catalog(self, change: CatalogChange) -> dict[str, Any]:
        with self._lock:
            current = self._read_catalog()
            body = catalog_to_store(change(copy.deepcopy(current) if current else {}))
            if current is not None:
                version = current.pop("version")
                if body == current:
                    return {**current, "version": version}
            else:
                version = 0
            self._catalog = (body, version + 1)
            return {**copy.deepcopy(body), "version": version + 1}

    def seed_catalog(self, doc: dict[str, Any]) -> bool:
        body = catalog_to_store(copy.deepcopy(doc))  # checked first, as every store does
        with self._lock:
            if self._catalog is not None:
                return False
            self._catalog = (body, 1)
            return True

    def _read_catalog(self) -> dict[str, Any] | None:
        if self._catalog is None:
            return None
        body, version = self._catalog
        try:
            return catalog_from_store(copy.deepcopy(body), version)
        except ValueError as exc:
            raise CorruptRecord(f"The memory store's catalog cannot be used: {exc}") from exc

    # -- staff accounts (the dashboard: skill/dashboard/staff.py) -------------------
    def add_staff(self, member: StaffMember, *, replace: bool = False) -> None:
        from skill.dashboard.staff import StaffExists

        with self._lock:
            if member.name in self._staff and not replace:
                raise StaffExists(member.name)
            self._staff[member.name] = member.to_data()

    def get_staff(self, name: str) -> StaffMember | None:
        from skill.dashboard.staff import StaffMember

        with self._lock:
            data = self._staff.get(name)
        return None if data is None else StaffMember.from_data(data)

    def list_staff(self) -> list[StaffMember]:
        from skill.dashboard.staff import StaffMember

        with self._lock:
            records = [self._staff[name] for name in sorted(self._staff)]
        return [StaffMember.from_data(data) for data in records]

    def remove_staff(self, name: str) -> bool:
        with self._lock:
            return self._staff.pop(name, None) is not None

    def session_secret(self) -> bytes:
        import secrets

        with self._lock:
            if self._secret is None:
                self._secret = secrets.token_bytes(32)
            return self._secret

    def revoke_session(self, sid: str, until: float) -> None:
        from skill.dashboard.staff import session_digest

        now = time.time()
        with self._lock:
            for gone in [d for d, end in self._revoked.items() if end <= now]:
                del self._revoked[gone]
            digest = session_digest(sid)
            self._revoked[digest] = max(until, self._revoked.get(digest, until))

    def session_revoked(self, sid: str) -> bool:
        from skill.dashboard.staff import session_digest

        with self._lock:
            return self._revoked.get(session_digest(sid), 0.0) > time.time()

    def ping(self) -> None:
        return None

    def close(self) -> None:
        return None

    def _read_order(self, number: int) -> Order | None:
        if number not in self._orders:
            return None
        user_id, data = self._orders[number]
        order = Order.from_data(data)
        if (order.number, order.user_id) != (number, user_id):
            raise CorruptRecord(
                f"The memory store keeps order {order.number} under number {number}, "
                "or for another user."
            )
        return order
