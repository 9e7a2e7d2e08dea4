"""An in-memory store for tests and throwaway sessions. One lock guards it all."""

from __future__ import annotations

import threading

from skill.domain.cart import Cart
from skill.domain.orders import FIRST_ORDER_NUMBER, Order, OrderStatus
from skill.errors import EmptyCart, OrderNotFound
from skill.store.base import CartChange, OrderFactory


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._carts: dict[str, Cart] = {}
        self._orders: dict[int, Order] = {}
        self._by_request: dict[str, int] = {}
        self._next = FIRST_ORDER_NUMBER

    def get_cart(self, user_id: str) -> Cart:
        with self._lock:
            return self._carts.get(user_id, Cart())

    def update_cart(self, user_id: str, change: CartChange) -> Cart:
        with self._lock:
            cart = change(self._carts.get(user_id, Cart()))
            self._carts[user_id] = cart
            return cart

    def place_order(self, user_id: str, request_id: str, make_order: OrderFactory) -> Order:
        with self._lock:
            if request_id in self._by_request:
                return self._orders[self._by_request[request_id]]
            cart = self._carts.get(user_id, Cart())
            if cart.is_empty:
                raise EmptyCart("The cart is empty, so there is nothing to check out.")
            order = make_order(cart, self._next)
            self._next += 1
            self._orders[order.number] = order
            self._by_request[request_id] = order.number
            self._carts[user_id] = Cart()
            return order

    def last_order(self, user_id: str) -> Order | None:
        with self._lock:
            mine = [o for o in self._orders.values() if o.user_id == user_id]
            return max(mine, key=lambda o: o.number) if mine else None

    def list_orders(self, limit: int = 20) -> list[Order]:
        with self._lock:
            return sorted(self._orders.values(), key=lambda o: -o.number)[:limit]

    def set_order_status(self, number: int, status: OrderStatus) -> Order:
        with self._lock:
            if number not in self._orders:
                raise OrderNotFound(number)
            order = self._orders[number].with_status(status)
            self._orders[number] = order
            return order

    def ping(self) -> None:
        return None

    def close(self) -> None:
        return None
