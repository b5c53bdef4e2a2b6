"""Any session, recorded, replays byte for byte.

Hypothesis draws a session (trades and quotes, a script of every order type, bracket entries and
cancels, spot or futures, with or without a misbehaving venue; or bars, under any venue options). It
is recorded into a real journal file by a backtest, then replayed through a fresh node built from the
journal's header with ``verify``: every output must come back identical, encoded, in the same order.
This is what makes a recorded live session debuggable after the fact, so nothing in the engine may
depend on anything but its inputs (no wall clock, no set order, no id from memory addresses).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Literal

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from scenario_world import node_config, scripted
from test_scenario_bar_properties import SIM_OPTIONS
from test_scenario_bar_properties import sessions as bar_sessions
from test_scenario_tick_properties import MISBEHAVIOUR, sessions

from engine.backtest import run_backtest
from engine.journal import JournalWriter, read_journal
from engine.messages import Bar, Message
from engine.replay import ReplayMismatch, replay


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    session=sessions(),
    misbehaviour=st.one_of(st.just([]), MISBEHAVIOUR),
    seed=st.integers(0, 100),
    rotate_bytes=st.sampled_from([None, 3_000, 30_000]),
    gzipped=st.booleans(),
)
def test_any_recorded_session_replays_every_output_identically(
    session: tuple[Literal["spot", "futures"], list[Message], list[dict[str, Any]]],
    misbehaviour: list[dict[str, Any]],
    seed: int,
    rotate_bytes: int | None,
    gzipped: bool,
) -> None:
    # in one file or rotated into parts, plain or gzip
    account_type, data, steps = session
    balance = {"USDT": "100000", "BTC": "10"} if account_type == "spot" else {"USDT": "100000"}
    sim = {"misbehaviour": misbehaviour, "seed": seed}
    config = node_config(scripted(*steps), account_type=account_type, balance=balance, sim=sim)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("session.jsonl.gz" if gzipped else "session.jsonl")
        writer = JournalWriter(path, config=msgspec.to_builtins(config), rotate_bytes=rotate_bytes)
        run_backtest(config, data, journal=writer)
        writer.close()
        event(f"journal parts: {min(len(list(Path(folder).iterdir())), 3)}")

        _, result = replay(read_journal(path), verify=True)  # raises ReplayMismatch at a difference

    assert result.inputs == len(data)
    event(f"outputs compared: {min(result.outputs_compared // 10 * 10, 50)}+")
    assert result.outputs_compared > 0  # at least the strategy's decisions and their order events


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=bar_sessions(), sim=SIM_OPTIONS)
def test_any_recorded_bar_session_replays_every_output_identically(
    session: tuple[list[Bar], list[dict[str, Any]]], sim: dict[str, Any]
) -> None:
    walk, steps = session
    config = node_config(scripted(*steps, data="bars"), balance={"USDT": "10000000"}, sim=sim)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "session.jsonl"
        writer = JournalWriter(path, config=msgspec.to_builtins(config))
        run_backtest(config, walk, journal=writer)
        writer.close()
        _, result = replay(read_journal(path), verify=True)
    assert result.inputs == len(walk)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session=sessions(), change=st.sampled_from(["drop", "repeat"]), pick=st.integers(0, 10**6))
def test_a_journal_missing_or_repeating_an_output_fails_verify(
    session: tuple[Literal["spot", "futures"], list[Message], list[dict[str, Any]]], change: str, pick: int
) -> None:
    # one recorded output taken out, or written twice (sequence numbers made whole again, as a
    # careless edit of the file would): the replay must not pass it
    account_type, data, steps = session
    balance = {"USDT": "100000", "BTC": "10"} if account_type == "spot" else {"USDT": "100000"}
    config = node_config(scripted(*steps), account_type=account_type, balance=balance)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "session.jsonl"
        writer = JournalWriter(path, config=msgspec.to_builtins(config))
        run_backtest(config, data, journal=writer)
        writer.close()
        header, *records = path.read_bytes().splitlines(keepends=True)
        outputs = [n for n, line in enumerate(records) if msgspec.json.decode(line)[1] == "o"]
        target = outputs[pick % len(outputs)]
        if change == "drop":
            del records[target]
        else:
            records.insert(target, records[target])
        renumbered = []
        for seq, line in enumerate(records, 1):
            record = msgspec.json.decode(line)
            renumbered.append(msgspec.json.encode([seq, *record[1:]]) + b"\n")
        path.write_bytes(header + b"".join(renumbered))

        with pytest.raises(ReplayMismatch):
            replay(read_journal(path), verify=True)
