"""Reading names the file and line of anything wrong in a journal; a crash's torn tail is only a warning."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from journal_samples import T0, lines, mixed, set_line, write
from structlog.testing import capture_logs

from engine.errors import JournalError
from engine.journal import MAX_PROBLEMS, JournalCorrupt, JournalProblem, read_journal


def test_a_torn_last_line_is_ignored_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(5))
    path.write_bytes(path.read_bytes()[:-30])  # the crash hit in the middle of record 5

    reader = read_journal(path)
    with capture_logs() as logs:
        records = list(reader)

    assert [r.seq for r in records] == [1, 2, 3, 4]
    assert reader.stats.truncated_tail
    assert reader.stats.records == 4
    assert reader.stats.problems[0].line == 6
    assert [(log["event"], log["line"], log["log_level"]) for log in logs] == [
        ("journal_truncated", 6, "warning")
    ]


def test_a_last_record_that_only_lacks_its_newline_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(3))
    path.write_bytes(path.read_bytes()[:-1])

    reader = read_journal(path)

    assert [r.seq for r in reader] == [1, 2, 3]
    assert not reader.stats.truncated_tail


def test_a_corrupt_middle_line_stops_the_read_naming_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(6))
    set_line(path, 4, lines(path)[3].replace(b'"price":"20000.10"', b'"price":"twenty"'))

    with pytest.raises(JournalCorrupt) as caught:
        list(read_journal(path))

    assert (caught.value.path, caught.value.line) == (path, 4)
    assert str(caught.value) == f"{path}, line 4: Invalid decimal string - at `message.price`"


def test_skip_corrupt_drops_corrupt_lines_and_reports_their_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(6))
    set_line(path, 3, b'[2,"i","DataEngine.process",{"type":"Nope"}]')
    set_line(path, 5, b"garbage")

    reader = read_journal(path, skip_corrupt=True)
    with capture_logs() as logs:
        seqs = [r.seq for r in reader]

    assert seqs == [1, 3, 5, 6]
    assert reader.stats.skipped == 2
    assert [(p.line, p.reason) for p in reader.stats.problems] == [
        (3, "Invalid value 'Nope' - at `message.type`"),
        (5, "JSON is malformed: invalid character (byte 0)"),
    ]
    assert [log["line"] for log in logs if log["event"] == "journal_line_skipped"] == [3, 5]


def test_the_list_of_skipped_lines_is_capped_but_the_count_is_not(tmp_path: Path) -> None:
    count = MAX_PROBLEMS + 20
    path = write(tmp_path / "run.jsonl", mixed(count + 1))
    body = lines(path)
    path.write_bytes(b"\n".join([body[0], *([b"{}"] * count), *body[count + 1 :]]))

    reader = read_journal(path, skip_corrupt=True)

    assert [r.seq for r in reader] == [count + 1]
    assert reader.stats.skipped == count
    assert len(reader.stats.problems) == MAX_PROBLEMS
    assert reader.stats.problems[0] == JournalProblem(path, 2, "Expected `array`, got `object`")


def test_a_blank_line_is_corrupt(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(3))
    set_line(path, 3, b"")

    with pytest.raises(JournalCorrupt, match="line 3: empty line"):
        list(read_journal(path))


def test_a_sequence_gap_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(4))
    set_line(path, 4, lines(path)[3].replace(b"[3,", b"[7,", 1))

    with pytest.raises(JournalCorrupt, match="line 4: sequence gap: expected seq 3, got 7"):
        list(read_journal(path))


def test_a_sequence_going_backwards_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(4))
    set_line(path, 5, lines(path)[4].replace(b"[4,", b"[2,", 1))

    with pytest.raises(JournalCorrupt, match="line 5: sequence goes backwards: expected seq 4, got 2"):
        list(read_journal(path))


def test_with_skip_corrupt_a_gap_is_read_through_and_a_step_back_is_dropped(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(5))
    body = lines(path)
    path.write_bytes(b"\n".join([body[0], body[1], body[3], body[1], body[4], body[5], b""]))

    reader = read_journal(path, skip_corrupt=True)

    assert [r.seq for r in reader] == [1, 3, 4, 5]
    assert (reader.stats.gaps, reader.stats.skipped) == (1, 1)
    assert [p.line for p in reader.stats.problems] == [3, 4]


def test_a_newer_format_version_is_refused_naming_both_versions(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(1))
    header = json.loads(lines(path)[0])
    set_line(path, 1, json.dumps({**header, "format_version": 7}).encode())

    with pytest.raises(JournalError, match=r"format version 7; this engine .* reads versions up to 1"):
        read_journal(path)


@pytest.mark.parametrize(
    ("line_1", "reason"),
    [
        (
            b'[1,"i","DataEngine.process",{"type":"TimerEvent","ts_event":1,"ts_init":1,"name":"t"}]',
            "not a journal header",
        ),
        (b'{"journal":"metaexpert","format_version":1}', "bad journal header: Object missing required field"),
        (b'{"journal":"somebody-else","format_version":1}', "not a journal header"),
        (b"\x00\x01garbage", "not a journal header"),
    ],
    ids=["missing", "incomplete", "foreign", "garbled"],
)
def test_a_missing_or_garbled_header_is_refused_at_line_1(tmp_path: Path, line_1: bytes, reason: str) -> None:
    path = write(tmp_path / "run.jsonl", mixed(1))
    set_line(path, 1, line_1)

    with pytest.raises(JournalCorrupt, match=reason) as caught:
        read_journal(path)

    assert (caught.value.path, caught.value.line) == (path, 1)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.touch()

    with pytest.raises(JournalError, match=f"{path} is empty: a journal starts with a header line"):
        read_journal(path)


def test_a_missing_file_is_a_journal_error(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="cannot open journal"):
        read_journal(tmp_path / "nowhere.jsonl")


def test_gzip_is_recognised_by_its_magic_bytes_not_its_name(tmp_path: Path) -> None:
    plain = write(tmp_path / "run.jsonl", mixed(4))
    disguised = tmp_path / "disguised.jsonl"
    disguised.write_bytes(gzip.compress(plain.read_bytes()))

    assert list(read_journal(disguised)) == list(read_journal(plain))


def test_a_cut_gzip_stream_reads_what_came_before_the_cut(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl.gz", mixed(50), flush=10, started_ns=T0)
    path.write_bytes(path.read_bytes()[:-200])  # lose the trailer and the last few records

    reader = read_journal(path)
    seqs = [r.seq for r in reader]

    assert seqs == list(range(1, len(seqs) + 1))
    assert 30 <= len(seqs) < 50
    assert reader.stats.truncated_tail


def test_damaged_gzip_data_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl.gz", mixed(300), flush=100, started_ns=T0)
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))

    with pytest.raises(JournalCorrupt, match="unreadable data") as caught:
        list(read_journal(path))

    assert caught.value.path == path


def test_invalid_utf8_inside_a_string_is_corrupt_like_any_other_damage(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(3))
    set_line(path, 3, lines(path)[2].replace(b'"binance"', b'"bin\xffance"'))

    with pytest.raises(JournalCorrupt, match="line 3: invalid UTF-8: invalid start byte"):
        list(read_journal(path))
