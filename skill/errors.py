"""The Corner Shop error tree.

Every error the project raises on purpose derives from :class:`CornerShopError`,
so a boundary (the Lambda handler, the web app, the CLI) can catch one class and
translate it. Foreign exceptions (sqlite3, botocore, cryptography, ...) are
mapped at the module that owns that library, with ``raise ... from exc``::

    CornerShopError
    ├── ConfigError            settings that cannot work (bad CORNERSHOP_STORE, ...)
    ├── BadRequest             an envelope we cannot act on (HTTP 400)
    │   ├── VerificationError  a request that failed Alexa signature/timestamp checks
    │   └── ForeignSkillError  a request addressed to another skill id
    ├── DomainError            a rule of the shop was broken (spoken to the user)
    │   ├── UnknownItem
    │   ├── InvalidQuantity
    │   ├── LineLimitExceeded
    │   ├── ItemNotInCart
    │   ├── EmptyCart
    │   ├── InvalidStatusChange
    │   └── OrderNotCancellable  a customer's cancel of an order past "placed"
    ├── StoreError             storage is unreachable or failed; data left as it was
    │   ├── OrderNotFound
    │   ├── StoreNotFound      a read-only command named a store that does not exist
    │   └── CorruptRecord      a stored record broke the domain's rules when read back
    └── PackagingError         `cornershop package` could not build an artifact

Messages are full sentences that say how to fix the problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skill.domain.orders import OrderStatus


class CornerShopError(Exception):
    """Base class of every error Corner Shop raises on purpose."""


class ConfigError(CornerShopError):
    """The settings cannot work; the message names the setting and a valid value."""


class BadRequest(CornerShopError):
    """The incoming request cannot be acted on. Boundaries answer HTTP 400."""


class VerificationError(BadRequest):
    """An Alexa request failed verification (signature, certificate, timestamp, skill id)."""


class ForeignSkillError(BadRequest):
    """The request names an application id other than the configured skill id."""


class DomainError(CornerShopError):
    """A shop rule was broken. Handlers turn these into spoken answers."""


class UnknownItem(DomainError):
    def __init__(self, spoken: str) -> None:
        super().__init__(f"The catalog has no item called {spoken!r}. Ask what the shop sells.")
        self.spoken = spoken


class InvalidQuantity(DomainError):
    """A quantity of zero, below zero, or not a whole number."""


class LineLimitExceeded(DomainError):
    def __init__(self, item_id: str, limit: int, current: int) -> None:
        super().__init__(
            f"A cart line holds at most {limit} of one item; {item_id} already has {current}."
        )
        self.item_id = item_id
        self.limit = limit
        self.current = current


class ItemNotInCart(DomainError):
    def __init__(self, item_id: str) -> None:
        super().__init__(f"The cart has no {item_id} to remove.")
        self.item_id = item_id


class EmptyCart(DomainError):
    """Checkout was asked for with nothing in the cart."""


class InvalidStatusChange(DomainError):
    """The shop asked for an order status that cannot follow the current one."""


class OrderNotCancellable(DomainError):
    """A customer asked to cancel an order that is no longer ``placed``.

    Customers may cancel only while the shop has not started on the order: once it
    is ready (or collected, or cancelled already) only the shop can change it.
    :attr:`status` is the order's status when the cancel was refused.
    """

    def __init__(self, number: int, status: OrderStatus) -> None:
        if status.value == "cancelled":
            reason = f"Order {number} is already cancelled, so there is nothing to cancel."
        elif status.value == "collected":
            reason = f"Order {number} was collected, so it can no longer be cancelled."
        else:
            reason = (
                f"Order {number} is {status.value}, so the customer can no longer cancel it; "
                f"the shop can, with `cornershop orders cancel {number}`."
            )
        super().__init__(reason)
        self.number = number
        self.status = status


class StoreError(CornerShopError):
    """Storage failed. The operation was not applied; the caller may retry."""


class OrderNotFound(StoreError):
    """No such order; ``for_customer``: none of that customer's (a customer's cancel
    never learns whether another customer's order has that number)."""

    def __init__(self, number: int, *, for_customer: bool = False) -> None:
        if for_customer:
            message = (
                f"The customer has no order number {number}: it does not exist or belongs "
                "to another customer. Ask them for the number of their own order."
            )
        else:
            message = f"There is no order number {number}. Run `cornershop orders` to list them."
        super().__init__(message)
        self.number = number


class StoreNotFound(StoreError):
    """A command that only reads was pointed at a store that does not exist.

    Read-only commands never create a store, so a mistyped path is an error rather
    than an empty shop. The message names the store and says how to create it.
    """


class CorruptRecord(StoreError):
    """A record read back from storage breaks the domain's rules (bad JSON, a negative
    quantity, an unknown status). It is never acted on: the user hears an apology and
    the record is left as it is for the shop to inspect."""


class PackagingError(CornerShopError):
    """An artifact could not be built."""
