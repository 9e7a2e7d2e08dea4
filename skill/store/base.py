"""The one storage interface the handlers use.

A store holds, for one shop: each user's cart, each user's orders, the shop's
order list and counter, and the record of which checkout request made which
order (for idempotency). Implementations: memory, SQLite, DynamoDB.

Two guarantees every implementation gives, and the contract tests check:

* **No lost updates.** :meth:`Store.update_cart` applies a pure function to the
  current cart atomically (a lock, a transaction, or a conditional write that is
  retried on conflict), so concurrent adds all land.
* **Atomic, idempotent checkout.** :meth:`Store.place_order` writes the order,
  empties the cart, bumps the counter and records the request id together, or
  does none of it. The same request id twice returns the first order.

Every failure of the underlying database surfaces as :class:`~skill.errors.StoreError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from skill.domain.cart import Cart

if TYPE_CHECKING:
    from skill.domain.orders import Order, OrderStatus

CartChange = Callable[[Cart], Cart]
# Given the cart being checked out and the order number reserved for it,
# build the order (pure). It raises EmptyCart when there is nothing to order.
OrderFactory = Callable[[Cart, int], "Order"]


class Store(Protocol):
    def get_cart(self, user_id: str) -> Cart: ...

    def update_cart(self, user_id: str, change: CartChange) -> Cart:
        """Apply ``change`` atomically and return the new cart.

        Exceptions raised by ``change`` (domain errors) leave the cart as it was
        and propagate unchanged.
        """
        ...

    def place_order(self, user_id: str, request_id: str, make_order: OrderFactory) -> Order: ...

    def last_order(self, user_id: str) -> Order | None: ...

    def list_orders(self, limit: int = 20) -> list[Order]:
        """The shop's orders, most recent first."""
        ...

    def set_order_status(self, number: int, status: OrderStatus) -> Order: ...

    def ping(self) -> None:
        """Raise StoreError if the store cannot be reached. Cheap; used by health checks."""
        ...

    def close(self) -> None: ...
