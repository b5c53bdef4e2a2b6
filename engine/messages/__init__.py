"""Every message the engine speaks, as one tagged union that a single decoder reads back."""

from __future__ import annotations

from typing import Any, TypeAlias, get_args

import msgspec

from engine.messages.base import Message
from engine.messages.commands import (
    CancelAllOrders,
    CancelOrder,
    ClosePosition,
    ModifyOrder,
    OrderCommand,
    QueryOrder,
    RequestBookSnapshot,
    SetTradingState,
    SubmitOrder,
    SubscribeData,
    UnsubscribeData,
    order_from_command,
)
from engine.messages.control import (
    ControlCommand,
    HandlerError,
    PauseStrategy,
    ResumeStrategy,
    StartStrategy,
    StopStrategy,
    TimerEvent,
)
from engine.messages.data import Bar, BookLevel, OrderBookDelta, OrderBookSnapshot, QuoteTick, TradeTick
from engine.messages.events import (
    AccountState,
    Balance,
    ModifyDenied,
    OrderAccepted,
    OrderCancelled,
    OrderDenied,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderStatusReport,
    OrderStatusUnknown,
    OrderUpdated,
    PositionChanged,
    PositionClosed,
    PositionEvent,
    PositionLiquidated,
    PositionOpened,
    TradingStateChanged,
)

AnyMessage: TypeAlias = (
    TradeTick
    | QuoteTick
    | OrderBookSnapshot
    | OrderBookDelta
    | Bar
    | SubmitOrder
    | CancelOrder
    | ModifyOrder
    | CancelAllOrders
    | ClosePosition
    | QueryOrder
    | SubscribeData
    | UnsubscribeData
    | RequestBookSnapshot
    | SetTradingState
    | OrderAccepted
    | OrderRejected
    | OrderDenied
    | ModifyDenied
    | OrderFilled
    | OrderCancelled
    | OrderUpdated
    | OrderStatusUnknown
    | OrderStatusReport
    | PositionOpened
    | PositionChanged
    | PositionClosed
    | PositionLiquidated
    | AccountState
    | TradingStateChanged
    | StartStrategy
    | PauseStrategy
    | ResumeStrategy
    | StopStrategy
    | TimerEvent
    | HandlerError
)

MESSAGE_TYPES: tuple[type[Message], ...] = get_args(AnyMessage)

_json_encoder = msgspec.json.Encoder(decimal_format="string")
_json_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(AnyMessage)
_msgpack_encoder = msgspec.msgpack.Encoder(decimal_format="string")
_msgpack_decoder: msgspec.msgpack.Decoder[Any] = msgspec.msgpack.Decoder(AnyMessage)


def encode_json(message: Message) -> bytes:
    return _json_encoder.encode(message)


def decode_json(data: bytes | str) -> Message:
    result: Message = _json_decoder.decode(data)
    return result


def encode_msgpack(message: Message) -> bytes:
    return _msgpack_encoder.encode(message)


def decode_msgpack(data: bytes) -> Message:
    result: Message = _msgpack_decoder.decode(data)
    return result


__all__ = [
    "MESSAGE_TYPES",
    "AccountState",
    "AnyMessage",
    "Balance",
    "Bar",
    "BookLevel",
    "CancelAllOrders",
    "CancelOrder",
    "ClosePosition",
    "ControlCommand",
    "HandlerError",
    "Message",
    "ModifyDenied",
    "ModifyOrder",
    "OrderAccepted",
    "OrderBookDelta",
    "OrderBookSnapshot",
    "OrderCancelled",
    "OrderCommand",
    "OrderDenied",
    "OrderEvent",
    "OrderFilled",
    "OrderRejected",
    "OrderStatusReport",
    "OrderStatusUnknown",
    "OrderUpdated",
    "PauseStrategy",
    "PositionChanged",
    "PositionClosed",
    "PositionEvent",
    "PositionLiquidated",
    "PositionOpened",
    "QueryOrder",
    "QuoteTick",
    "RequestBookSnapshot",
    "ResumeStrategy",
    "SetTradingState",
    "StartStrategy",
    "StopStrategy",
    "SubmitOrder",
    "SubscribeData",
    "TimerEvent",
    "TradeTick",
    "TradingStateChanged",
    "UnsubscribeData",
    "decode_json",
    "decode_msgpack",
    "encode_json",
    "encode_msgpack",
    "order_from_command",
]
