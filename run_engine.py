"""The command line: the one entry point a user runs (also installed as ``metaexpert``).

Every user mistake (bad argument, missing file, invalid parameter or config) ends in one line on
stderr and a non-zero exit code, never in a traceback.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from engine.errors import EngineError

if TYPE_CHECKING:
    from engine.journal import FlushPolicy, JournalWriter

ROOT = Path(__file__).resolve().parent
BUNDLED_BARS = ROOT.parent / "shared" / "data" / "btc-perp-1m.csv"
DEFAULT_STRATEGY = "strategies.ema_cross:EmaCross"

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# A backtest can be run again, so its journal goes to the OS in batches rather than a write per
# record (which more than doubles a run's time): a crash loses at most this many records, and
# replay reports the torn last line.
BACKTEST_JOURNAL_FLUSH = 10_000
_SIZE = re.compile(r"(\d+)\s*([kmg]?)(i?)b?", re.IGNORECASE)


class UsageError(EngineError):
    """A mistake on the command line: reported in one line, exit code 2."""


# ---------------------------------------------------------------------------------------- helpers
def _existing_file(text: str, what: str = "file") -> Path:
    path = Path(text)
    if not path.is_file():
        raise UsageError(f"{what} not found: {path}")
    return path


def _params(pairs: Sequence[str]) -> dict[str, str]:
    """``--param fast=5 --param size=0.5`` -> ``{"fast": "5", "size": "0.5"}`` (typed later by the struct)."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param expects key=value, got {pair!r}")
        values[key.strip()] = value.strip()
    return values


def _flush_policy(text: str) -> FlushPolicy:
    """``--journal-flush``: ``every`` record, a record count (``500``) or seconds (``0.5s``)."""
    value = text.strip().lower()
    if value == "every":
        return "every"
    try:
        policy: int | float = float(value[:-1]) if value.endswith("s") else int(value)
    except ValueError:
        policy = 0
    if policy > 0 and math.isfinite(policy):
        return policy
    raise UsageError(f"--journal-flush expects 'every', a record count or seconds such as 0.5s, got {text!r}")


def _size(text: str, flag: str) -> int:
    """``64MB`` (powers of 1000), ``64MiB`` (powers of 1024) or plain bytes."""
    match = _SIZE.fullmatch(text.strip())
    if match is None or not int(match[1]):
        raise UsageError(f"{flag} expects a size such as 100MB, 64MiB or 1048576, got {text!r}")
    number, prefix, binary = match.groups()
    power = " kmg".index(prefix.lower() or " ")
    return int(number) * int((1024 if binary else 1000) ** power)


def _journal_writer(args: argparse.Namespace, config: Any, flush: FlushPolicy) -> JournalWriter | None:
    """The ``--journal`` writer with the ``--journal-*`` options, or None without ``--journal``."""
    from engine.journal import JournalWriter, part_path

    if args.journal is None:
        given = {"--journal-flush": args.journal_flush, "--journal-rotate": args.journal_rotate}
        for flag, value in (*given.items(), ("--journal-fsync", args.journal_fsync)):
            if value:
                raise UsageError(f"{flag} needs --journal")
        return None
    path = Path(args.journal)
    if args.journal_flush is not None:
        flush = _flush_policy(args.journal_flush)
    rotate = _size(args.journal_rotate, "--journal-rotate") if args.journal_rotate else None
    if path.exists() or part_path(path, 1).exists():
        raise UsageError(f"journal {path} exists: an event log is never overwritten; choose another path")
    _output(args.journal)  # its folder
    return JournalWriter(
        path, config=msgspec.to_builtins(config), flush=flush, fsync=args.journal_fsync, rotate_bytes=rotate
    )


def _output(path: str | None) -> Path | None:
    if path is None:
        return None
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


class Progress:
    """A one-line progress bar on stderr, shown only when stderr is a terminal."""

    def __init__(self, total: int | None, unit: str) -> None:
        self.total = total
        self.unit = unit
        self.enabled = sys.stderr.isatty()
        self.started = self.shown = time.perf_counter()
        self.done = self.drawn = 0

    def __call__(self, done: int) -> None:
        self.done = done
        if self.enabled and time.perf_counter() - self.shown >= 0.1:  # ten redraws a second are plenty
            self._draw()

    def close(self) -> None:
        """Draw where it ended, then end the line."""
        if self.enabled:
            if self.done != self.drawn:
                self._draw()
            sys.stderr.write("\n")

    def _draw(self) -> None:
        self.shown = now = time.perf_counter()
        done = self.drawn = self.done
        rate = done / max(now - self.started, 1e-9)
        if self.total:
            share = min(done / self.total, 1.0)
            bar = "#" * int(share * 30)
            text = f"[{bar:<30}] {share:6.1%} {done:,}/{self.total:,} {self.unit} ({rate:,.0f}/s)"
        else:
            text = f"{done:,} {self.unit} ({rate:,.0f}/s)"
        sys.stderr.write("\r" + text)
        sys.stderr.flush()


def _count_rows(path: Path) -> int | None:
    """Data rows of an uncompressed file (lines minus a header), for the progress bar."""
    with path.open("rb") as handle:
        if handle.read(2) == b"\x1f\x8b":
            return None
        handle.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return max(lines - 1, 0)


# ---------------------------------------------------------------------------------------- commands
def _cmd_backtest(args: argparse.Namespace) -> int:
    from adapters.files import load_data
    from engine.backtest import run_backtest
    from engine.config import default_backtest_config, load_config
    from engine.journal import read_journal
    from engine.replay import is_journal, market_data

    data_path = _existing_file(args.data, "data file")
    params = _params(args.param)
    if args.config:
        config = load_config(_existing_file(args.config, "config file"))
        if args.strategy:
            config = _with_strategy(config, args.strategy, params)
    else:
        config = default_backtest_config(args.strategy or DEFAULT_STRATEGY, params, symbol=args.symbol)
    if not config.strategies:
        raise UsageError("no strategy: pass --strategy MOD:CLASS or list strategies in the config")
    first = config.strategies[0]
    if is_journal(data_path):
        data: Any = market_data(read_journal(data_path))
        total = None
    else:
        data = load_data(data_path, exchange_id=first.exchange_id, symbol=first.symbol)
        total = _count_rows(data_path)
    writer = _journal_writer(args, config, BACKTEST_JOURNAL_FLUSH)
    progress = Progress(total, "events")
    try:
        node, report = run_backtest(config, data, on_progress=progress, journal=writer)
    finally:
        progress.close()
        if writer is not None:
            writer.close()
    _print_summary(report, node, data_path)
    if args.report:
        target = _output(args.report)
        assert target is not None
        target.write_bytes(msgspec.json.format(msgspec.json.encode(report), indent=2))
        print(f"report   {target}")
    if args.plot:
        from engine.plot import render_equity_html

        target = _output(args.plot)
        assert target is not None
        execution = report.executions[0]
        target.write_text(
            render_equity_html(
                f"{execution.strategy} on {execution.symbol}",
                execution.equity_curve,
                _headline(execution.metrics),
            ),
            encoding="utf-8",
        )
        print(f"plot     {target}")
    if writer is not None:
        rotated = writer.current_path != writer.path
        print(f"journal  {writer.path}" + (f" (rotated, last part {writer.current_path})" if rotated else ""))
    return EXIT_OK


def _with_strategy(config: Any, strategy: str, params: dict[str, str]) -> Any:
    """``--strategy`` on top of ``--config``: run that strategy where the config's first one trades."""
    from engine.config import StrategyConfig

    where = config.strategies[0] if config.strategies else None
    if where is None:
        if not config.accounts or not config.instruments:
            raise UsageError("the config needs an account and an instrument to run --strategy on")
        where = StrategyConfig(
            strategy=strategy,
            account_id=config.accounts[0].account_id,
            exchange_id=config.instruments[0].exchange_id,
            symbol=config.instruments[0].symbol,
        )
    spec = msgspec.structs.replace(where, strategy=strategy, params=params, strategy_id="", execution_id="")
    return msgspec.structs.replace(config, strategies=[spec])


def _period(start_ns: int, end_ns: int) -> str:
    from engine.model import datetime_from_ns

    start, end = datetime_from_ns(start_ns), datetime_from_ns(end_ns)
    days = (end_ns - start_ns) / 86_400e9
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC ({days:,.1f} days)"


def _headline(metrics: Any) -> dict[str, object]:
    return {
        "total return": f"{metrics.total_return:.4%}",
        "final equity": f"{metrics.final_equity:,.2f}",
        "realized PnL": f"{metrics.realized_pnl:,.2f}",
        "unrealized PnL": f"{metrics.unrealized_pnl:,.2f}",
        "fees": f"{metrics.fees:,.2f}",
        "trades": metrics.trades,
        "win rate": None if metrics.win_rate is None else f"{metrics.win_rate:.1%}",
        "average win": None if metrics.average_win is None else f"{metrics.average_win:,.2f}",
        "average loss": None if metrics.average_loss is None else f"{metrics.average_loss:,.2f}",
        "profit factor": None if metrics.profit_factor is None else f"{metrics.profit_factor:.3f}",
        "max drawdown": f"{metrics.max_drawdown:,.2f} ({metrics.max_drawdown_pct:.2%})",
        "Sharpe": None if metrics.sharpe is None else f"{metrics.sharpe:.2f}",
        "Sortino": None if metrics.sortino is None else f"{metrics.sortino:.2f}",
        "exposure time": f"{metrics.exposure_time:.1%}",
        "ratios": metrics.period,
    }


def _print_summary(report: Any, node: Any, data_path: Path) -> None:
    for execution in report.executions:
        print(f"{execution.strategy} [{execution.execution_id}] on {execution.symbol} ({data_path.name})")
        lines = {"period": _period(report.start_ns, report.end_ns), **_headline(execution.metrics)}
        change = execution.market_change
        lines["market change"] = None if change is None else f"{change:+.4%} (buy and hold, before fees)"
        for label, value in lines.items():
            print(f"  {label:<15} {'-' if value is None else value}")
    rate = report.events_per_second
    print(f"{report.events:,} events in {report.elapsed_s:.2f} s ({rate:,.0f}/s)")
    if node.bus.errors:
        print(f"warning: {node.bus.errors} handler error(s), see the log", file=sys.stderr)


def _cmd_replay(args: argparse.Namespace) -> int:
    from engine.journal import read_journal
    from engine.plugins import load_strategy_class
    from engine.replay import Decision, ReplayMismatch, decision, diff_decisions, recorded_decisions, replay

    log = _existing_file(args.log, "journal")
    until = _time_ns(args.until) if args.until else None
    if args.speed is not None and args.speed <= 0:
        raise UsageError(f"--speed must be positive, got {args.speed}")
    overrides = None
    if args.strategy:
        overrides = {args.execution: (load_strategy_class(args.strategy, "--strategy"), _params(args.param))}
    elif args.param:
        raise UsageError("--param needs --strategy (the strategy to re-run with those parameters)")
    replayed: list[Decision] = []

    def on_output(route: str, msg: Any) -> None:
        if route == "commands.*":
            replayed.append(decision(msg))

    reader = read_journal(log, skip_corrupt=args.skip_corrupt)
    progress = Progress(None, "records")
    try:
        try:
            node, result = replay(
                reader,
                verify=args.verify and overrides is None,
                until_ns=until,
                speed=args.speed,
                overrides=overrides,
                on_output=on_output if overrides is not None else None,
                on_progress=progress,
            )
        finally:
            progress.close()  # ends the bar's line before any message
    except ReplayMismatch as exc:
        print(f"replay differs from the journal: {exc}", file=sys.stderr)
        return EXIT_FAILED
    stats = reader.stats
    print(f"replayed {result.inputs:,} inputs in {result.elapsed_s:.2f} s")
    if stats.skipped:
        print(f"skipped {stats.skipped} corrupt line(s): {', '.join(str(p.line) for p in stats.problems)}")
    if stats.truncated_tail:
        print("ignored a truncated last line (the writer stopped mid-record)")
    if args.verify and overrides is None:
        print(f"verified: {result.outputs_compared:,} outputs identical to the journal, byte for byte")
    if overrides is not None:
        diff = diff_decisions(recorded_decisions(read_journal(log, skip_corrupt=args.skip_corrupt)), replayed)
        _print_diff(diff, until)
    if args.report:
        from engine.backtest import build_report

        target = _output(args.report)
        assert target is not None
        now = node.clock.timestamp_ns()
        report = build_report(node, node.start_ns, now, result.inputs, result.elapsed_s)
        target.write_bytes(msgspec.json.format(msgspec.json.encode(report), indent=2))
        print(f"report   {target}")
    return EXIT_OK


def _print_diff(diff: Any, until: int | None) -> None:
    if diff.identical:
        print(f"decisions: identical ({diff.recorded} recorded, {diff.replayed} replayed)")
        return
    print(f"decisions: {diff.recorded} recorded, {diff.replayed} replayed")
    first = diff.first_divergence
    print(f"  first divergence at decision #{first['index'] + 1}:")
    print(f"    recorded: {_describe(first['recorded'])}")
    print(f"    replayed: {_describe(first['replayed'])}")
    for label, items in (("added", diff.added), ("removed", diff.removed)):
        print(f"  {label}: {len(items)}")
        for item in items[:10]:
            print(f"    {_describe(item)}")
    print(f"  changed: {len(diff.changed)}")
    for pair in diff.changed[:10]:
        print(f"    {_describe(pair['recorded'])}  ->  {_describe(pair['replayed'])}")


def _describe(item: Any) -> str:
    if item is None:
        return "(none)"
    from engine.model import datetime_from_ns

    when = datetime_from_ns(item.ts).strftime("%Y-%m-%d %H:%M:%S")
    words = [when, item.action, item.side, item.order_type, item.symbol]
    if item.quantity is not None:
        words.append(f"qty {item.quantity}")
    if item.price is not None:
        words.append(f"@ {item.price}")
    return " ".join(w for w in words if w)


def _time_ns(text: str) -> int:
    """``--until``: integer nanoseconds, or an ISO date/time (UTC when no zone is given)."""
    from datetime import UTC, datetime

    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--until expects ISO time (2022-01-15T12:00) or integer ns, got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def _cmd_strategies(args: argparse.Namespace) -> int:
    from engine.plugins import discover_strategies

    for name, cls in discover_strategies().items():
        summary = (cls.__doc__ or "").strip().split("\n")[0]
        print(f"{name}\n    {summary}")
        for line in _param_lines(cls):
            print(f"    --param {line}")
    return EXIT_OK


def _param_lines(cls: Any) -> list[str]:
    """``name=<type>  (default ...)`` for each field of a strategy's ``Params``, as a user types them."""
    lines = []
    for field in msgspec.structs.fields(cls.Params):
        if field.required:
            default = "required"
        else:
            value = field.default if field.default is not msgspec.NODEFAULT else field.default_factory()
            plain = msgspec.to_builtins(value)
            if plain is None:
                default = "default none"
            else:
                default = "default " + (
                    plain if isinstance(plain, str) else msgspec.json.encode(plain).decode()
                )
        kind = field.type.__name__ if isinstance(field.type, type) else str(field.type)  # list[str], not list
        lines.append(f"{field.name}=<{kind}>  ({default})")
    return lines


# ---------------------------------------------------------------------------------------- parser
def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="metaexpert", description=__doc__.split("\n")[0])
    parser.add_argument("--log-json", action="store_true", help="log as JSON lines (production)")
    parser.add_argument("--log-level", default="warning", help="debug, info, warning or error")
    commands = parser.add_subparsers(dest="command", required=True)

    backtest = commands.add_parser(
        "backtest",
        help="run strategies on recorded market data with the simulated exchange",
        description="Run a strategy on a data file (bar CSV, Binance klines or trades) and report on it.",
        epilog=_strategy_epilog(argv, DEFAULT_STRATEGY),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = backtest.add_argument
    add("--data", default=str(BUNDLED_BARS), help="market data file (default: the bundled BTC bars)")
    add("--strategy", help=f"package.module:Class or entry-point name (default {DEFAULT_STRATEGY})")
    add("--param", action="append", default=[], metavar="K=V", help="strategy parameter (repeatable)")
    add("--config", help="node config TOML: exchanges, instruments, accounts, risk, strategies")
    add("--symbol", default="BTCUSDT", help="instrument of the default config")
    add("--report", help="write the JSON report here")
    add("--journal", help="record the event log here (replay it with `replay`)")
    add("--plot", help="write the equity curve here (self-contained HTML)")
    add(
        "--journal-flush",
        metavar="POLICY",
        help=f"when journal records reach the OS: every, N records or Xs (default {BACKTEST_JOURNAL_FLUSH})",
    )
    add(
        "--journal-rotate", metavar="SIZE", help="start a new journal part past this size (e.g. 100MB, 64MiB)"
    )
    add("--journal-fsync", action="store_true", help="force every journal flush to disk")
    backtest.set_defaults(handler=_cmd_backtest)

    replay = commands.add_parser(
        "replay",
        help="replay an event log through a fresh node: verify it, or re-run a changed strategy on it",
        description=(
            "Replay a journal. --verify fails on the first output that differs from the recorded one. "
            "--strategy (with --param) re-runs the recorded inputs with another strategy or parameters "
            "and prints where its decisions differ."
        ),
        epilog=_strategy_epilog(argv, None),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = replay.add_argument
    add("log", help="journal file (.jsonl or .jsonl.gz; rotated parts are followed)")
    add("--verify", action="store_true", help="compare every produced event with the recorded one")
    add("--speed", type=float, help="pace at this multiple of recorded time (default: as fast as possible)")
    add("--until", help="stop after this time (ISO, UTC by default, or integer ns)")
    add("--report", help="write the replayed run's JSON report here")
    add("--strategy", help="re-run with this strategy (package.module:Class) instead of the recorded one")
    add("--param", action="append", default=[], metavar="K=V", help="parameter of --strategy (repeatable)")
    add("--execution", type=int, default=0, help="which configured strategy --strategy replaces (index)")
    add("--skip-corrupt", action="store_true", help="skip corrupt lines (counted) instead of failing")
    replay.set_defaults(handler=_cmd_replay)

    strategies = commands.add_parser("strategies", help="list the strategies this installation can load")
    strategies.set_defaults(handler=_cmd_strategies)
    return parser


def _strategy_epilog(argv: Sequence[str], default: str | None) -> str:
    """With ``--help``, the parameters of the ``--strategy`` on the command line (else ``default``)."""
    every = "Every strategy this installation can load, with its parameters: `metaexpert strategies`."
    if not {"-h", "--help"} & set(argv):
        return every  # loading a strategy costs an import: only for the help page
    name = default
    for previous, arg in itertools.pairwise(["", *argv]):
        if previous == "--strategy":
            name = arg
        elif arg.startswith("--strategy="):
            name = arg.partition("=")[2]
    if name is None:
        return every
    from engine.plugins import load_strategy_class

    try:
        lines = [f"  --param {line}" for line in _param_lines(load_strategy_class(name))]
    except EngineError as exc:
        lines = [f"  (cannot load it: {exc})"]
    return "\n".join([f"Parameters of {name}:", *lines, "", every])


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(argv).parse_args(argv)
    from engine.logging import configure_logging

    try:
        configure_logging(json=args.log_json, level=args.log_level)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except UsageError as exc:
        print(f"metaexpert: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except EngineError as exc:
        print(f"metaexpert: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("metaexpert: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os._exit(EXIT_OK)


if __name__ == "__main__":
    raise SystemExit(main())
