"""Any mix of orders on any bars: the engine and the venue agree, and every fill is a price the bar had.

Hypothesis draws a walk of one-minute bars (gaps between a close and the next open included) and a
script of market, limit and stop orders, entries with stop-loss/take-profit brackets and cancels, all
run through the real node on the simulated exchange. Whatever it draws:

- nothing raises, and the OMS sees no illegal move and no unknown order;
- the Portfolio's account and the venue's own ledger hold the same balances and the same position;
- a resting limit order fills at its own price (also when a bar gaps past it: the market could not
  get past without trading with it); everything that takes liquidity fills at a price inside the
  range of the bar it happened in, a limit no worse than its limit;
- a stop never fills at a better price than its stop price (a gap fills it at the open, worse).

Account: futures, 1x, 10,000,000 USDT (rejections for funds stay rare); fees maker 0.1 %, taker 0.2 %.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from scenario_world import ACC, EX, SYM, D, bar, market, node_config, run, scripted

from engine.messages import Bar, OrderFilled
from engine.model import LiquiditySide, OrderSide, OrderType

TICK = D("0.01")


@st.composite
def bars(draw: st.DrawFn) -> list[Bar]:
    """10 to 25 one-minute bars around 100: each opens near the last close (sometimes gapping)."""
    count = draw(st.integers(10, 25))
    close = 10_000  # in ticks
    made = []
    for n in range(1, count + 1):
        open_ = close + draw(st.integers(-150, 150))
        close = max(100, open_ + draw(st.integers(-300, 300)))
        open_ = max(100, open_)
        high = max(open_, close) + draw(st.integers(0, 200))
        low = max(50, min(open_, close) - draw(st.integers(0, 200)))
        made.append(bar(60 * n, *(str(Decimal(p) * TICK) for p in (open_, high, low, close))))
    return made


def _offset(draw: st.DrawFn) -> Decimal:
    return Decimal(draw(st.integers(-400, 400))) * TICK


@st.composite
def script(draw: st.DrawFn, minutes: int) -> list[dict[str, Any]]:
    """Up to 12 steps, each on one bar (at that bar's close), in time order."""
    steps: list[dict[str, Any]] = []
    names: list[str] = []
    for n, minute in enumerate(sorted(draw(st.lists(st.integers(1, minutes), max_size=12))), start=1):
        name, when = f"o{n}", 60 * minute
        side = draw(st.sampled_from(["buy", "sell"]))
        quantity = str(Decimal(draw(st.integers(1, 3000))).scaleb(-3))
        level = str(D(100) + _offset(draw))
        kind = draw(st.sampled_from(["market", "limit", "stop", "bracket", "cancel", "cancel_all", "close"]))
        if kind == "cancel" and names:
            steps.append({"at": when, "do": "cancel", "name": draw(st.sampled_from(names))})
            continue
        if kind in {"cancel_all", "close"}:
            steps.append({"at": when, "do": kind})
            continue
        if kind == "limit":
            steps.append(market(name, side, quantity, at=when, order_type="limit", price=level))
        elif kind == "stop":
            steps.append(market(name, side, quantity, at=when, order_type="stop", stop_price=level))
        elif kind == "bracket":
            # placed around 100 on the right sides; the RiskEngine refuses a bracket the market has passed
            away = Decimal(draw(st.integers(50, 800))) * TICK
            below, above = str(D(100) - away), str(D(100) + away)
            stop_loss, take_profit = (below, above) if side == "buy" else (above, below)
            steps.append(
                market(
                    name, side, quantity, at=when, stop_loss_price=stop_loss, take_profit_price=take_profit
                )
            )
        else:
            steps.append(market(name, side, quantity, at=when))
        names.append(name)
    return steps


@st.composite
def sessions(draw: st.DrawFn) -> tuple[list[Bar], list[dict[str, Any]]]:
    walk = draw(bars())
    return walk, draw(script(len(walk)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=sessions())
def test_any_orders_on_any_bars_keep_engine_and_venue_agreed_and_fill_only_at_prices_the_bar_had(
    session: tuple[list[Bar], list[dict[str, Any]]],
) -> None:
    walk, steps = session
    config = node_config(scripted(*steps, data="bars"), balance={"USDT": "10000000"})
    scenario = run(config, walk)
    scenario.assert_healthy()

    store_account = scenario.node.store.get_account(ACC)
    assert store_account is not None
    assert scenario.venue.account.balance == store_account.balance
    assert scenario.venue.signed_quantity(EX, SYM) == scenario.ledger.signed_quantity(EX, SYM)

    by_time = {b.ts_event: b for b in walk}
    for fill in scenario.strategy().fills():
        assert isinstance(fill, OrderFilled)
        order = scenario.node.store.get_order(fill.client_order_id)
        assert order is not None
        bar_ = by_time[fill.ts_event]
        buying = order.side is OrderSide.BUY
        event(f"fill: {order.order_type.value}, {fill.liquidity_side.value}")
        if order.order_type is OrderType.LIMIT:
            assert order.price is not None
            assert fill.price <= order.price if buying else fill.price >= order.price, (fill, order)
            if fill.liquidity_side is LiquiditySide.MAKER:
                # a resting order fills at its own price, also when the bar gaps past it (the market
                # could not get past without trading with it)
                assert fill.price == order.price, (fill, order)
                continue
        # whatever takes liquidity trades at a price the bar had
        assert bar_.low <= fill.price <= bar_.high, (fill, bar_)
        if order.order_type is OrderType.STOP:
            assert order.stop_price is not None
            assert fill.price >= order.stop_price if buying else fill.price <= order.stop_price, (fill, order)


SIM_OPTIONS = st.fixed_dictionaries(
    {
        "volume_participation": st.sampled_from(["1", "0.5", "0.01"]),
        "fill_on_touch": st.booleans(),
        "bar_execution": st.sampled_from(["close", "next_open"]),
        "latency_ns": st.sampled_from([0, 1_000_000_000, 30_000_000_000, 90_000_000_000]),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=sessions(), sim=SIM_OPTIONS, account_type=st.sampled_from(["spot", "futures"]))
def test_whatever_the_venue_options_and_account_type_the_engine_and_the_venue_agree(
    session: tuple[list[Bar], list[dict[str, Any]]], sim: dict[str, Any], account_type: str
) -> None:
    # partial fills (a share of each bar's volume), touch fills, next-open execution and latency up to
    # one and a half bars; limits are never filled worse than their price, whatever the latency
    walk, steps = session
    balance = {"USDT": "10000000", "BTC": "100"} if account_type == "spot" else {"USDT": "10000000"}
    config = node_config(scripted(*steps, data="bars"), account_type=account_type, balance=balance, sim=sim)
    scenario = run(config, walk)
    scenario.assert_healthy()

    engine = scenario.node.store.get_account(ACC)
    assert engine is not None
    assert {c: a for c, a in scenario.venue.account.balance.items() if a} == {
        c: a for c, a in engine.balance.items() if a
    }
    if account_type == "futures":
        assert scenario.venue.signed_quantity(EX, SYM) == scenario.ledger.signed_quantity(EX, SYM)
    else:
        assert all(amount >= 0 for amount in engine.balance.values()), engine.balance
    for fill in scenario.strategy().fills():
        order = scenario.node.store.get_order(fill.client_order_id)
        assert order is not None
        event(f"fill: {order.order_type.value}, {fill.liquidity_side.value}")
        if order.order_type is OrderType.LIMIT:
            assert order.price is not None
            buying = order.side is OrderSide.BUY
            assert fill.price <= order.price if buying else fill.price >= order.price, (fill, order)
