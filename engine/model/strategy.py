"""TradingStrategy and StrategyExecution: a strategy's definition and its running instances."""

from __future__ import annotations

from datetime import datetime

import msgspec

from engine.errors import InvalidTransition
from engine.model.enums import ExecutionStatus
from engine.model.state import EXECUTION_MACHINE, transition
from engine.model.timestamps import UtcDatetime


class TradingStrategy(msgspec.Struct, kw_only=True):
    """The spec's TradingStrategy: what to run and with which parameters and risk controls."""

    strategy_id: str
    name: str
    user_id: str
    created_at: UtcDatetime
    updated_at: UtcDatetime
    description: str = ""
    parameters: dict[str, object] = msgspec.field(default_factory=dict)
    risk_controls: dict[str, object] = msgspec.field(default_factory=dict)


class StrategyExecution(msgspec.Struct, kw_only=True):
    """One running instance of a strategy on one account, driven through ``EXECUTION_MACHINE``.

    It is born ``stopped``. ``start`` (from stopped only) stamps ``start_time`` and clears
    ``end_time``; ``resume`` works from paused only; ``stop`` stamps ``end_time``. The spec
    records no pause times, so ``pause`` and ``resume`` take ``ts`` only to keep one signature
    across the lifecycle.
    """

    execution_id: str
    strategy_id: str
    trading_account_id: str
    status: ExecutionStatus = ExecutionStatus.STOPPED
    start_time: UtcDatetime | None = None
    end_time: UtcDatetime | None = None
    performance_metrics: dict[str, object] = msgspec.field(default_factory=dict)

    def start(self, ts: datetime) -> None:
        self._require(ExecutionStatus.STOPPED, "start")
        self.status = transition(EXECUTION_MACHINE, self.status, ExecutionStatus.RUNNING)
        self.start_time = ts
        self.end_time = None

    def pause(self, ts: datetime) -> None:
        self.status = transition(EXECUTION_MACHINE, self.status, ExecutionStatus.PAUSED)

    def resume(self, ts: datetime) -> None:
        self._require(ExecutionStatus.PAUSED, "resume")
        self.status = transition(EXECUTION_MACHINE, self.status, ExecutionStatus.RUNNING)

    def stop(self, ts: datetime) -> None:
        self.status = transition(EXECUTION_MACHINE, self.status, ExecutionStatus.STOPPED)
        self.end_time = ts

    def _require(self, source: ExecutionStatus, command: str) -> None:
        """Both ``start`` and ``resume`` lead to running; each may only take its own source state."""
        if self.status is not source:
            raise InvalidTransition(
                EXECUTION_MACHINE.name, self.status, ExecutionStatus.RUNNING, f"{command} needs {source}"
            )
