"""The command line, run as a real process: the main job works and user mistakes get one clear line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BARS = ROOT.parent / "shared" / "data" / "btc-perp-1m.csv"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run_engine.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def summary(stdout: str) -> dict[str, str]:
    """The demo prints `label   value` lines: labels and values are separated by 2+ spaces."""
    return dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in stdout.splitlines() if line.strip())


def test_demo_streams_the_bundled_bars_and_trades_each_cross() -> None:
    result = run_cli("demo", "--data", str(BARS), "--limit", "3000")
    assert result.returncode == 0, result.stderr
    printed = summary(result.stdout)
    assert printed["bars processed"] == "3000"
    crosses = int(printed["EMA crosses"])
    assert crosses > 0
    assert printed["orders filled"].startswith(f"{crosses} ")
    assert printed["bus deliveries"] == "3000"


def test_missing_data_file_is_one_line_and_exit_code_2() -> None:
    result = run_cli("demo", "--data", "no-such-file.csv")
    assert result.returncode == 2
    assert result.stderr.strip() == "metaexpert: error: file not found: no-such-file.csv"
    assert "Traceback" not in result.stderr


def test_bad_argument_value_exits_2_without_traceback() -> None:
    result = run_cli("demo", "--limit", "-5")
    assert result.returncode == 2
    assert "must be a positive integer" in result.stderr
    assert "Traceback" not in result.stderr
