"""State machines as data: one transition table per machine, one function that applies it."""

from __future__ import annotations

from enum import StrEnum
from typing import Generic, TypeVar

from engine.errors import InvalidTransition
from engine.model.enums import ExecutionStatus, OrderStatus, PositionStatus

S = TypeVar("S", bound=StrEnum)


class StateMachine(Generic[S]):
    """A named transition table. States with no outgoing moves are terminal."""

    __slots__ = ("name", "states", "table")

    def __init__(self, name: str, states: type[S], table: dict[S, frozenset[S]]) -> None:
        self.name = name
        self.states = states
        self.table = {state: table.get(state, frozenset()) for state in states}

    def allows(self, from_state: S, to_state: S) -> bool:
        return to_state in self.table[from_state]

    def is_terminal(self, state: S) -> bool:
        return not self.table[state]


def transition(machine: StateMachine[S], from_state: S, to_state: S) -> S:
    """Return ``to_state`` if the table allows the move, else raise ``InvalidTransition``."""
    if to_state not in machine.table[from_state]:
        raise InvalidTransition(machine.name, from_state, to_state)
    return to_state


ORDER_MACHINE: StateMachine[OrderStatus] = StateMachine(
    "Order",
    OrderStatus,
    {
        OrderStatus.PENDING: frozenset(
            {OrderStatus.PARTIAL, OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED}
        ),
        OrderStatus.PARTIAL: frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED}),
    },
)

POSITION_MACHINE: StateMachine[PositionStatus] = StateMachine(
    "Position",
    PositionStatus,
    {PositionStatus.OPEN: frozenset({PositionStatus.CLOSED, PositionStatus.LIQUIDATED})},
)

EXECUTION_MACHINE: StateMachine[ExecutionStatus] = StateMachine(
    "StrategyExecution",
    ExecutionStatus,
    {
        ExecutionStatus.STOPPED: frozenset({ExecutionStatus.RUNNING}),
        ExecutionStatus.RUNNING: frozenset({ExecutionStatus.PAUSED, ExecutionStatus.STOPPED}),
        ExecutionStatus.PAUSED: frozenset({ExecutionStatus.RUNNING, ExecutionStatus.STOPPED}),
    },
)
