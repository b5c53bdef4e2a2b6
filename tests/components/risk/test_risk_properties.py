"""For any orders and equity paths, the RiskEngine decides as an independent reading of its limits does."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from risk_world import DAY, SECOND, D, World, reason_code

from engine.components.risk import RiskConfig
from engine.model import OrderSide, PositionSide
from engine.model.enums import TradingState

# BTCUSDT of the world: quantity 0.001..100 by 0.001, tick 0.01. About a quarter of the generated
# sizes and prices are off those grids, so the rules refuse about as often as each limit.
quantities = st.integers(1, 2000).map(lambda k: k * D("0.001")) | st.integers(1, 4000).map(
    lambda k: k * D("0.0005")
)
prices = st.integers(1, 20000).map(lambda k: k * D("0.01")) | st.integers(1, 40000).map(
    lambda k: k * D("0.005")
)
orders = st.lists(st.tuples(st.sampled_from(list(OrderSide)), quantities, prices), min_size=1, max_size=8)
positions = st.none() | st.tuples(
    st.sampled_from(list(PositionSide)), st.integers(1, 30).map(lambda k: k * D("0.1"))
)


def allowed(
    side: OrderSide,
    quantity: Decimal,
    price: Decimal,
    *,
    config: RiskConfig,
    position: Decimal,
    open_orders: int,
    pending: dict[OrderSide, Decimal],
) -> bool:
    """The limits read straight from their definitions; ``position`` is signed (long > 0)."""
    on_grid = quantity == quantity.quantize(D("0.001")) and price == price.quantize(D("0.01"))
    if not (on_grid and D("0.001") <= quantity <= D(100) and price > 0):
        return False
    assert config.max_order_notional is not None and config.max_open_orders is not None
    assert config.max_position_size is not None
    if quantity * price > config.max_order_notional or open_orders >= config.max_open_orders:
        return False
    closing = pending[side] + quantity  # with the open orders on its side, all would close
    reduces = (position > 0 and side is OrderSide.SELL and closing <= position) or (
        position < 0 and side is OrderSide.BUY and closing <= -position
    )
    direction = 1 if side is OrderSide.BUY else -1
    after = position + direction * (pending[side] + quantity)
    return reduces or abs(after) <= config.max_position_size


@settings(max_examples=200, deadline=None)
@given(
    orders=orders,
    position=positions,
    notional=st.integers(1, 300),
    size=st.integers(1, 40).map(lambda k: k * D("0.1")),
    open_limit=st.integers(1, 6),
)
def test_the_engine_approves_iff_the_limits_allow(
    orders: list[tuple[OrderSide, Decimal, Decimal]],
    position: tuple[PositionSide, Decimal] | None,
    notional: int,
    size: Decimal,
    open_limit: int,
) -> None:
    config = RiskConfig(max_order_notional=D(notional), max_position_size=size, max_open_orders=open_limit)
    world = World(config)
    signed = D(0)
    if position is not None:
        side, quantity = position
        world.open_position(side, str(quantity))
        signed = quantity if side is PositionSide.LONG else -quantity
    open_orders = 0
    pending = {OrderSide.BUY: D(0), OrderSide.SELL: D(0)}

    for side, quantity, price in orders:
        expected = allowed(
            side, quantity, price, config=config, position=signed, open_orders=open_orders, pending=pending
        )
        outcome = world.submit(side=side, quantity=quantity, price=price)

        assert (reason_code(outcome) == "approved") == expected, outcome
        if expected:  # the OMS never stores it here: it stays open, on its side, for the next orders
            open_orders += 1
            pending[side] += quantity


@settings(max_examples=150, deadline=None)
@given(
    path=st.lists(st.tuples(st.integers(0, 30), st.integers(9000, 11000)), min_size=1, max_size=20),
    daily_limit=st.integers(50, 600),
    drawdown_pct=st.integers(2, 15),
)
def test_trading_stops_exactly_while_a_loss_limit_stands(
    path: list[tuple[int, int]], daily_limit: int, drawdown_pct: int
) -> None:
    """A flat account, so a reached limit halts at once; the daily limit lifts at the next UTC day."""
    world = World(RiskConfig(daily_loss_limit=D(daily_limit), max_drawdown_pct=D(drawdown_pct)))
    hour = 3600 * SECOND
    last: Decimal | None = None
    day = start = peak = None
    daily_reached = drawdown_reached = False

    for hours, total in path:
        world.advance(hours * hour)
        equity = D(total)
        today = world.clock.timestamp_ns() // DAY
        if today != day:
            day, daily_reached = today, False
            start = equity if last is None else last
        start = equity if start is None else start
        peak = equity if peak is None else max(peak, equity)
        daily_reached = daily_reached or start - equity >= daily_limit
        drawdown_reached = drawdown_reached or (peak - equity) * 100 / peak >= drawdown_pct
        last = equity

        world.account_state(str(total))

        expected = TradingState.HALTED if daily_reached or drawdown_reached else TradingState.ACTIVE
        assert world.engine.state is expected
