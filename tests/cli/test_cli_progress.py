"""The progress bar: drawn on stderr when it is a terminal (a real pseudo-terminal here), absent
when it is not, so logs and pipes get no carriage returns."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from cli_world import ROOT, first_bars, run_cli


def run_on_a_terminal(*args: str) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; return its exit code and what the terminal got."""
    primary, secondary = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, str(ROOT / "run_engine.py"), *args],
            stdout=subprocess.DEVNULL,
            stderr=secondary,
            cwd=ROOT,
            timeout=180,
            check=False,
        )
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal's other end is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(primary)
    return process.returncode, b"".join(chunks).decode()


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("progress")
    bars = first_bars(out / "bars.csv", 25_000)
    result = run_cli("backtest", "--data", str(bars), "--journal", str(out / "run.jsonl"))
    assert result.returncode == 0, result.stderr
    return out / "run.jsonl"


def test_a_backtest_on_a_terminal_draws_a_bar_with_its_share_done(journal: Path) -> None:
    code, seen = run_on_a_terminal("backtest", "--data", str(journal.parent / "bars.csv"))
    assert code == 0
    last = seen.rstrip().rsplit("\r", 1)[-1]  # the end is drawn
    assert "\r[" in seen and last.startswith("[" + "#" * 30 + "] 100.0% 25,000/25,000 events (")


def test_a_replay_on_a_terminal_counts_the_records_it_handled(journal: Path) -> None:
    records = len(journal.read_text().splitlines()) - 1
    code, seen = run_on_a_terminal("replay", str(journal), "--verify")
    assert code == 0
    assert f"\r{records:,} records" in seen  # the last batch is always drawn


def test_no_bar_when_stderr_is_not_a_terminal(journal: Path) -> None:
    result = run_cli("replay", str(journal))
    assert result.returncode == 0 and "\r" not in result.stderr and "records (" not in result.stderr
