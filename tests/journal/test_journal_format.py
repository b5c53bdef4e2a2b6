"""The journal's lines: a JSON header, then one array-like record per line that one msgspec pass decodes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import msgspec
from journal_samples import T0, bar, lines, trade, write

from engine.journal import FORMAT_VERSION, INPUT, OUTPUT, JournalWriter, Record, read_journal


def test_a_record_is_one_compact_array_of_seq_kind_route_and_tagged_message(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with JournalWriter(path) as writer:
        writer.append(INPUT, "DataEngine.process", trade(0))
        writer.append(OUTPUT, "data.trade.binance.BTCUSDT", trade(0))

    assert lines(path)[1] == (
        b'[1,"i","DataEngine.process",{"type":"TradeTick","ts_event":%d,"ts_init":%d,'
        b'"exchange_id":"binance","symbol":"BTCUSDT","price":"20000.1","quantity":"0.015",'
        b'"aggressor_side":"buy","trade_id":"0"}]' % (T0, T0)
    )
    assert lines(path)[2].startswith(b'[2,"o","data.trade.binance.BTCUSDT",{"type":"TradeTick"')
    assert lines(path)[3] == b""  # every line ends with a newline


def test_what_the_writer_writes_is_exactly_a_record_encoded(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", [bar(1)])
    expected = Record(seq=1, kind=INPUT, route="DataEngine.process", message=bar(1))

    assert lines(path)[1] == msgspec.json.encode(expected)


def test_the_header_says_format_engine_version_config_start_time_and_meta(tmp_path: Path) -> None:
    started_ns = T0 + 123_456_789
    path = tmp_path / "run.jsonl"
    config = {"mode": "live", "risk": {"max": "0.10"}}
    JournalWriter(path, config=config, meta={"host": "a"}, started_ns=started_ns).close()

    header = read_journal(path).header
    raw = json.loads(lines(path)[0])

    assert raw["journal"] == "metaexpert"
    assert header.format_version == FORMAT_VERSION == 1
    assert header.engine_version == "0.1.0"
    assert header.config == config
    assert header.meta == {"host": "a"}
    assert header.started_ns == started_ns
    assert header.started_at == "2023-11-14T22:13:20.123456+00:00"
    assert (header.part, header.prev_seq) == (0, 0)


def test_a_config_struct_is_recorded_with_its_decimals_as_exact_strings(tmp_path: Path) -> None:
    class NodeConfig(msgspec.Struct, frozen=True):
        node: str
        max_position: object

    path = tmp_path / "run.jsonl"
    JournalWriter(path, config=NodeConfig("n1", Decimal("1.50"))).close()

    assert read_journal(path).header.config == {"node": "n1", "max_position": "1.50"}


def test_a_reader_reads_again_from_the_start_and_counts_afresh(tmp_path: Path) -> None:
    reader = read_journal(write(tmp_path / "run.jsonl", [bar(1), bar(2)]))

    assert list(reader) == list(reader)
    assert reader.stats.records == 2
