"""The one place where the shop moves an order along, and the order JSON staff screens see.

Both the ``cornershop orders ready N`` command and the staff dashboard call
:func:`move_order`, so every status change is applied the same way (atomically, by
the store's ``set_order_status``), logged the same way ("staff ada moved order 1001
to ready": a staff name and an order number, never a customer's id or anything they
said), and followed by the same hooks (the dashboards' live feed, a "ready"
notification to the customer's Echo).

:func:`public_order` and :func:`order_event` are the JSON the dashboards get, on one
machine (the web service's event stream) and on AWS (pushed to WebSocket
connections): ``Order.to_data()`` without ``user_id``. Customer ids never leave
the store for a staff screen.

No Flask, ASK or database imports here: the Lambda, the web service and the CLI all
use this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from skill.logs import get_logger

if TYPE_CHECKING:
    from skill.domain.orders import Order, OrderStatus
    from skill.store import Store

#: Called after a status change with the order as it was and as it is now.
OrderHook = Callable[["Order", "Order"], None]

#: The keys of ``Order.to_data()`` that never reach a staff screen.
PRIVATE_KEYS = frozenset({"user_id"})

_log = get_logger("shop")


@runtime_checkable
class OrderLookup(Protocol):
    """A store that can read one order by number (used for ``before``, when it can)."""

    def get_order(self, number: int) -> Order | None: ...


def move_order(
    store: Store,
    number: int,
    status: OrderStatus,
    *,
    actor: str,
    on_change: Sequence[OrderHook] = (),
) -> Order:
    """Move order ``number`` to ``status`` as ``actor`` (a staff name, or ``"cli"``).

    The change itself is the store's atomic ``set_order_status``: it raises
    :class:`~skill.errors.OrderNotFound`, :class:`~skill.errors.InvalidStatusChange`
    (nothing written) or :class:`~skill.errors.StoreError`, which propagate unchanged.
    Once it is applied, each hook gets ``(before, after)``. A hook that raises is
    logged (its exception's type only) and never undoes or blocks the change, nor
    the hooks after it.

    ``before`` is the order as read just before the change when the store can read
    one order by number (:class:`OrderLookup`); the stores cannot yet, and then
    ``before`` is ``after`` itself. Hooks should decide on ``after.status``.
    """
    before: Order | None = None
    if isinstance(store, OrderLookup):
        before = store.get_order(number)
    after = store.set_order_status(number, status)
    _log.info("staff %s moved order %d to %s", actor, after.number, after.status.value)
    for hook in on_change:
        try:
            hook(before or after, after)
        except Exception as exc:  # a hook never undoes a change the store made
            _log.warning(
                "after order %d moved to %s, hook %s failed: %s",
                after.number,
                after.status.value,
                getattr(hook, "__qualname__", type(hook).__name__),
                type(exc).__name__,
            )
    return after


def public_order(order: Order) -> dict[str, Any]:
    """``order.to_data()`` without the customer's id: what a staff screen may see."""
    return {key: value for key, value in order.to_data().items() if key not in PRIVATE_KEYS}


def order_event(order: Order, seq: int, at: datetime | None = None) -> dict[str, Any]:
    """The change-feed event for ``order``: ``{"type", "order", "seq", "at"}``.

    ``seq`` orders the events of one feed; ``at`` (default: now, UTC) is when the
    feed saw the change.
    """
    moment = at if at is not None else datetime.now(UTC)
    return {
        "type": "order",
        "order": public_order(order),
        "seq": seq,
        "at": moment.isoformat(),
    }
