"""`metaexpert replay`, run as a real process on a journal the CLI recorded itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_world import first_bars, run_cli


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("replay")
    data = first_bars(out / "bars.csv", 2000)
    path = out / "session.jsonl"
    result = run_cli(
        "backtest", "--data", str(data), "--journal", str(path), "--report", str(out / "backtest.json")
    )
    assert result.returncode == 0, result.stderr
    return path


def test_a_replays_report_is_the_backtests_report(journal: Path, tmp_path: Path) -> None:
    result = run_cli("replay", str(journal), "--report", str(tmp_path / "replay.json"))
    assert result.returncode == 0, result.stderr
    recorded = json.loads((journal.parent / "backtest.json").read_text())["executions"][0]
    replayed = json.loads((tmp_path / "replay.json").read_text())["executions"][0]
    assert len(replayed["equity_curve"]) == 2000  # a sample per minute of data: one per bar
    for part in ("metrics", "equity_curve", "fills", "orders", "final_positions"):
        assert replayed[part] == recorded[part], part


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def test_verify_reproduces_every_recorded_output_byte_for_byte(journal: Path) -> None:
    result = run_cli("replay", str(journal), "--verify")
    assert result.returncode == 0, result.stderr
    assert "replayed 2,000 inputs" in result.stdout
    assert "outputs identical to the journal, byte for byte" in result.stdout


def test_verify_fails_on_the_first_difference_and_names_it(journal: Path, tmp_path: Path) -> None:
    lines = lines_of(journal)
    index = next(i for i, line in enumerate(lines) if '"type":"OrderFilled"' in line)
    record = json.loads(lines[index])
    record[3]["price"] = "1.0"
    lines[index] = json.dumps(record, separators=(",", ":")) + "\n"
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("".join(lines))
    result = run_cli("replay", str(tampered), "--verify")
    assert result.returncode == 1
    assert f"record {record[0]}: first difference" in result.stderr
    assert "first difference at output #" in result.stderr and ': price "1.0" -> "' in result.stderr
    assert '"price":"1.0"' in result.stderr


def test_a_corrupt_middle_line_stops_the_replay_naming_file_and_line(journal: Path, tmp_path: Path) -> None:
    lines = lines_of(journal)
    lines[10] = "this is not a record\n"
    broken = tmp_path / "broken.jsonl"
    broken.write_text("".join(lines))
    result = run_cli("replay", str(broken))
    assert result.returncode == 1
    assert str(broken) in result.stderr and "line 11" in result.stderr
    assert "Traceback" not in result.stderr


def test_skip_corrupt_counts_and_reports_what_it_skipped(journal: Path, tmp_path: Path) -> None:
    lines = lines_of(journal)
    lines[10] = "this is not a record\n"
    broken = tmp_path / "broken.jsonl"
    broken.write_text("".join(lines))
    result = run_cli("replay", str(broken), "--skip-corrupt")
    assert result.returncode == 0, result.stderr
    assert "skipped 1 corrupt line(s): 11" in result.stdout


def test_a_truncated_last_line_is_reported_and_ignored(journal: Path, tmp_path: Path) -> None:
    text = journal.read_text()
    torn = tmp_path / "torn.jsonl"
    torn.write_text(text[: len(text) - 25])  # a crash in the middle of writing the last record
    result = run_cli("replay", str(torn))
    assert result.returncode == 0, result.stderr
    assert "truncated last line" in result.stdout


def test_a_log_from_a_newer_format_version_is_refused(journal: Path, tmp_path: Path) -> None:
    lines = lines_of(journal)
    lines[0] = lines[0].replace('"format_version":1', '"format_version":99')
    newer = tmp_path / "newer.jsonl"
    newer.write_text("".join(lines))
    result = run_cli("replay", str(newer))
    assert result.returncode == 1
    assert "99" in result.stderr and "Traceback" not in result.stderr


def test_until_stops_the_replay_at_that_time(journal: Path) -> None:
    result = run_cli("replay", str(journal), "--until", "2022-01-01T00:00:00")
    assert result.returncode == 0, result.stderr
    # bars close at 23:02 ... 00:00 on 2021-12-31/2022-01-01: 59 of them by midnight
    assert "replayed 59 inputs" in result.stdout


def test_same_strategy_and_parameters_make_identical_decisions(journal: Path) -> None:
    result = run_cli("replay", str(journal), "--strategy", "strategies.ema_cross:EmaCross")
    assert result.returncode == 0, result.stderr
    assert "decisions: identical" in result.stdout


def test_changed_parameters_report_the_first_divergence_and_the_changes(journal: Path) -> None:
    result = run_cli(
        "replay", str(journal), "--strategy", "strategies.ema_cross:EmaCross", "--param", "fast=12"
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "first divergence at decision #" in out
    assert "recorded: 20" in out and "replayed: 20" in out  # timestamps of both decisions
    assert "added:" in out and "removed:" in out and "changed:" in out


def test_replay_writes_a_report(journal: Path, tmp_path: Path) -> None:
    target = tmp_path / "replay.json"
    result = run_cli("replay", str(journal), "--report", str(target))
    assert result.returncode == 0, result.stderr
    report = json.loads(target.read_text())
    assert report["executions"][0]["fills"]


def test_param_without_strategy_is_a_usage_error(journal: Path) -> None:
    result = run_cli("replay", str(journal), "--param", "fast=3")
    assert result.returncode == 2 and "--param needs --strategy" in result.stderr


def test_missing_journal_exits_2() -> None:
    result = run_cli("replay", "nope.jsonl")
    assert result.returncode == 2 and "journal not found" in result.stderr
