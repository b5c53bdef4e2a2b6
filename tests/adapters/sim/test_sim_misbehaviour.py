"""The venue misbehaves on purpose, as scripted or at random from a seed, and stays truthful when asked."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import msgspec
import pytest

from adapters.sim import MisbehaviourRule, SimConfig
from engine.errors import ConfigError
from engine.messages import OrderAccepted, OrderFilled, OrderStatusReport, OrderStatusUnknown
from engine.model import OrderStatus

S = 1_000_000_000


def config(*rules: dict[str, Any], seed: int = 0) -> SimConfig:
    """Decoded from the TOML-shaped table a node config would hold."""
    return msgspec.convert({"seed": seed, "misbehaviour": list(rules)}, SimConfig)


def test_scripted_reject_refuses_the_nth_order(venue):
    v = venue(config({"action": "reject", "order_seq": 2, "reason_code": "venue_busy"}))
    v.trade(1, "101")
    for n in (1, 2, 3):
        v.buy(f"o{n}", "1", "100")
    first, second, third = v.new()
    assert (first.client_order_id, type(first)) == ("o1", OrderAccepted)
    assert (second.client_order_id, second.reason_code) == ("o2", "venue_busy")
    assert (third.client_order_id, type(third)) == ("o3", OrderAccepted)
    assert v.available("USDT") == D("799.8")  # only o1 and o3 lock 100.1 each


def test_probabilistic_reject_draws_from_the_seed(venue):
    def rejected(seed: int) -> list[str]:
        v = venue(config({"action": "reject", "probability": 0.5}, seed=seed))
        v.trade(1, "101")
        for n in range(40):
            v.buy(f"o{n}", "0.001", "100")
        return [e.client_order_id for e in v.new() if type(e).__name__ == "OrderRejected"]

    first = rejected(7)
    assert 5 < len(first) < 35
    assert rejected(7) == first
    assert rejected(8) != first


def test_delay_ack_by_n_ns_delivers_it_that_much_later(venue):
    v = venue(config({"action": "delay_ack", "delay_ns": 2 * S}))
    v.trade(1, "100")
    v.buy("o1", "1")
    assert v.kinds() == ["OrderFilled"]  # the fill overtakes its acknowledgement
    v.at(2.999)
    assert v.new() == []
    v.at(3)
    (accepted,) = v.new()
    assert isinstance(accepted, OrderAccepted)
    assert accepted.ts_event == 1 * S  # it happened then; it arrives late


def test_delay_ack_until_the_next_event(venue):
    v = venue(config({"action": "delay_ack"}))
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    assert v.new() == []
    v.trade(2, "100.5")
    assert v.kinds() == ["OrderAccepted"]


def test_dropped_ack_never_arrives_and_a_query_tells_the_truth(venue):
    v = venue(config({"action": "drop_ack", "order_seq": 1}))
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    v.at(60)
    assert v.new() == []
    v.query("o1")
    (report,) = v.new()
    assert isinstance(report, OrderStatusReport)
    assert (report.status, report.exchange_order_id, report.filled_quantity) == (
        OrderStatus.PENDING,
        "SIM-1",
        D("0"),
    )
    v.trade(61, "99")
    assert v.kinds() == ["OrderFilled"]  # the order lives on at the venue


def test_dropped_fill_still_happened_at_the_venue(venue):
    v = venue(config({"action": "drop_fill"}))
    v.trade(1, "100")
    v.buy("o1", "1")
    assert v.kinds() == ["OrderAccepted"]
    assert v.balance("BTC") == D("1")
    v.query("o1")
    (report,) = v.new()
    assert (report.status, report.filled_quantity, report.average_price) == (
        OrderStatus.FILLED,
        D("1"),
        D("100"),
    )


def test_duplicated_fill_arrives_twice_with_the_same_fill_id(venue):
    v = venue(config({"action": "duplicate_fill", "order_seq": 1}))
    v.trade(1, "100")
    v.buy("o1", "1")
    _accepted, fill, again = v.new()
    assert isinstance(fill, OrderFilled)
    assert again == fill
    assert v.balance("BTC") == D("1")  # booked once at the venue


def test_fill_rules_can_target_the_nth_fill_of_an_order(venue):
    v = venue(config({"action": "duplicate_fill", "order_seq": 1, "fill_seq": 2}))
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    v.trade(2, "99", "0.4")
    v.trade(3, "99", "0.4")
    v.trade(4, "99", "0.4")
    fills = [e.fill_id for e in v.new() if isinstance(e, OrderFilled)]
    assert fills == ["SIM-F-1", "SIM-F-2", "SIM-F-2", "SIM-F-3"]


def test_fill_before_ack_delivers_the_fill_first(venue):
    v = venue(config({"action": "fill_before_ack"}))
    v.trade(1, "100")
    v.buy("o1", "1")
    assert v.kinds() == ["OrderFilled", "OrderAccepted"]


def test_fill_before_ack_holds_a_resting_order_ack_until_its_first_fill(venue):
    v = venue(config({"action": "fill_before_ack"}))
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    v.trade(2, "100.5")
    assert v.new() == []
    v.trade(3, "99", "0.5")
    assert v.kinds() == ["OrderFilled", "OrderAccepted"]


def test_ack_unknown_reports_an_ambiguous_outcome_and_the_order_lives_on(venue):
    v = venue(config({"action": "ack_unknown", "client_order_id": "o1"}))
    v.trade(1, "101")
    v.buy("o1", "1", "100")
    (unknown,) = v.new()
    assert isinstance(unknown, OrderStatusUnknown)
    assert unknown.reason == "timeout"
    v.trade(2, "99")
    assert v.kinds() == ["OrderFilled"]


def test_unknown_fields_and_bad_values_in_the_config_are_refused():
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.convert({"misbehaviour": [{"action": "drop_ack", "often": True}]}, SimConfig)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"misbehaviour": [{"action": "explode"}]}, SimConfig)
    with pytest.raises(ConfigError, match="probability"):
        MisbehaviourRule(action="drop_ack", probability=1.5)
    with pytest.raises(ConfigError, match="fill_seq"):
        MisbehaviourRule(action="drop_ack", fill_seq=1)
    with pytest.raises(ConfigError, match="volume_participation"):
        SimConfig(volume_participation=D("1.5"))
