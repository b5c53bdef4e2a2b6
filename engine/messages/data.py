"""Market data: what venues (or data files) tell us about the market."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from engine.messages.base import Message
from engine.model.enums import OrderSide


class TradeTick(Message, frozen=True, kw_only=True, gc=False):
    exchange_id: str
    symbol: str
    price: Decimal
    quantity: Decimal
    aggressor_side: OrderSide | None = None
    trade_id: str = ""


class QuoteTick(Message, frozen=True, kw_only=True, gc=False):
    exchange_id: str
    symbol: str
    bid_price: Decimal
    bid_size: Decimal
    ask_price: Decimal
    ask_size: Decimal


class BookLevel(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """One price level; in a delta, ``size == 0`` deletes the level."""

    price: Decimal
    size: Decimal


class OrderBookSnapshot(Message, frozen=True, kw_only=True):
    exchange_id: str
    symbol: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    sequence: int


class OrderBookDelta(Message, frozen=True, kw_only=True):
    """Changes to levels. ``prev_sequence`` is the sequence this delta must follow
    (Binance futures ``pu``); ``first_sequence`` the first update id it covers (Binance ``U``).
    A value of -1 means the venue does not send it."""

    exchange_id: str
    symbol: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    sequence: int
    first_sequence: int = -1
    prev_sequence: int = -1


class Bar(Message, frozen=True, kw_only=True, gc=False):
    """An OHLCV bar; ``ts_event`` is the bar's close time. ``interval`` names the
    aggregation, e.g. ``"1m"``, ``"100-tick"``, ``"10-volume"``."""

    exchange_id: str
    symbol: str
    interval: str
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
