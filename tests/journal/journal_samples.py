"""Sample messages and small file helpers shared by the journal tests."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.journal import INPUT, OUTPUT, JournalWriter
from engine.messages import Bar, Message, OrderFilled, TimerEvent, TradeTick
from engine.model.enums import LiquiditySide, OrderSide

T0 = 1_700_000_000_000_000_000


def bar(i: int = 0) -> Bar:
    return Bar(
        ts_event=T0 + i,
        ts_init=T0 + i,
        exchange_id="binance",
        symbol="BTCUSDT",
        interval="1m",
        open=Decimal("20000.10"),
        high=Decimal("20010.5"),
        low=Decimal("19990"),
        close=Decimal(f"20001.{i}"),
        volume=Decimal("0E-8"),
    )


def trade(i: int = 0) -> TradeTick:
    return TradeTick(
        ts_event=T0 + i,
        ts_init=T0 + i,
        exchange_id="binance",
        symbol="BTCUSDT",
        price=Decimal("20000.1"),
        quantity=Decimal("0.015"),
        aggressor_side=OrderSide.BUY,
        trade_id=str(i),
    )


def fill(i: int = 0) -> OrderFilled:
    return OrderFilled(
        ts_event=T0 + i,
        ts_init=T0 + i,
        client_order_id=f"O-{i}",
        trading_account_id="main",
        exchange_id="binance",
        symbol="BTCUSDT",
        exchange_order_id=str(1000 + i),
        fill_id=f"F-{i}",
        side=OrderSide.SELL,
        price=Decimal("20000.10"),
        quantity=Decimal("0.010"),
        fee=Decimal("-0.0001"),
        fee_currency="USDT",
        liquidity_side=LiquiditySide.MAKER,
    )


def mixed(n: int) -> list[Message]:
    makers = (trade, bar, fill, lambda i: TimerEvent(ts_event=T0 + i, ts_init=T0 + i, name="heartbeat"))
    return [makers[i % len(makers)](i) for i in range(n)]


def write(path: Path, messages: list[Message], **options: Any) -> Path:
    """A journal at ``path`` with every message as an input, except timers as outputs."""
    with JournalWriter(path, **options) as writer:
        for message in messages:
            kind = OUTPUT if isinstance(message, TimerEvent) else INPUT
            writer.append(kind, "DataEngine.process", message)
    return path


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def set_line(path: Path, number: int, text: bytes) -> None:
    """Replace line ``number`` (1-based, the header is line 1) of a file on disk."""
    all_lines = lines(path)
    all_lines[number - 1] = text
    path.write_bytes(b"\n".join(all_lines))
