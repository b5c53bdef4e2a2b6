"""Recording a node into the event log, and replaying a log through a fresh node.

What is recorded: every market-data input (route ``DataEngine.process``), venue event from outside
(``ExecutionEngine.process``) and control command (``Strategy.<execution>``) as INPUT records; and,
as OUTPUT records, everything the node then publishes about orders, positions, accounts, risk state
and errors, plus each strategy's decisions (``commands.<execution>``). In a backtest the simulated
venue's events are derived from the inputs, so they are outputs.

Replay feeds the inputs to a fresh node built from the journal's own config. ``verify`` compares
every output the fresh node produces with the recorded one, encoded, byte for byte, and stops at the
first difference. ``diff_decisions`` re-runs the inputs with another strategy (or parameters) and
says where its decisions differ from the recorded ones.
"""

from __future__ import annotations

import gzip
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any

import msgspec

from engine import topics
from engine.config import NodeConfig, config_from_dict
from engine.errors import EngineError
from engine.journal import JournalReader, JournalWriter, Record, RecordKind
from engine.messages import (
    ControlCommand,
    Message,
    ModifyOrder,
    OrderCommand,
    SubmitOrder,
    encode_json,
)
from engine.node import EQUITY_SAMPLE_NS, Node
from engine.strategy import Strategy

OUTPUT_PATTERNS = (
    "commands.*",
    "events.order.*",
    "events.position.*",
    "events.position.account.*",
    "events.account.*",
    topics.RISK_EVENTS,
    topics.ERRORS,
)


class ReplayMismatch(EngineError):
    """A replayed node produced something other than what the journal recorded."""


def _difference(recorded_route: str, replayed_route: str, recorded: bytes, replayed: bytes) -> str:
    """What differs between two outputs, named: the route, or the fields (recorded -> replayed)."""
    if recorded_route != replayed_route:
        return f"route {recorded_route} -> {replayed_route}"
    before, after = msgspec.json.decode(recorded), msgspec.json.decode(replayed)
    fields = [f for f in dict.fromkeys([*before, *after]) if before.get(f, _ABSENT) != after.get(f, _ABSENT)]
    if "type" in fields:  # another kind of event: its fields say nothing more
        fields = ["type"]
    return (
        "; ".join(f"{f} {_shown(before, f)} -> {_shown(after, f)}" for f in fields) or "encoded differently"
    )


_ABSENT = object()


def _shown(fields: dict[str, Any], name: str) -> str:
    return msgspec.json.encode(fields[name]).decode() if name in fields else "(absent)"


class OutputTap:
    """Subscribes to everything a node publishes that the journal keeps, in publication order."""

    def __init__(self, node: Node, sink: Callable[[str, Message], None]) -> None:
        for pattern in OUTPUT_PATTERNS:
            node.bus.subscribe(pattern, _bind(sink, pattern), priority=-100)


def _bind(sink: Callable[[str, Message], None], route: str) -> Callable[[Message], None]:
    def deliver(msg: Message) -> None:
        sink(route, msg)

    return deliver


def record(node: Node, writer: JournalWriter, *, outputs: bool = True) -> Callable[[Message], None]:
    """Attach ``writer`` to ``node``; returns the function that records one market-data input."""
    if outputs:

        def on_output(route: str, msg: Message) -> None:
            writer.append(RecordKind.OUTPUT, route, msg)

        OutputTap(node, on_output)

    def on_input(msg: Message) -> None:
        writer.append(RecordKind.INPUT, topics.DATA_ENGINE, msg)

    return on_input


def node_config(reader: JournalReader) -> NodeConfig:
    header = reader.header
    if not isinstance(header.config, dict):
        raise EngineError(f"journal {reader.path} has no node config in its header: it cannot be replayed")
    return config_from_dict(header.config, source=f"journal {reader.path}")


class ReplayResult(msgspec.Struct, kw_only=True):
    inputs: int
    outputs_compared: int
    elapsed_s: float


def feed(node: Node, record_: Record) -> None:
    """Hand one recorded input to the node through the route it entered by."""
    msg = record_.message
    if record_.route == topics.DATA_ENGINE:
        node.process(msg)
    elif isinstance(msg, ControlCommand):
        node.control(msg)
    else:
        node.bus.send(record_.route, msg)


def replay(
    reader: JournalReader,
    *,
    verify: bool = False,
    until_ns: int | None = None,
    speed: float | None = None,
    overrides: dict[int, tuple[type[Strategy], dict[str, Any]]] | None = None,
    on_output: Callable[[str, Message], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[Node, ReplayResult]:
    """Run the journal's inputs through a fresh node; with ``verify``, fail at the first difference.

    Recorded and produced outputs are compared as soon as both are there and then dropped, so
    memory does not grow with the journal. With ``until_ns`` the replay stops at the first input
    after that time, and only outputs recorded before it are verified. ``on_progress`` gets the
    number of records handled so far after each block the reader decodes (thousands of records).
    """
    batches = reader.batches()
    first = next(batches, [])  # batches are never empty: the first record, if any, is first[0]
    start_ns = first[0].message.ts_event if first else reader.header.started_ns
    node = Node(node_config(reader), start_ns=start_ns, strategy_overrides=overrides)
    check = _Verifier()
    if verify:
        OutputTap(node, check.take)
    if on_output is not None:
        OutputTap(node, on_output)
    node.start()
    started = time.perf_counter()
    inputs = 0
    pace = _Pacer(speed) if speed is not None else None
    process = node.process
    expected = check.expected
    cut = False
    handled = 0
    sample_equity, next_sample, last_ts = node.sample_equity, start_ns, start_ns
    # one loop over each decoded block, with the common case (market data, no pacing) inline: this
    # runs once per record
    for batch in chain((first,), batches):
        for rec in batch:
            msg = rec.message
            if rec.kind is RecordKind.INPUT:
                if until_ns is not None and msg.ts_event > until_ns:
                    cut = True
                    break
                if pace is not None:
                    pace(msg.ts_event)
                if rec.route == topics.DATA_ENGINE:
                    process(msg)
                    last_ts = msg.ts_event  # the equity curve, sampled as the backtest samples it
                    if last_ts >= next_sample:
                        sample_equity(last_ts)
                        next_sample = last_ts - last_ts % EQUITY_SAMPLE_NS + EQUITY_SAMPLE_NS
                else:
                    feed(node, rec)
                inputs += 1
            elif verify:  # a recorded output follows the input that produced it: compare then
                expected.append(rec)
                check.compare()
        if cut:
            break
        if on_progress is not None:
            handled += len(batch)
            on_progress(handled)
    finish(node, last_ts)
    if verify and not cut:
        check.compare()
        check.finish()
    elapsed = time.perf_counter() - started
    return node, ReplayResult(inputs=inputs, outputs_compared=check.compared, elapsed_s=elapsed)


def finish(node: Node, last_ts: int) -> None:
    """The end of a run at ``last_ts``: its equity sampled, the node stopped, and the equity sampled
    again if the stop moved it (the strategies' closing fills)."""
    node.sample_equity(last_ts, unless_unchanged=True)
    node.stop()
    node.sample_equity(last_ts, unless_unchanged=True)


class _Verifier:
    """Pairs recorded outputs with produced ones in order; the first unequal pair is the answer."""

    def __init__(self) -> None:
        self.expected: deque[Record] = deque()
        self.produced: deque[tuple[str, Message]] = deque()
        self.compared = 0

    def take(self, route: str, msg: Message) -> None:
        self.produced.append((route, msg))

    def compare(self) -> None:
        expected, produced = self.expected, self.produced
        while expected and produced:
            rec = expected.popleft()
            route, msg = produced.popleft()
            self.compared += 1
            recorded = encode_json(rec.message)
            replayed = encode_json(msg)
            if route != rec.route or recorded != replayed:
                raise ReplayMismatch(
                    f"record {rec.seq}: first difference at output #{self.compared}: "
                    f"{_difference(rec.route, route, recorded, replayed)}\n"
                    f"  recorded ({rec.route}): {recorded.decode()}\n"
                    f"  replayed ({route}): {replayed.decode()}"
                )

    def finish(self) -> None:
        if self.expected:
            rec = self.expected[0]
            raise ReplayMismatch(
                f"record {rec.seq}: the journal has an output on {rec.route} that the replay did not "
                f"produce: {encode_json(rec.message).decode()}"
            )
        if self.produced:
            route, msg = self.produced[0]
            raise ReplayMismatch(
                f"the replay produced output #{self.compared + 1} on {route} that the journal does not "
                f"have: {encode_json(msg).decode()}"
            )


def _records(reader: JournalReader) -> Iterator[Record]:
    for batch in reader.batches():
        yield from batch


class _Pacer:
    """Sleeps so recorded time passes ``speed`` times faster than it did."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.origin: tuple[int, float] | None = None

    def __call__(self, ts: int) -> None:
        if self.origin is None:
            self.origin = (ts, time.perf_counter())
            return
        due = self.origin[1] + (ts - self.origin[0]) / 1e9 / self.speed
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


# ---------------------------------------------------------------------------------------- decisions
class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """A strategy's order decision, without its client order id (ids shift when decisions differ)."""

    ts: int
    execution_id: str
    action: str
    symbol: str
    side: str = ""
    order_type: str = ""
    quantity: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None

    def key(self) -> tuple[int, str, str, str, str]:
        return (self.ts, self.execution_id, self.action, self.symbol, self.side)


class DecisionDiff(msgspec.Struct, kw_only=True):
    recorded: int
    replayed: int
    first_divergence: dict[str, object] | None
    added: list[Decision]
    removed: list[Decision]
    changed: list[dict[str, Decision]]

    @property
    def identical(self) -> bool:
        return self.first_divergence is None


def decision(command: OrderCommand) -> Decision:
    common: dict[str, Any] = {
        "ts": command.ts_event,
        "execution_id": command.execution_id,
        "action": type(command).__name__,
        "symbol": command.symbol,
    }
    if isinstance(command, SubmitOrder):
        return Decision(
            **common,
            side=command.side.value,
            order_type=command.order_type.value,
            quantity=command.quantity,
            price=command.price,
            stop_price=command.stop_price,
        )
    if isinstance(command, ModifyOrder):
        return Decision(
            **common, quantity=command.quantity, price=command.price, stop_price=command.stop_price
        )
    return Decision(**common)


def recorded_decisions(reader: JournalReader) -> list[Decision]:
    return [
        decision(rec.message)
        for rec in _records(reader)
        if rec.kind is RecordKind.OUTPUT and isinstance(rec.message, OrderCommand)
    ]


def diff_decisions(recorded: Iterable[Decision], replayed: Iterable[Decision]) -> DecisionDiff:
    """Align both lists by (time, execution, action, symbol, side); report what was added, removed
    or changed (same slot, different quantity, price or type) and the first divergence in time."""
    old = list(recorded)
    new = list(replayed)
    first: dict[str, object] | None = None
    for index, (a, b) in enumerate(zip(old, new, strict=False)):
        if a != b:
            first = {"index": index, "recorded": a, "replayed": b}
            break
    else:
        if len(old) != len(new):
            index = min(len(old), len(new))
            first = {
                "index": index,
                "recorded": old[index] if index < len(old) else None,
                "replayed": new[index] if index < len(new) else None,
            }
    pending: dict[tuple[int, str, str, str, str], list[Decision]] = {}
    for item in old:
        pending.setdefault(item.key(), []).append(item)
    added: list[Decision] = []
    changed: list[dict[str, Decision]] = []
    for item in new:
        slot = pending.get(item.key())
        if not slot:
            added.append(item)
            continue
        if item in slot:
            slot.remove(item)
        else:
            changed.append({"recorded": slot.pop(0), "replayed": item})
    removed = [item for slot in pending.values() for item in slot]
    removed.sort(key=lambda d: d.ts)
    return DecisionDiff(
        recorded=len(old),
        replayed=len(new),
        first_divergence=first,
        added=added,
        removed=removed,
        changed=changed,
    )


def market_data(reader: JournalReader) -> Iterator[Message]:
    """The market-data inputs of a journal, in order: a recorded session as backtest data."""
    route = topics.DATA_ENGINE
    for batch in reader.batches():
        for rec in batch:
            if rec.kind is RecordKind.INPUT and rec.route == route:
                yield rec.message


def is_journal(path: Path) -> bool:
    """A journal starts with its header object; sniffed from the first bytes (plain or gzip)."""
    with path.open("rb") as handle:
        head = handle.read(64)
    if head[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as handle:
            head = handle.read(64)
    return head.lstrip().startswith(b'{"journal"')
