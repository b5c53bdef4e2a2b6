"""How a replay names the first difference between a recorded and a replayed output."""

from __future__ import annotations

from engine.replay import _difference


def test_a_changed_field_is_named_with_both_values() -> None:
    recorded = b'{"type":"OrderFilled","price":"1.0","quantity":"2"}'
    replayed = b'{"type":"OrderFilled","price":"100.5","quantity":"2"}'
    assert _difference("r", "r", recorded, replayed) == 'price "1.0" -> "100.5"'


def test_every_changed_field_is_named_and_an_absent_one_says_so() -> None:
    recorded = b'{"type":"X","a":1,"b":"x","c":null}'
    replayed = b'{"type":"X","a":2,"b":"x","d":[1]}'
    assert _difference("r", "r", recorded, replayed) == "a 1 -> 2; c null -> (absent); d (absent) -> [1]"


def test_another_event_type_is_named_alone() -> None:
    recorded = b'{"type":"PositionOpened","order_type":"a"}'
    replayed = b'{"type":"PositionChanged","order_type":"b"}'
    assert _difference("r", "r", recorded, replayed) == 'type "PositionOpened" -> "PositionChanged"'


def test_a_different_route_is_named_first() -> None:
    assert _difference("events.a", "events.b", b"{}", b"{}") == "route events.a -> events.b"


def test_the_same_fields_encoded_differently() -> None:
    assert _difference("r", "r", b'{"a":1}', b'{ "a": 1 }') == "encoded differently"
