"""The simulated venue's matching, kept pure: per-instrument books of our resting orders and fill decisions.

Nothing here touches the bus, the clock or balances. The exchange asks what would fill and
applies the answer (ledger, order state, events), so the rules can be read and tested alone.

Our orders never meet each other: each one is matched against the market data only.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from operator import attrgetter
from typing import NamedTuple

from adapters.sim.fill_model import INFINITE, ZERO, FillModel, Liquidity, fill_quantity
from engine.model.enums import LiquiditySide, OrderSide, OrderStatus, OrderType, PositionSide, TimeInForce
from engine.model.instrument import TradingInstrument

_key = attrgetter("key")
# Liquidation thresholds while no position can liquidate: no price reaches them.
NO_LONG_LIQUIDATION = Decimal("-Infinity")
NO_SHORT_LIQUIDATION = Decimal("Infinity")


class SimOrder:
    """The venue's record of one order: what it was asked, what it did, and where it is now.

    ``price`` is the limit (zero for a market order). ``key`` orders a book side best first: buys by
    price descending, sells ascending, then by arrival. ``notional`` (sum of price * quantity
    filled) gives the average fill price.
    """

    __slots__ = (
        "account_id",
        "client_order_id",
        "exchange_order_id",
        "execution_id",
        "expire_time",
        "fees",
        "filled",
        "fills",
        "key",
        "leverage",
        "locked",
        "notional",
        "order_type",
        "position_side",
        "post_only",
        "price",
        "quantity",
        "reason",
        "reduce_only",
        "reduces",
        "seq",
        "side",
        "status",
        "symbol",
        "time_in_force",
    )

    def __init__(
        self,
        *,
        seq: int,
        client_order_id: str,
        account_id: str,
        execution_id: str,
        symbol: str,
        side: OrderSide,
        order_type: OrderType,
        quantity: Decimal,
        price: Decimal,
        time_in_force: TimeInForce,
        expire_time: int | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
        leverage: int = 1,
        position_side: PositionSide | None = None,
    ) -> None:
        self.seq = seq
        self.client_order_id = client_order_id
        self.exchange_order_id = ""
        self.account_id = account_id
        self.execution_id = execution_id
        self.symbol = symbol
        self.side = side
        self.order_type = order_type
        self.quantity = quantity
        self.price = price
        self.time_in_force = time_in_force
        self.expire_time = expire_time
        self.post_only = post_only
        self.reduce_only = reduce_only
        self.leverage = leverage
        self.position_side = position_side
        self.filled = ZERO
        self.notional = ZERO
        self.fees = ZERO  # in the instrument's quote currency
        self.fills = 0
        self.locked = False  # funds of the remainder are locked in the venue ledger
        self.reduces = False  # may only reduce a futures position (reduce-only, or a hedge-mode close)
        self.status = OrderStatus.PENDING
        self.reason = ""
        self.key: tuple[Decimal, int] = (ZERO, seq)
        self.reprice(price)

    def reprice(self, price: Decimal) -> None:
        """Set the price and the book key that goes with it (take the order out of its book first)."""
        self.price = price
        self.key = (-price if self.side is OrderSide.BUY else price, self.seq)

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled

    @property
    def is_open(self) -> bool:
        return self.status is OrderStatus.PENDING or self.status is OrderStatus.PARTIAL

    @property
    def average_price(self) -> Decimal | None:
        return self.notional / self.filled if self.filled else None

    def record_fill(self, quantity: Decimal, price: Decimal, fee: Decimal) -> None:
        self.filled += quantity
        self.notional += price * quantity
        self.fees += fee
        self.fills += 1
        self.status = OrderStatus.FILLED if self.filled >= self.quantity else OrderStatus.PARTIAL

    def close(self, status: OrderStatus, reason: str) -> None:
        self.status = status
        self.reason = reason


class Fill(NamedTuple):
    """A fill the matching decided; the exchange books it."""

    order: SimOrder
    price: Decimal
    quantity: Decimal
    liquidity_side: LiquiditySide


class Arrival(NamedTuple):
    """What happens to an order when it reaches the book.

    ``reject_reason``: refused outright (nothing filled). Otherwise ``fill_quantity`` at
    ``fill_price`` takes liquidity (taker), then the remainder rests (``rest``) or is cancelled
    with ``cancel_reason``.
    """

    fill_quantity: Decimal
    fill_price: Decimal
    rest: bool
    cancel_reason: str = ""
    reject_reason: str = ""


POST_ONLY_WOULD_TAKE = "post_only_would_take"
IOC_REMAINDER = "ioc remainder"
FOK_UNFILLED = "fok unfilled"


def marketable(side: OrderSide, limit: Decimal, price: Decimal) -> bool:
    """A limit order on ``side`` at ``limit`` would take liquidity offered at ``price``."""
    return price <= limit if side is OrderSide.BUY else price >= limit


def arrive(order: SimOrder, price: Decimal, available: Decimal, step: Decimal) -> Arrival:
    """Decide an order's arrival against the market's taker ``price`` offering ``available``.

    A market order takes all of it at ``price`` (there is no depth to walk). A limit order whose
    price reaches ``price`` is marketable and takes at ``price`` (never worse than its limit),
    up to ``available``; a post-only one is refused instead. Time in force settles the rest:
    GTC/GTD rest, IOC cancels what did not fill, FOK fills entirely or not at all.
    """
    remaining = order.remaining
    if order.order_type is OrderType.MARKET:
        return Arrival(remaining, price, rest=False)
    tif = order.time_in_force
    if not marketable(order.side, order.price, price):
        if tif is TimeInForce.IOC:
            return Arrival(ZERO, price, rest=False, cancel_reason=IOC_REMAINDER)
        if tif is TimeInForce.FOK:
            return Arrival(ZERO, price, rest=False, cancel_reason=FOK_UNFILLED)
        return Arrival(ZERO, price, rest=True)
    if order.post_only:
        return Arrival(ZERO, price, rest=False, reject_reason=POST_ONLY_WOULD_TAKE)
    quantity = fill_quantity(remaining, available, step)
    if tif is TimeInForce.FOK and quantity < remaining:
        return Arrival(ZERO, price, rest=False, cancel_reason=FOK_UNFILLED)
    if quantity == remaining:
        return Arrival(quantity, price, rest=False)
    if tif is TimeInForce.IOC:
        return Arrival(quantity, price, rest=False, cancel_reason=IOC_REMAINDER)
    return Arrival(quantity, price, rest=True)


class Market:
    """One instrument as the venue sees it: the last prices, our resting orders and the orders waiting
    for a price.

    ``instrument`` is None while the Store does not know the symbol: prices are still recorded.
    ``active`` is true while orders need the market data (resting or waiting ones). Liquidation is
    watched through two thresholds the exchange keeps up to date whenever a position changes: a price
    at or below ``long_liquidation`` (the highest liquidation price of the longs) or at or above
    ``short_liquidation`` (the lowest of the shorts) liquidates something, so a price between them
    costs two comparisons. When neither applies a trade tick only records its price.
    """

    __slots__ = (
        "active",
        "ask",
        "ask_size",
        "bar_close",
        "bar_interval",
        "bar_ts",
        "bid",
        "bid_size",
        "buys",
        "instrument",
        "last_trade",
        "long_liquidation",
        "model",
        "next_open",
        "sells",
        "short_liquidation",
        "step",
        "waiting",
        "watch_liquidation",
    )

    def __init__(self, instrument: TradingInstrument | None, model: FillModel, *, next_open: bool) -> None:
        self.instrument = instrument
        self.model = model
        self.next_open = next_open
        self.step = instrument.quantity_step if instrument is not None else Decimal(1)
        self.buys: list[SimOrder] = []  # best (highest) first
        self.sells: list[SimOrder] = []  # best (lowest) first
        self.waiting: list[SimOrder] = []  # accepted, arriving at the next price
        self.watch_liquidation = False  # some position here has a liquidation price
        self.long_liquidation = NO_LONG_LIQUIDATION
        self.short_liquidation = NO_SHORT_LIQUIDATION
        self.active = False
        self.bid: Decimal | None = None
        self.ask: Decimal | None = None
        self.bid_size = ZERO
        self.ask_size = ZERO
        self.last_trade: Decimal | None = None
        self.bar_close: Decimal | None = None
        self.bar_ts = -1  # ts_event of the last bar that drove this market
        self.bar_interval = ""

    def bind(self, instrument: TradingInstrument) -> None:
        self.instrument = instrument
        self.step = instrument.quantity_step

    # -- our orders -------------------------------------------------------------------------

    def rest(self, order: SimOrder) -> None:
        insort(self.buys if order.side is OrderSide.BUY else self.sells, order, key=_key)
        self.active = True

    def wait(self, order: SimOrder) -> None:
        self.waiting.append(order)
        self.active = True

    def remove(self, order: SimOrder) -> None:
        """Take an order out of its book side or the waiting list (no-op if it is in neither)."""
        side = self.buys if order.side is OrderSide.BUY else self.sells
        index = bisect_left(side, order.key, key=_key)
        if index < len(side) and side[index] is order:
            del side[index]
        elif order in self.waiting:
            self.waiting.remove(order)
        self.refresh()

    def refresh(self) -> None:
        self.active = bool(self.buys or self.sells or self.waiting)

    def liquidates(self, price: Decimal) -> bool:
        """A price at which some watched position liquidates (exact: the thresholds are the extremes)."""
        return price <= self.long_liquidation or price >= self.short_liquidation

    # -- prices -----------------------------------------------------------------------------

    def drop_quote(self) -> None:
        """Forget the top of book until the next quote: the last trade is the price until then."""
        self.bid = self.ask = None
        self.bid_size = self.ask_size = ZERO

    def taker_price(self, side: OrderSide) -> tuple[Decimal, Decimal] | None:
        """Where an order on ``side`` takes liquidity now, and how much it can take there.

        The best opposite quote (its size bounds a limit order), else the last trade, else the last
        bar's close (``bar_execution = "close"``); None means: wait for the next price. A trade outside
        the quote drops it (``drop_quote``), so a stale quote never outranks a newer trade.
        """
        if side is OrderSide.BUY:
            if self.ask is not None:
                return self.ask, self.model.level_liquidity(self.ask_size)
        elif self.bid is not None:
            return self.bid, self.model.level_liquidity(self.bid_size)
        if self.last_trade is not None:
            return self.last_trade, INFINITE
        if self.bar_close is not None and not self.next_open:
            return self.bar_close, INFINITE
        return None

    def stop_fill_price(self, side: OrderSide, trigger_price: Decimal, ts: int) -> Decimal | None:
        """Where a stop the emulator released on this market's last bar met the market (the emulator
        says where: ``SubmitOrder.trigger_price``), rounded to the tick against the order. None unless
        bars alone drive this market and ``ts`` is that bar's: with ticks, or once another bar came,
        the order takes the price of the moment like any market order."""
        if self.bar_ts != ts or self.last_trade is not None or self.bid is not None:
            return None
        tick = self.instrument.tick_size if self.instrument is not None else None
        if not tick:
            return trigger_price
        rounding = ROUND_CEILING if side is OrderSide.BUY else ROUND_FLOOR
        return (trigger_price / tick).to_integral_value(rounding) * tick

    def estimate(self, side: OrderSide) -> Decimal | None:
        """The best guess of a market order's price now (to lock funds for it), or None without data."""
        reference = self.taker_price(side)
        return reference[0] if reference is not None else self.bar_close

    def mark(self) -> Decimal | None:
        """The price positions are valued at: the last trade, else the mid quote, else the bar close."""
        if self.last_trade is not None:
            return self.last_trade
        if self.bid is not None and self.ask is not None:
            return (self.bid + self.ask) / 2
        return self.bar_close

    # -- matching resting orders ------------------------------------------------------------

    def crossed_by(self, price: Decimal) -> bool:
        """A trade at ``price`` reaches the best resting buy or sell (cheap: two comparisons at most)."""
        buys, sells = self.buys, self.sells
        return bool(
            (buys and self.model.buy_trades_through(buys[0].price, price))
            or (sells and self.model.sell_trades_through(sells[0].price, price))
        )

    def match_trade(self, price: Decimal, liquidity: Liquidity) -> list[Fill]:
        """Resting orders a trade at ``price`` fills, best first, within ``liquidity`` (consumed)."""
        fills: list[Fill] = []
        model = self.model
        step = self.step
        if self.buys and model.buy_trades_through(self.buys[0].price, price):
            for order in self.buys:
                limit = order.price
                if not model.buy_trades_through(limit, price) or not _fill(
                    fills, order, limit, liquidity, step
                ):
                    break
        if self.sells and model.sell_trades_through(self.sells[0].price, price):
            for order in self.sells:
                limit = order.price
                if not model.sell_trades_through(limit, price) or not _fill(
                    fills, order, limit, liquidity, step
                ):
                    break
        return fills

    def match_quote(self) -> list[Fill]:
        """Resting orders the current quote reaches: buys at or above the ask, sells at or below the bid.

        Each side's level size (times the participation) bounds what it fills.
        """
        fills: list[Fill] = []
        step = self.step
        ask, bid = self.ask, self.bid
        if ask is not None and self.buys and self.buys[0].price >= ask:
            liquidity = Liquidity(self.model.level_liquidity(self.ask_size))
            for order in self.buys:
                limit = order.price
                if limit < ask or not _fill(fills, order, limit, liquidity, step):
                    break
        if bid is not None and self.sells and self.sells[0].price <= bid:
            liquidity = Liquidity(self.model.level_liquidity(self.bid_size))
            for order in self.sells:
                limit = order.price
                if limit > bid or not _fill(fills, order, limit, liquidity, step):
                    break
        return fills


def _fill(fills: list[Fill], order: SimOrder, price: Decimal, liquidity: Liquidity, step: Decimal) -> bool:
    """Add the maker fill ``liquidity`` allows ``order`` at ``price``; False when the liquidity is used up."""
    quantity = fill_quantity(order.remaining, liquidity.base_at(price), step)
    if not quantity:
        return False
    liquidity.take(quantity, price)
    fills.append(Fill(order, price, quantity, LiquiditySide.MAKER))
    return True
