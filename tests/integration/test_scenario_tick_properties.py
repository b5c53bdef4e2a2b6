"""Any mix of orders on any trades and quotes, spot or futures: the engine and the venue stay agreed.

Hypothesis draws a stream of trades and quotes (a random walk, the quote sometimes left behind by the
trades) and a script of market, limit, stop, stop-limit and trailing-stop orders, bracket entries
and cancels, and runs it through the real node on the simulated exchange, on a spot or a futures
account. Whatever it draws:

- nothing raises, and the OMS sees no illegal move and no unknown order;
- the Portfolio's account and the venue's ledger hold the same balance in every currency and the same
  position, and the Portfolio's available balance is what it holds less what its orders reserve;
- a spot account never holds a negative amount of anything;
- once every order has ended, nothing stays reserved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from scenario_world import ACC, EX, SYM, D, market, node_config, quote, run, scripted, trade

from adapters.sim import SimulatedExchange
from engine import topics
from engine.messages import Message, QueryOrder, QuoteTick, TradeTick

TICK = D("0.01")


@st.composite
def market_data(draw: st.DrawFn) -> list[TradeTick | QuoteTick]:
    """20 to 60 events one second apart around 100: trades, and quotes around the last trade."""
    price = 10_000  # in ticks
    made: list[TradeTick | QuoteTick] = []
    for n in range(1, draw(st.integers(20, 60)) + 1):
        price = max(100, price + draw(st.integers(-60, 60)))
        if draw(st.booleans()):
            made.append(
                trade(n, str(Decimal(price) * TICK), str(Decimal(draw(st.integers(1, 5000))).scaleb(-3)))
            )
        else:
            half = draw(st.integers(1, 5))
            made.append(quote(n, str(Decimal(price - half) * TICK), str(Decimal(price + half) * TICK)))
    return made


@st.composite
def script(draw: st.DrawFn, seconds: int) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    names: list[str] = []
    for n, second in enumerate(sorted(draw(st.lists(st.integers(1, seconds), max_size=14))), start=1):
        name = f"o{n}"
        side = draw(st.sampled_from(["buy", "sell"]))
        quantity = str(Decimal(draw(st.integers(1, 2000))).scaleb(-3))
        level = str(D(100) + Decimal(draw(st.integers(-300, 300))) * TICK)
        kind = draw(
            st.sampled_from(
                [
                    "market",
                    "limit",
                    "stop",
                    "stop_limit",
                    "trailing",
                    "bracket",
                    "cancel",
                    "cancel_all",
                    "close",
                ]
            )
        )
        event(f"step: {kind}")
        if kind == "cancel" and names:
            steps.append({"at": second, "do": "cancel", "name": draw(st.sampled_from(names))})
            continue
        if kind in {"cancel_all", "close"}:
            steps.append({"at": second, "do": kind})
            continue
        if kind == "limit":
            # any time in force (a GTD one lasting 1-10 s), post-only or not, reduce-only or not
            options: dict[str, Any] = {
                "time_in_force": draw(st.sampled_from(["GTC", "IOC", "FOK", "GTD"])),
                "reduce_only": draw(st.booleans()),
            }
            if options["time_in_force"] == "GTD":
                options["expire_at"] = second + draw(st.integers(1, 10))
            if options["time_in_force"] in {"GTC", "GTD"} and draw(st.booleans()):
                options["post_only"] = True
            event(f"limit: {options['time_in_force']}{', post-only' if options.get('post_only') else ''}")
            step = market(name, side, quantity, at=second, order_type="limit", price=level, **options)
        elif kind == "stop":
            step = market(name, side, quantity, at=second, order_type="stop", stop_price=level)
        elif kind == "stop_limit":
            step = market(
                name, side, quantity, at=second, order_type="stop_limit", stop_price=level, price=level
            )
        elif kind == "trailing":
            rate = str(Decimal(draw(st.integers(1, 30))).scaleb(-1))  # 0.1 % .. 3 %
            step = market(
                name, side, quantity, at=second, order_type="trailing_stop", trailing_stop_callback_rate=rate
            )
        elif kind == "bracket":
            away = Decimal(draw(st.integers(50, 600))) * TICK
            below, above = str(D(100) - away), str(D(100) + away)
            stop_loss, take_profit = (below, above) if side == "buy" else (above, below)
            step = market(
                name, side, quantity, at=second, stop_loss_price=stop_loss, take_profit_price=take_profit
            )
        else:
            step = market(name, side, quantity, at=second)
        steps.append(step)
        names.append(name)
    return steps


@st.composite
def sessions(draw: st.DrawFn) -> tuple[Literal["spot", "futures"], list[Message], list[dict[str, Any]]]:
    data = draw(market_data())
    return draw(st.sampled_from(["spot", "futures"])), list(data), draw(script(len(data)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=sessions())
def test_any_orders_on_any_ticks_keep_engine_and_venue_agreed(
    session: tuple[Literal["spot", "futures"], list[Message], list[dict[str, Any]]],
) -> None:
    account_type, data, steps = session
    balance = {"USDT": "100000", "BTC": "10"} if account_type == "spot" else {"USDT": "100000"}
    config = node_config(scripted(*steps), account_type=account_type, balance=balance)
    scenario = run(config, data)
    scenario.assert_healthy()

    engine = scenario.node.store.get_account(ACC)
    assert engine is not None
    venue = scenario.venue.account
    assert _nonzero(venue.balance) == _nonzero(engine.balance)
    assert scenario.venue.signed_quantity(EX, SYM) == scenario.ledger.signed_quantity(EX, SYM)
    for currency, held in engine.balance.items():
        assert engine.available_balance.get(currency, D(0)) == held - engine.used_balance.get(currency, D(0))
    if account_type == "spot":
        assert all(amount >= 0 for amount in engine.balance.values()), engine.balance
    open_orders = scenario.node.store.orders_for(ACC, open_only=True)
    event(f"open orders at the end: {min(len(open_orders), 3)}")
    if not open_orders:
        assert all(used == 0 for used in engine.used_balance.values() if account_type == "spot"), engine


def _nonzero(balances: dict[str, Decimal]) -> dict[str, Decimal]:
    return {currency: amount for currency, amount in balances.items() if amount}


MISBEHAVIOUR = st.lists(
    st.fixed_dictionaries(
        {
            "action": st.sampled_from(
                ["delay_ack", "drop_ack", "drop_fill", "duplicate_fill", "fill_before_ack", "ack_unknown"]
            ),
            "probability": st.sampled_from([0.2, 0.5]),
        }
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=sessions(), misbehaviour=MISBEHAVIOUR, seed=st.integers(0, 1000))
def test_a_misbehaving_venue_and_the_engine_agree_once_the_engine_has_asked_about_every_open_order(
    session: tuple[Literal["spot", "futures"], list[Message], list[dict[str, Any]]],
    misbehaviour: list[dict[str, Any]],
    seed: int,
) -> None:
    account_type, data, steps = session
    balance = {"USDT": "100000", "BTC": "10"} if account_type == "spot" else {"USDT": "100000"}
    sim = {"misbehaviour": misbehaviour, "seed": seed}
    scenario = run(node_config(scripted(*steps), account_type=account_type, balance=balance, sim=sim), data)
    for action in {rule["action"] for rule in misbehaviour}:
        event(f"misbehaviour: {action}")

    # reconciliation, as a live node runs it periodically: the engine asks the venue about every order
    # it still thinks open, until nothing changes (a recovered entry fill places bracket exits, whose
    # own fills may be lost too)
    for _ in range(5):
        before = [(o.order_id, o.status, o.filled_quantity) for o in scenario.node.store.orders_for(ACC)]
        for order in scenario.node.store.orders_for(ACC, open_only=True):
            now = scenario.node.clock.timestamp_ns()
            query = QueryOrder(
                ts_event=now,
                ts_init=now,
                execution_id=order.execution_id,
                trading_account_id=ACC,
                exchange_id=EX,
                symbol=SYM,
                client_order_id=order.order_id,
            )
            scenario.node.bus.send(topics.EXEC_ENGINE, query)
        if before == [(o.order_id, o.status, o.filled_quantity) for o in scenario.node.store.orders_for(ACC)]:
            break

    assert scenario.node.bus.errors == 0
    venue = scenario.node.clients[0]
    assert isinstance(venue, SimulatedExchange)
    for order in scenario.node.store.orders_for(ACC):
        at_venue = venue.order(order.order_id)
        if at_venue is not None:  # else the RiskEngine refused it, or the emulator still holds it
            assert (order.status, order.filled_quantity) == (at_venue.status, at_venue.filled), order
    engine = scenario.node.store.get_account(ACC)
    assert engine is not None
    # what was bought and sold is the same whatever order the fills were heard in
    assert scenario.venue.signed_quantity(EX, SYM) == scenario.ledger.signed_quantity(EX, SYM) or (
        account_type == "spot"  # a spot "position" tracks coins of known cost: that depends on the order
    )
    if account_type == "spot" or not any(rule["action"] == "drop_fill" for rule in misbehaviour):
        # balances are sums of fills (spot), or realized PnL of fills heard in the venue's order
        assert _nonzero(scenario.venue.account.balance) == _nonzero(engine.balance)
