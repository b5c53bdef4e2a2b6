"""Orders the venue does not hold: stops, trailing stops and brackets, triggered from market data."""

from engine.components.emulator.brackets import exit_orders, sibling_quantity
from engine.components.emulator.emulator import OrderEmulator
from engine.components.emulator.triggers import (
    TrailingState,
    stop_triggered,
    trailing_step,
    trailing_trigger_price,
)
from engine.components.orders import EMULATED_PREFIX

__all__ = [
    "EMULATED_PREFIX",
    "OrderEmulator",
    "TrailingState",
    "exit_orders",
    "sibling_quantity",
    "stop_triggered",
    "trailing_step",
    "trailing_trigger_price",
]
