"""A position is open until an offsetting trade closes it or the venue liquidates it, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from engine.errors import InvalidTransition
from engine.model import PositionStatus

if TYPE_CHECKING:
    from tests.model.conftest import Make

T1 = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=1)


def test_an_open_position_can_be_closed(make: type[Make]) -> None:
    position = make.position()
    position.close(T1)
    assert position.status is PositionStatus.CLOSED
    assert position.updated_at == T1


def test_an_open_position_can_be_liquidated(make: type[Make]) -> None:
    position = make.position()
    position.liquidate(T1)
    assert position.status is PositionStatus.LIQUIDATED
    assert position.updated_at == T1


@pytest.mark.parametrize("status", [PositionStatus.CLOSED, PositionStatus.LIQUIDATED])
@pytest.mark.parametrize("move", ["close", "liquidate"])
def test_a_closed_or_liquidated_position_never_moves_again(
    make: type[Make], status: PositionStatus, move: str
) -> None:
    position = make.position(status=status)
    target = "closed" if move == "close" else "liquidated"
    with pytest.raises(InvalidTransition, match=f"Position: invalid transition {status} -> {target}"):
        getattr(position, move)(T1)
    assert position == make.position(status=status)
