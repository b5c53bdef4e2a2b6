"""Every message reads back from JSON and msgpack as itself, to the last digit and exponent of a Decimal."""

from __future__ import annotations

from decimal import Decimal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from message_strategies import CODECS, Codec, decimals_in, messages_of, strategy_for_type, structs_of

from engine.messages import MESSAGE_TYPES, Message, TradeTick, decode_json, encode_json

by_name = pytest.mark.parametrize("message_type", MESSAGE_TYPES, ids=lambda t: t.__name__)
each_codec = pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)


@by_name
@settings(max_examples=2, deadline=None)
@given(data=st.data())
def test_every_message_type_can_be_generated(message_type: type[Message], data: st.DataObject) -> None:
    assert type(data.draw(messages_of(message_type))) is message_type


def test_a_field_type_without_a_strategy_is_refused_by_name() -> None:
    class Unsupported(msgspec.Struct):
        extra: dict[str, float]

    with pytest.raises(NotImplementedError, match="'extra'"):
        structs_of(Unsupported)
    with pytest.raises(NotImplementedError, match="'x'"):
        strategy_for_type(msgspec.inspect.type_info(set[int]), "x")


@by_name
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_decode_of_encode_is_the_same_message(message_type: type[Message], data: st.DataObject) -> None:
    message = data.draw(messages_of(message_type))
    # Decimal equality ignores exponent and sign of zero (1.10 == 1.1, -0 == 0); the tuples do not.
    sent = [(path, value.as_tuple()) for path, value, _ in decimals_in(message)]

    for codec in CODECS:
        decoded = codec.decode(codec.encode(message))

        assert type(decoded) is type(message), codec.name
        assert decoded == message, codec.name
        assert [(path, value.as_tuple()) for path, value, _ in decimals_in(decoded)] == sent, codec.name


@each_codec
def test_trailing_zeros_of_a_price_survive_the_round_trip(codec: Codec) -> None:
    tick = TradeTick(
        ts_event=1, ts_init=2, exchange_id="binance", symbol="BTCUSDT",
        price=Decimal("1.10"), quantity=Decimal("1E-12"),
    )

    decoded = codec.decode(codec.encode(tick))

    assert isinstance(decoded, TradeTick)
    assert str(decoded.price) == "1.10"
    assert str(decoded.quantity) == "1E-12"


def test_json_holds_the_decimal_text_not_a_number() -> None:
    tick = TradeTick(
        ts_event=1, ts_init=2, exchange_id="binance", symbol="BTCUSDT",
        price=Decimal("1.10"), quantity=Decimal("-0"),
    )

    encoded = encode_json(tick)

    assert b'"price":"1.10"' in encoded
    assert b'"quantity":"-0"' in encoded
    assert decode_json(encoded) == tick
