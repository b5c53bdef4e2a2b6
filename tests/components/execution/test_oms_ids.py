"""Client order ids are unique, fit the venues' 36 characters with room for bracket suffixes, and repeat
exactly from one backtest run to the next; a restarted live node never reuses one."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oms_world import World

from engine.components.execution import MAX_CLIENT_ORDER_ID_LENGTH, ClientOrderIdGenerator
from engine.errors import ConfigError
from engine.messages import encode_json
from engine.model import OrderStatus

D = Decimal
VENUE_CHARSET = re.compile(r"[A-Za-z0-9_-]+")


def test_backtest_ids_are_the_prefix_and_a_counter() -> None:
    ids = ClientOrderIdGenerator("bt")
    assert [ids.next_id("exec-1"), ids.next_id("exec-2"), ids.next_id("exec-1")] == ["bt-1", "bt-2", "bt-3"]
    assert ids.issued == 3


def test_live_ids_carry_the_node_start_so_a_restart_never_reuses_one() -> None:
    start = 1_717_171_717_171_000_000
    before = ClientOrderIdGenerator("live", start_ns=start)
    after_restart = ClientOrderIdGenerator("live", start_ns=start + 5_000_000_000)
    first_run = {before.next_id() for _ in range(100)}
    second_run = {after_restart.next_id() for _ in range(100)}
    assert first_run.isdisjoint(second_run)
    assert before.next_id().startswith("live-")


@given(
    prefix=st.from_regex(r"[A-Za-z0-9_]{1,12}", fullmatch=True),
    start_ns=st.integers(0, 4_000_000_000 * 10**9),
)
def test_ids_fit_the_venue_limit_even_with_a_bracket_suffix(prefix: str, start_ns: int) -> None:
    ids = ClientOrderIdGenerator(prefix, start_ns=start_ns)
    ids._count = 10**9 - 2  # a node that issued a billion orders
    cid = ids.next_id()
    assert len(cid + "-SL") <= MAX_CLIENT_ORDER_ID_LENGTH
    assert VENUE_CHARSET.fullmatch(cid)


@pytest.mark.parametrize("prefix", ["", "has space", "dash-es", "waytoolongprefix"])
def test_a_prefix_outside_the_venue_charset_or_too_long_is_a_config_error(prefix: str) -> None:
    with pytest.raises(ConfigError, match=r"client_order_id\.prefix"):
        ClientOrderIdGenerator(prefix)


def _run() -> tuple[list[str], list[bytes]]:
    """One small session: orders, fills, a rejection, an unknown outcome settled by a report."""
    world = World()
    ids = [world.submit(quantity=D(2)).client_order_id for _ in range(3)]
    world.accepted(ids[0])
    world.filled(ids[0], "1", "100")
    world.filled(ids[0], "1", "101")
    world.rejected(ids[1])
    world.unknown(ids[2])
    world.report(ids[2], OrderStatus.PARTIAL, "0.5", average_price=D(99))
    return ids, [encode_json(event) for _, event in world.published]


def test_two_identical_runs_issue_the_same_ids_and_publish_the_same_events() -> None:
    first, second = _run(), _run()
    assert first == second
    assert len(set(first[0])) == 3
