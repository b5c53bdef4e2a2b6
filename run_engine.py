"""The command line: the one entry point a user runs (also installed as ``metaexpert``)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from engine.errors import EngineError
from engine.logging import configure_logging

ROOT = Path(__file__).resolve().parent
BUNDLED_BARS = ROOT.parent / "shared" / "data" / "btc-perp-1m.csv"


class UsageError(EngineError):
    """A mistake on the command line: reported in one line, exit code 2."""


def _existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise UsageError(f"file not found: {path}")
    return path


def _cmd_demo(args: argparse.Namespace) -> int:
    from adapters.files import load_bar_csv
    from engine.demo import DemoNode

    path = _existing_file(args.data)
    node = DemoNode()
    started = time.perf_counter()
    for count, bar in enumerate(load_bar_csv(path, exchange_id="binance", symbol="BTCUSDT"), start=1):
        node.process(bar)
        if args.limit is not None and count >= args.limit:
            break
    elapsed = time.perf_counter() - started
    summary = node.summary()
    print(f"bars processed   {summary.bars}")
    print(f"EMA crosses      {summary.crosses}")
    print(f"orders filled    {summary.orders_filled} (validated, stored, walked through the order FSM)")
    print(f"position         {summary.position} BTC, last close {summary.last_close}")
    print(f"bus deliveries   {summary.deliveries}")
    print(f"elapsed          {elapsed:.3f} s ({summary.bars / elapsed:,.0f} bars/s)")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="metaexpert", description=__doc__)
    parser.add_argument("--log-json", action="store_true", help="log as JSON lines (production)")
    parser.add_argument("--log-level", default="warning", help="debug, info, warning or error")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="stream the bundled real bars through the bus and the model")
    demo.add_argument(
        "--data", default=str(BUNDLED_BARS), help="bar CSV (timestamp,open,high,low,close,volume)"
    )
    demo.add_argument("--limit", type=_positive_int, default=None, help="stop after this many bars")
    demo.set_defaults(handler=_cmd_demo)
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        configure_logging(json=args.log_json, level=args.log_level)
        code: int = args.handler(args)
    except UsageError as exc:
        print(f"metaexpert: error: {exc}", file=sys.stderr)
        return 2
    except (EngineError, ValueError) as exc:
        print(f"metaexpert: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    raise SystemExit(main())

