"""What several components agree on about orders, written once: how an order held by the
OrderEmulator is told apart from one a venue holds (the Order a ``SubmitOrder`` makes is
``engine.messages.order_from_command``, which the strategy API needs too).

The OrderEmulator acknowledges the orders it holds with an exchange order id starting
``EMULATED_PREFIX``: the OMS replaces that placeholder with the venue's id once the order is released,
and the Portfolio reserves nothing for a reduce-only exit the emulator merely holds.
"""

from __future__ import annotations

EMULATED_PREFIX = "emulated-"


def is_emulated(exchange_order_id: str) -> bool:
    """Whether an exchange order id is the OrderEmulator's placeholder for an order it holds."""
    return exchange_order_id.startswith(EMULATED_PREFIX)
