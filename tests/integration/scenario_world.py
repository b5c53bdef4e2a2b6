"""A whole node for the scenario tests: the config a user would write, a scripted strategy, hand-written data.

Everything is real: ``Node`` builds the bus, simulated clock, DataEngine, RiskEngine, OMS, OrderEmulator,
Portfolio and a ``SimulatedExchange`` (``adapters.sim:create_client``) from a ``NodeConfig``. The only
test code is ``ScriptedStrategy``: a strategy whose parameters are a script of steps (submit or cancel),
each run on the first market data event at or after its time, and which records every order, position
and account event it receives.

World: exchange ``sim``; instrument BTCUSDT (tick 0.01, quantity step 0.001, sizes 0.001..1000, maker fee
0.1 %, taker fee 0.2 %, up to 20x, maintenance margin 0.5 %); account ``acc`` (futures, 10,000 USDT
unless a test says otherwise). Times are whole seconds after ``T0`` (2024-01-01T00:00:00Z).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal

import msgspec

from adapters.sim import SimulatedExchange
from engine import topics
from engine.config import NodeConfig, config_from_dict
from engine.messages import (
    AccountState,
    Bar,
    Message,
    OrderEvent,
    PositionEvent,
    QueryOrder,
    QuoteTick,
    SetTradingState,
    TradeTick,
)
from engine.model import Order, OrderSide, OrderType, PositionSide, TimeInForce
from engine.model.accounting import Ledger
from engine.node import Node
from engine.strategy import Strategy

D = Decimal
S = 1_000_000_000
T0 = 1_704_067_200 * S  # 2024-01-01T00:00:00Z
EX, SYM, ACC = "sim", "BTCUSDT", "acc"
MAKER_FEE, TAKER_FEE = D("0.001"), D("0.002")
MAINTENANCE_MARGIN_RATE = D("0.005")
STRATEGY = "scenario_world:ScriptedStrategy"
RECORDED_TOPICS = ("events.order.*", "events.position.*", "events.position.account.*", "events.account.*")


def at(seconds: float) -> int:
    """Nanoseconds of a time given in seconds after ``T0``."""
    return T0 + int(seconds * S)


# -- market data --------------------------------------------------------------------------------


def trade(seconds: float, price: str, quantity: str = "10") -> TradeTick:
    ts = at(seconds)
    return TradeTick(
        ts_event=ts, ts_init=ts, exchange_id=EX, symbol=SYM, price=D(price), quantity=D(quantity)
    )


def quote(seconds: float, bid: str, ask: str, bid_size: str = "10", ask_size: str = "10") -> QuoteTick:
    ts = at(seconds)
    return QuoteTick(
        ts_event=ts,
        ts_init=ts,
        exchange_id=EX,
        symbol=SYM,
        bid_price=D(bid),
        bid_size=D(bid_size),
        ask_price=D(ask),
        ask_size=D(ask_size),
    )


def bar(seconds: float, o: str, h: str, lo: str, c: str, volume: str = "100") -> Bar:
    """A one-minute bar closing at ``seconds`` (its ``ts_event`` is its close time)."""
    ts = at(seconds)
    return Bar(
        ts_event=ts,
        ts_init=ts,
        exchange_id=EX,
        symbol=SYM,
        interval="1m",
        open=D(o),
        high=D(h),
        low=D(lo),
        close=D(c),
        volume=D(volume),
    )


# -- the scripted strategy ------------------------------------------------------------------------


class Step(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One thing the strategy does, on the first market data event at or after ``at`` seconds.

    ``name`` labels the order a submit creates, or names the order a cancel acts on; ``cancel_all``
    and ``close`` (flatten the position) act on the strategy's instrument.
    """

    at: float
    do: Literal["submit", "cancel", "cancel_all", "close"] = "submit"
    name: str = ""
    side: OrderSide = OrderSide.BUY
    quantity: Decimal | None = None
    order_type: OrderType = OrderType.MARKET
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_at: float | None = None
    reduce_only: bool = False
    post_only: bool = False
    stop_loss_price: Decimal | None = None
    take_profit_price: Decimal | None = None
    trailing_stop_callback_rate: Decimal | None = None
    trailing_stop_activation_price: Decimal | None = None
    leverage: int | None = None
    position_side: PositionSide | None = None


class ScriptedStrategy(Strategy):
    """Runs its script against the market data it receives; records what comes back.

    ``data`` picks what it subscribes to (trades and quotes, or one-minute bars); ``record_all`` also
    records every order, position and account event of the node (every execution), for determinism.
    """

    class Params(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
        script: list[Step] = msgspec.field(default_factory=list)
        data: Literal["ticks", "bars"] = "ticks"
        record_all: bool = False

    def on_start(self) -> None:
        self.ids: dict[str, str] = {}  # step name -> client order id
        self.order_events: list[OrderEvent] = []
        self.position_events: list[PositionEvent] = []
        self.account_states: list[AccountState] = []
        self.recorded: list[bytes] = []
        self._next = 0
        if self.p.data == "bars":
            self.subscribe_bars("1m")
        else:
            self.subscribe_trades()
            self.subscribe_quotes()
        if self.p.record_all:
            for pattern in RECORDED_TOPICS:
                self.subscribe(pattern, self._record)

    def on_trade(self, tick: TradeTick) -> None:
        self._run_due(tick.ts_event)

    def on_quote(self, quote: QuoteTick) -> None:
        self._run_due(quote.ts_event)

    def on_bar(self, bar: Bar) -> None:
        self._run_due(bar.ts_event)

    def on_order(self, event: OrderEvent) -> None:
        self.order_events.append(event)

    def on_position(self, event: PositionEvent) -> None:
        self.position_events.append(event)

    def on_account(self, state: AccountState) -> None:
        self.account_states.append(state)

    def _record(self, msg: Message) -> None:
        self.recorded.append(msgspec.json.encode(msg))

    def _run_due(self, ts: int) -> None:
        script = self.p.script
        while self._next < len(script) and at(script[self._next].at) <= ts:
            step = script[self._next]
            self._next += 1
            self._perform(step)

    def _perform(self, step: Step) -> None:
        if step.do == "submit":
            assert step.quantity is not None, "a submit step needs a quantity"
            self.ids[step.name] = self.submit_order(
                step.side,
                step.quantity,
                order_type=step.order_type,
                price=step.price,
                stop_price=step.stop_price,
                time_in_force=step.time_in_force,
                expire_time=None if step.expire_at is None else at(step.expire_at),
                reduce_only=step.reduce_only,
                post_only=step.post_only,
                stop_loss_price=step.stop_loss_price,
                take_profit_price=step.take_profit_price,
                trailing_stop_callback_rate=step.trailing_stop_callback_rate,
                trailing_stop_activation_price=step.trailing_stop_activation_price,
                leverage=step.leverage,
                position_side=step.position_side,
            )
        elif step.do == "cancel":
            self.cancel_order(self.ids[step.name])
        elif step.do == "cancel_all":
            self.cancel_all_orders()
        else:
            self.close_position()

    # -- reading what happened -------------------------------------------------------------------

    def events_of(self, name: str) -> list[str]:
        """Type names of the order events received for the order labelled ``name``, in order."""
        client_order_id = self.ids[name]
        return [type(e).__name__ for e in self.order_events if e.client_order_id == client_order_id]

    def fills(self) -> list[Any]:
        return [e for e in self.order_events if type(e).__name__ == "OrderFilled"]


def market(name: str, side: str, quantity: str, *, at: float = 1, **options: Any) -> dict[str, Any]:
    """A script step submitting a market order; ``options`` are further ``Step`` fields."""
    return {"at": at, "name": name, "side": side, "quantity": quantity, **options}


def limit(
    name: str, side: str, quantity: str, price: str, *, at: float = 1, **options: Any
) -> dict[str, Any]:
    return market(name, side, quantity, at=at, **{"order_type": "limit", "price": price, **options})


def stop(
    name: str, side: str, quantity: str, stop_price: str, *, at: float = 1, **options: Any
) -> dict[str, Any]:
    """A stop (``order_type="stop_limit"`` with a ``price`` for a stop-limit)."""
    return market(name, side, quantity, at=at, **{"order_type": "stop", "stop_price": stop_price, **options})


def market_script(
    orders: Iterable[tuple[str, str, Decimal]], *, hedge: bool
) -> tuple[list[dict[str, Any]], dict[str, Decimal]]:
    """Market steps for ``(side, slot, quantity)`` orders, the n-th at n seconds.

    In hedge mode each names its slot, and a reduce is cut to what the slot holds (dropped if it
    holds nothing), as the venue would refuse the rest. Returns the steps and each slot's holding.
    """
    steps, held = [], {"long": Decimal(0), "short": Decimal(0)}
    for n, (side, slot, wanted) in enumerate(orders, 1):
        quantity = wanted
        if hedge:
            opens = side == ("buy" if slot == "long" else "sell")
            quantity = wanted if opens else min(wanted, held[slot])
            if not quantity:
                continue
            held[slot] += quantity if opens else -quantity
        options = {"position_side": slot} if hedge else {}
        steps.append(market(f"o{n}", side, str(quantity), at=n, **options))
    return steps, held


def cancel(name: str, *, at: float) -> dict[str, Any]:
    return {"at": at, "do": "cancel", "name": name}


# -- configuration --------------------------------------------------------------------------------


def instrument_config() -> dict[str, Any]:
    return {
        "symbol": SYM,
        "base_currency": "BTC",
        "quote_currency": "USDT",
        "min_order_size": "0.001",
        "max_order_size": "1000",
        "price_precision": 2,
        "quantity_precision": 3,
        "tick_size": "0.01",
        "exchange_id": EX,
        "trading_types": ["spot", "futures"],
        "contract_specifications": {
            "max_leverage": 20,
            "maintenance_margin_rate": str(MAINTENANCE_MARGIN_RATE),
            "maker_fee": str(MAKER_FEE),
            "taker_fee": str(TAKER_FEE),
            "futures_type": "usd_m",
        },
    }


def scripted(
    *steps: dict[str, Any],
    execution_id: str = "s1",
    data: Literal["ticks", "bars"] = "ticks",
    record_all: bool = False,
    risk_controls: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The config entry of one ``ScriptedStrategy`` execution on account ``acc``."""
    return {
        "strategy": STRATEGY,
        "strategy_id": execution_id,
        "execution_id": execution_id,
        "account_id": ACC,
        "exchange_id": EX,
        "symbol": SYM,
        "params": {"script": list(steps), "data": data, "record_all": record_all},
        "risk_controls": risk_controls or {},
    }


def node_config(
    *strategies: dict[str, Any],
    account_type: Literal["spot", "futures"] = "futures",
    hedge_mode: bool = False,
    balance: dict[str, str] | None = None,
    sim: dict[str, Any] | None = None,
    risk: dict[str, Any] | None = None,
) -> NodeConfig:
    return config_from_dict(
        {
            "exchanges": [{"id": EX, "client": "adapters.sim:create_client", "client_options": sim or {}}],
            "instruments": [instrument_config()],
            "accounts": [
                {
                    "account_id": ACC,
                    "exchange_id": EX,
                    "account_type": account_type,
                    "hedge_mode": hedge_mode,
                    "balance": balance or {"USDT": "10000"},
                }
            ],
            "strategies": list(strategies) or [scripted()],
            "risk": risk or {},
        },
        source="scenario",
    )


# -- running ----------------------------------------------------------------------------------------


class Scenario:
    """A started node fed market data step by step, with shortcuts to what the assertions read."""

    def __init__(self, config: NodeConfig, start_seconds: float = 0) -> None:
        self.node = Node(config, start_ns=at(start_seconds))
        self.recorded: list[bytes] = []
        for pattern in RECORDED_TOPICS:
            self.node.bus.subscribe(pattern, lambda msg: self.recorded.append(msgspec.json.encode(msg)))
        self.node.start()

    def feed(self, *data: Message) -> Scenario:
        for msg in data:
            self.node.process(msg)
        return self

    def stop(self) -> Scenario:
        self.node.stop()
        return self

    def operator(self, command: SetTradingState) -> None:
        """What the control server does with a ``SetTradingState``: hand it to the RiskEngine."""
        self.node.bus.send(topics.RISK_ENGINE, command)

    def query(self, name: str, execution_id: str = "s1") -> None:
        """What reconciliation does for an order whose state it doubts: ask the OMS to query the venue."""
        order = self.order(name, execution_id)
        now = self.node.clock.timestamp_ns()
        query = QueryOrder(
            ts_event=now,
            ts_init=now,
            execution_id=execution_id,
            trading_account_id=order.trading_account_id,
            exchange_id=EX,
            symbol=SYM,
            client_order_id=order.order_id,
        )
        self.node.bus.send(topics.EXEC_ENGINE, query)

    def strategy(self, execution_id: str = "s1") -> ScriptedStrategy:
        found = next(s for s in self.node.strategies if s.execution_id == execution_id)
        assert isinstance(found, ScriptedStrategy)
        return found

    def order(self, name: str, execution_id: str = "s1") -> Order:
        order = self.node.store.get_order(self.strategy(execution_id).ids[name])
        assert order is not None
        return order

    @property
    def ledger(self) -> Ledger:
        """The Portfolio's ledger of the account (the Store's balances), marked at the last price."""
        return self.node.portfolio.ledger(ACC)

    def execution_ledger(self, execution_id: str) -> Ledger:
        return self.node.portfolio.execution_ledger(ACC, execution_id)

    @property
    def venue(self) -> Ledger:
        """The simulated exchange's own ledger of the account."""
        venue = self.node.clients[0]
        assert isinstance(venue, SimulatedExchange)
        return venue.ledger(ACC)

    def balance(self, currency: str = "USDT") -> Decimal:
        return self.ledger.account.balance.get(currency, D(0))

    def available(self, currency: str = "USDT") -> Decimal:
        return self.ledger.account.available_balance.get(currency, D(0))

    def used(self, currency: str = "USDT") -> Decimal:
        return self.ledger.account.used_balance.get(currency, D(0))

    def assert_healthy(self) -> None:
        """No handler raised anywhere, and the OMS never saw an illegal move or an unknown order."""
        execution = self.node.execution
        assert self.node.bus.errors == 0
        assert all(s.errors == 0 for s in self.node.strategies)
        assert execution.illegal_transitions == 0
        assert execution.unmatched_events == 0


def run(config: NodeConfig, data: Iterable[Message], *, stop: bool = False) -> Scenario:
    """Start a node at ``T0``, feed it ``data`` in order, optionally stop it."""
    scenario = Scenario(config).feed(*data)
    return scenario.stop() if stop else scenario
