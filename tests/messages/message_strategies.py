"""Hypothesis strategies read off each message's msgspec type: a new message is covered once in the union."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

import msgspec
import msgspec.inspect as mi
from hypothesis import strategies as st

from engine.messages import (
    MESSAGE_TYPES,
    Message,
    decode_json,
    decode_msgpack,
    encode_json,
    encode_msgpack,
)

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# Exponents and signs a venue really sends, and the ones a float would lose.
EDGE_DECIMALS = tuple(
    Decimal(text)
    for text in (
        "0", "-0", "0.00", "0E-8", "1.10", "-0.5", "1E-12", "-1E-12", "123456789.123456789",
        "1E+30", "-99999999999999999999.99999999", "0.000000000000000000000000000001",
    )
)


def _decimals_of_any_exponent() -> st.SearchStrategy[Decimal]:
    # Built from text so no context precision rounds the coefficient.
    built = st.builds(
        lambda negative, coefficient, exponent: Decimal(f"{'-' if negative else ''}{coefficient}E{exponent}"),
        st.booleans(),
        st.integers(0, 10**30),
        st.integers(-30, 30),
    )
    return st.sampled_from(EDGE_DECIMALS) | built


def _is_timestamp(name: str) -> bool:
    return name.startswith("ts_") or name.endswith("_time")


def _ints(info: mi.IntType, name: str) -> st.SearchStrategy[int]:
    if info.multiple_of is not None:
        raise NotImplementedError(f"no strategy for field {name!r}: multiple_of constraint")
    low = 0 if _is_timestamp(name) else INT64_MIN
    high = INT64_MAX
    if info.ge is not None:
        low = max(low, info.ge)
    if info.gt is not None:
        low = max(low, info.gt + 1)
    if info.le is not None:
        high = min(high, info.le)
    if info.lt is not None:
        high = min(high, info.lt - 1)
    return st.integers(low, high)


def _strs(info: mi.StrType, name: str) -> st.SearchStrategy[str]:
    if info.pattern is not None:
        raise NotImplementedError(f"no strategy for field {name!r}: pattern constraint")
    return st.text(min_size=info.min_length or 0, max_size=info.max_length or 20)


def strategy_for_type(info: mi.Type, name: str) -> st.SearchStrategy[Any]:
    """A strategy for one field type; raises ``NotImplementedError`` naming the field rather than guess."""
    match info:
        case mi.DecimalType():
            return _decimals_of_any_exponent()
        case mi.BoolType():
            return st.booleans()
        case mi.IntType():
            return _ints(info, name)
        case mi.StrType():
            return _strs(info, name)
        case mi.EnumType(cls=enum_cls):
            return st.sampled_from(enum_cls)
        case mi.NoneType():
            return st.none()
        case mi.UnionType(types=types):
            return st.one_of(*(strategy_for_type(t, name) for t in types))
        case mi.VarTupleType(item_type=item, min_length=None, max_length=None):
            return st.lists(strategy_for_type(item, name), max_size=4).map(tuple)
        case mi.StructType(cls=struct_cls):
            return structs_of(struct_cls)
    raise NotImplementedError(f"no strategy for field {name!r} of type {info!r}")


@cache
def structs_of(struct_cls: type[msgspec.Struct]) -> st.SearchStrategy[Any]:
    """Any valid instance of ``struct_cls``: every field drawn from its declared type."""
    info = mi.type_info(struct_cls)
    assert isinstance(info, mi.StructType)
    fields = {f.name: strategy_for_type(f.type, f.name) for f in info.fields}
    return st.fixed_dictionaries(fields).map(lambda kwargs: struct_cls(**kwargs))


def messages_of(message_type: type[Message]) -> st.SearchStrategy[Message]:
    return structs_of(message_type)


def any_message() -> st.SearchStrategy[Message]:
    return st.one_of(*(messages_of(t) for t in MESSAGE_TYPES))


def decimals_in(value: Any, raw: Any = None, path: str = "$") -> Iterator[tuple[str, Decimal, Any]]:
    """Every Decimal inside a message as ``(path, value, raw)``, where ``raw`` is the same spot in
    the message's plain decoded form (dict/list from ``json.loads`` or ``msgpack.decode``), if given."""
    if isinstance(value, Decimal):
        yield path, value, raw
    elif isinstance(value, msgspec.Struct):
        config = value.__struct_config__
        offset = 1 if config.array_like and config.tag is not None else 0
        names = zip(value.__struct_fields__, value.__struct_encode_fields__, strict=True)
        for index, (name, encoded) in enumerate(names):
            inner = None if raw is None else raw[index + offset] if config.array_like else raw[encoded]
            yield from decimals_in(getattr(value, name), inner, f"{path}.{name}")
    elif isinstance(value, tuple):
        raws = [None] * len(value) if raw is None else raw
        for index, (item, inner) in enumerate(zip(value, raws, strict=True)):
            yield from decimals_in(item, inner, f"{path}[{index}]")


class Codec(NamedTuple):
    """One wire format: the engine's union codec, and a plain codec to see or tamper with the bytes."""

    name: str
    encode: Callable[[Message], bytes]
    decode: Callable[[bytes], Message]
    plain_encode: Callable[[Any], bytes]
    plain_decode: Callable[[bytes], Any]


CODECS = (
    Codec("json", encode_json, decode_json, msgspec.json.encode, msgspec.json.decode),
    Codec("msgpack", encode_msgpack, decode_msgpack, msgspec.msgpack.encode, msgspec.msgpack.decode),
)
