"""The ``--journal-*`` options of ``backtest``: flush policy, rotation and fsync from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_world import first_bars, run_cli
from hypothesis import given
from hypothesis import strategies as st

import run_engine


@pytest.fixture(scope="module")
def bars(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return first_bars(tmp_path_factory.mktemp("journal-options") / "bars.csv", 2000)


def test_a_rotated_fsynced_journal_replays_byte_for_byte_across_its_parts(bars: Path, tmp_path: Path) -> None:
    journal = tmp_path / "run.jsonl"
    result = run_cli(
        "backtest", "--data", str(bars), "--journal", str(journal),
        "--journal-rotate", "200KB", "--journal-flush", "every", "--journal-fsync",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    parts = sorted(tmp_path.glob("run*.jsonl"))
    assert len(parts) >= 3 and "rotated, last part" in result.stdout
    # every part but the last stops just past 200 kB (rotation happens before the record that crosses it)
    assert all(
        200_000 < p.stat().st_size < 210_000
        for p in parts
        if p.name not in {"run.jsonl", f"run.{len(parts) - 1}.jsonl"}
    )
    headers = [json.loads(p.read_text().split("\n", 1)[0]) for p in parts]
    assert sorted(h["part"] for h in headers) == list(range(len(parts)))

    replayed = run_cli("replay", str(journal), "--verify")
    assert replayed.returncode == 0, replayed.stderr
    assert "2,000 inputs" in replayed.stdout and "identical to the journal" in replayed.stdout


@pytest.mark.parametrize("flush", ["1000", "0.25s"])
def test_batched_flush_policies_write_the_whole_journal(bars: Path, tmp_path: Path, flush: str) -> None:
    journal = tmp_path / "run.jsonl"
    result = run_cli("backtest", "--data", str(bars), "--journal", str(journal), "--journal-flush", flush)
    assert result.returncode == 0, result.stderr
    lines = journal.read_text().splitlines()
    inputs = [line for line in lines[1:] if json.loads(line)[1] == "i"]
    assert len(inputs) == 2000 and json.loads(lines[-1])[0] == len(lines) - 1


def test_an_existing_journal_is_refused_before_the_run_and_left_as_it_was(bars: Path, tmp_path: Path) -> None:
    journal = tmp_path / "run.jsonl"
    journal.write_text("precious\n")
    result = run_cli(
        "backtest", "--data", str(bars), "--journal", str(journal), "--report", str(tmp_path / "r.json")
    )
    assert result.returncode == 2
    assert "exists" in result.stderr and "Traceback" not in result.stderr
    assert journal.read_text() == "precious\n" and not (tmp_path / "r.json").exists()


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--journal-flush", "0"), ("--journal-flush", "sometimes"), ("--journal-flush", "-2s"),
     ("--journal-rotate", "0"), ("--journal-rotate", "12XB"), ("--journal-rotate", "1.5GB")],
)  # fmt: skip
def test_a_bad_journal_option_exits_2_naming_it(bars: Path, tmp_path: Path, flag: str, value: str) -> None:
    result = run_cli(
        "backtest", "--data", str(bars), "--journal", str(tmp_path / "j.jsonl"), f"{flag}={value}"
    )
    assert result.returncode == 2
    assert flag in result.stderr and repr(value) in result.stderr
    assert not (tmp_path / "j.jsonl").exists()


UNITS = {
    "": 1,
    "B": 1,
    "K": 1000,
    "KB": 1000,
    "KiB": 1024,
    "M": 10**6,
    "MB": 10**6,
    "MiB": 2**20,
    "G": 10**9,
    "GiB": 2**30,
}


@given(st.integers(1, 10**6), st.sampled_from(sorted(UNITS)), st.booleans(), st.booleans())
def test_sizes_parse_in_decimal_and_binary_units(number: int, unit: str, lower: bool, space: bool) -> None:
    text = f"{number}{' ' if space else ''}{unit.lower() if lower else unit}"
    assert run_engine._size(text, "--x") == number * UNITS[unit]


@given(st.integers(1, 10**9))
def test_flush_policies_parse_to_what_the_writer_takes(count: int) -> None:
    assert run_engine._flush_policy(str(count)) == count
    assert run_engine._flush_policy(f"{count / 1000}s") == count / 1000
    assert run_engine._flush_policy("EVERY") == "every"


def test_a_journal_option_without_journal_exits_2(bars: Path) -> None:
    result = run_cli("backtest", "--data", str(bars), "--journal-rotate", "1MB")
    assert result.returncode == 2 and "--journal-rotate needs --journal" in result.stderr
