"""The three state machines are exactly the spec's tables: every listed move works, nothing else does."""

from __future__ import annotations

from enum import StrEnum
from itertools import product
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import InvalidTransition
from engine.model import (
    EXECUTION_MACHINE,
    ORDER_MACHINE,
    POSITION_MACHINE,
    ExecutionStatus,
    OrderStatus,
    PositionStatus,
    StateMachine,
    transition,
)

# Copied from spec/data-model.md, "State Transitions".
SPEC_TABLES: dict[str, set[tuple[str, str]]] = {
    "Order": {
        ("pending", "partial"),
        ("pending", "filled"),
        ("pending", "cancelled"),
        ("pending", "rejected"),
        ("partial", "filled"),
        ("partial", "cancelled"),
    },
    "Position": {("open", "closed"), ("open", "liquidated")},
    "StrategyExecution": {
        ("stopped", "running"),
        ("running", "paused"),
        ("paused", "running"),
        ("running", "stopped"),
        ("paused", "stopped"),
    },
}

MACHINES: list[StateMachine[Any]] = [ORDER_MACHINE, POSITION_MACHINE, EXECUTION_MACHINE]
INITIAL: dict[str, StrEnum] = {
    "Order": OrderStatus.PENDING,
    "Position": PositionStatus.OPEN,
    "StrategyExecution": ExecutionStatus.STOPPED,
}

ALL_PAIRS = [
    pytest.param(machine, a, b, id=f"{machine.name}:{a}->{b}")
    for machine in MACHINES
    for a, b in product(machine.states, repeat=2)
]


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_machine_table_is_the_spec_table(machine: StateMachine[Any]) -> None:
    table = {(str(a), str(b)) for a, targets in machine.table.items() for b in targets}
    assert table == SPEC_TABLES[machine.name]


@pytest.mark.parametrize(("machine", "from_state", "to_state"), ALL_PAIRS)
def test_transition_accepts_exactly_the_moves_in_the_table(
    machine: StateMachine[Any], from_state: StrEnum, to_state: StrEnum
) -> None:
    if (from_state, to_state) in SPEC_TABLES[machine.name]:
        assert transition(machine, from_state, to_state) is to_state
    else:
        with pytest.raises(InvalidTransition) as caught:
            transition(machine, from_state, to_state)
        error = caught.value
        assert (error.machine, error.from_state, error.to_state) == (machine.name, from_state, to_state)
        assert str(error) == f"{machine.name}: invalid transition {from_state} -> {to_state}"


TERMINAL = [
    pytest.param(machine, state, id=f"{machine.name}:{state}")
    for machine, state in [
        (ORDER_MACHINE, OrderStatus.FILLED),
        (ORDER_MACHINE, OrderStatus.CANCELLED),
        (ORDER_MACHINE, OrderStatus.REJECTED),
        (POSITION_MACHINE, PositionStatus.CLOSED),
        (POSITION_MACHINE, PositionStatus.LIQUIDATED),
    ]
]


@pytest.mark.parametrize(("machine", "state"), TERMINAL)
def test_terminal_states_absorb_nothing(machine: StateMachine[Any], state: StrEnum) -> None:
    assert machine.is_terminal(state)
    for target in machine.states:
        with pytest.raises(InvalidTransition):
            transition(machine, state, target)


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_only_the_listed_states_are_terminal(machine: StateMachine[Any]) -> None:
    expected = {p.values[1] for p in TERMINAL if p.values[0] is machine}
    assert {s for s in machine.states if machine.is_terminal(s)} == expected


@st.composite
def walks(draw: st.DrawFn) -> tuple[StateMachine[Any], list[StrEnum]]:
    """A machine and a random sequence of requested target states, legal or not."""
    machine = draw(st.sampled_from(MACHINES))
    return machine, draw(st.lists(st.sampled_from(list(machine.states)), max_size=20))


@settings(max_examples=200)
@given(walks())
def test_random_walks_only_ever_take_moves_in_the_table(
    walk: tuple[StateMachine[Any], list[StrEnum]],
) -> None:
    machine, targets = walk
    state = INITIAL[machine.name]
    for target in targets:
        legal = (state, target) in SPEC_TABLES[machine.name]
        try:
            new_state = transition(machine, state, target)
        except InvalidTransition:
            assert not legal
        else:
            assert legal
            state = new_state
        assert state in machine.states
