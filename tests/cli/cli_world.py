"""Running the real command line as a separate process, as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BARS = ROOT.parent / "shared" / "data" / "btc-perp-1m.csv"


def run_cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run_engine.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )


def first_bars(target: Path, rows: int) -> Path:
    """The first ``rows`` bars of the bundled real data, as a smaller CSV of the same format."""
    with BARS.open() as source, target.open("w") as out:
        for n, line in enumerate(source):
            if n > rows:
                break
            out.write(line)
    return target
