"""What every message promises the bus and the journal: immutable, tagged, timed, exact, loud when corrupt."""

from __future__ import annotations

import importlib
import pkgutil
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from message_strategies import CODECS, Codec, decimals_in, messages_of

import engine.messages
from engine.messages import (
    MESSAGE_TYPES,
    ControlCommand,
    Message,
    OrderBookSnapshot,
    OrderCommand,
    OrderEvent,
    PositionEvent,
    TradeTick,
)

BASES = {Message, OrderCommand, OrderEvent, PositionEvent, ControlCommand}

by_name = pytest.mark.parametrize("message_type", MESSAGE_TYPES, ids=lambda t: t.__name__)
each_codec = pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)


def _subclasses(cls: type) -> set[type]:
    direct: set[type] = set(cls.__subclasses__())
    return direct.union(*(_subclasses(c) for c in direct))


def _floats_in(plain: Any) -> list[float]:
    if isinstance(plain, float):
        return [plain]
    if isinstance(plain, dict):
        plain = list(plain.values())
    if isinstance(plain, list):
        return [f for item in plain for f in _floats_in(item)]
    return []


def test_the_union_holds_every_concrete_message_of_the_package() -> None:
    for module in pkgutil.walk_packages(engine.messages.__path__, "engine.messages."):
        importlib.import_module(module.name)
    concrete = {c for c in _subclasses(Message) if c.__module__.startswith("engine.messages.")} - BASES

    assert concrete - set(MESSAGE_TYPES) == set(), "message types missing from AnyMessage"
    assert set(MESSAGE_TYPES) & BASES == set(), "a base class is in AnyMessage"


def test_every_message_type_has_its_own_tag_under_one_tag_field() -> None:
    tags = [t.__struct_config__.tag for t in MESSAGE_TYPES]

    assert all(isinstance(tag, str) and tag for tag in tags)
    assert len(set(tags)) == len(tags)
    assert {t.__struct_config__.tag_field for t in MESSAGE_TYPES} == {"type"}


@by_name
def test_every_message_carries_ts_event_and_ts_init_as_required_ints(message_type: type[Message]) -> None:
    info = msgspec.inspect.type_info(message_type)
    assert isinstance(info, msgspec.inspect.StructType)
    fields = {f.name: f for f in info.fields}

    for name in ("ts_event", "ts_init"):
        assert isinstance(fields[name].type, msgspec.inspect.IntType)
        assert fields[name].required


@by_name
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_messages_are_immutable(message_type: type[Message], data: st.DataObject) -> None:
    message = data.draw(messages_of(message_type))

    for name in message.__struct_fields__:
        with pytest.raises(AttributeError):
            setattr(message, name, getattr(message, name))


@by_name
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_a_decimal_is_encoded_as_its_exact_text_never_a_float(
    message_type: type[Message], data: st.DataObject
) -> None:
    message = data.draw(messages_of(message_type))

    for codec in CODECS:
        plain = codec.plain_decode(codec.encode(message))

        assert _floats_in(plain) == [], codec.name
        for path, value, raw in decimals_in(message, plain):
            assert raw == str(value), f"{codec.name} {path}"


@each_codec
@pytest.mark.parametrize("garbage", [b"", b"\xc1\x00junk", b'{"type": '], ids=["empty", "bytes", "cut"])
def test_garbage_is_a_decode_error(codec: Codec, garbage: bytes) -> None:
    with pytest.raises(msgspec.DecodeError):
        codec.decode(garbage)


@each_codec
def test_an_unknown_tag_is_a_validation_error_naming_the_tag_field(codec: Codec) -> None:
    data = codec.plain_encode({"type": "NoSuchMessage", "ts_event": 1, "ts_init": 1})

    with pytest.raises(msgspec.ValidationError, match=r"'NoSuchMessage' - at `\$\.type`"):
        codec.decode(data)


@each_codec
def test_a_record_without_a_tag_is_a_validation_error_naming_the_tag_field(codec: Codec) -> None:
    with pytest.raises(msgspec.ValidationError, match="missing required field `type`"):
        codec.decode(codec.plain_encode({"ts_event": 1, "ts_init": 1}))


@by_name
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_a_missing_required_field_is_a_validation_error_naming_it(
    message_type: type[Message], data: st.DataObject
) -> None:
    message = data.draw(messages_of(message_type))
    info = msgspec.inspect.type_info(message_type)
    assert isinstance(info, msgspec.inspect.StructType)

    for codec in CODECS:
        for field in (f for f in info.fields if f.required):
            plain = codec.plain_decode(codec.encode(message))
            del plain[field.encode_name]

            missing = f"missing required field `{field.encode_name}`"
            with pytest.raises(msgspec.ValidationError, match=missing):
                codec.decode(codec.plain_encode(plain))


@each_codec
def test_a_bad_decimal_is_a_validation_error_naming_its_path(codec: Codec) -> None:
    tick = TradeTick(
        ts_event=1, ts_init=2, exchange_id="binance", symbol="BTCUSDT", price=Decimal(1), quantity=Decimal(2)
    )
    plain = codec.plain_decode(codec.encode(tick))
    plain["price"] = "one"

    with pytest.raises(msgspec.ValidationError, match=r"at `\$\.price`"):
        codec.decode(codec.plain_encode(plain))


@each_codec
def test_a_bad_nested_value_is_a_validation_error_naming_its_path(codec: Codec) -> None:
    book = OrderBookSnapshot(ts_event=1, ts_init=2, exchange_id="b", symbol="s", bids=(), asks=(), sequence=1)
    plain = codec.plain_decode(codec.encode(book))
    plain["bids"] = [["100.5", "1"], ["x", "1"]]

    with pytest.raises(msgspec.ValidationError, match=r"at `\$\.bids\[1\]\[0\]`"):
        codec.decode(codec.plain_encode(plain))
