"""The simulated exchange: the venue of backtests and paper trading, with tunable fills and misbehaviour."""

from __future__ import annotations

from typing import Any

import msgspec

from adapters.sim.config import BarExecution, MisbehaviourAction, MisbehaviourRule, SimConfig
from adapters.sim.exchange import SimulatedExchange
from adapters.sim.fill_model import FillModel
from adapters.sim.matching import SimOrder
from adapters.sim.misbehaviour import Misbehaviour
from engine.bus import MessageBus
from engine.clock import Clock
from engine.errors import ConfigError
from engine.model import Store


def create_client(
    bus: MessageBus, clock: Clock, store: Store, exchange_id: str, options: dict[str, Any]
) -> SimulatedExchange:
    """The node's factory for a simulated venue: ``options`` is the config's ``client_options`` table."""
    try:
        config = msgspec.convert(options, SimConfig, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError("sim", str(exc)) from None
    return SimulatedExchange(bus, clock, store, exchange_id, config)


__all__ = [
    "BarExecution",
    "FillModel",
    "Misbehaviour",
    "MisbehaviourAction",
    "MisbehaviourRule",
    "SimConfig",
    "SimOrder",
    "SimulatedExchange",
    "create_client",
]
