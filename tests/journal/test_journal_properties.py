"""Whatever the messages, flush policy and rotation size, a journal reads back record for record, and
damage to one line is found at exactly that line."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from journal_samples import T0, lines, set_line, write
from message_strategies import any_message

from engine.journal import INPUT, JournalCorrupt, JournalWriter, Record, RecordKind, read_journal
from engine.messages import Message

records_to_write = st.lists(
    st.tuples(
        st.sampled_from(RecordKind), st.sampled_from(["DataEngine.process", "events.order.x"]), any_message()
    ),
    max_size=25,
)
flush_policies = st.sampled_from(["every", 1, 7, 1000, 0.001, 60.0])
rotation_sizes = st.sampled_from([None, 1, 600, 4_000, 50_000])
examples = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def _journal_dir() -> Iterator[Path]:
    # hypothesis runs many examples per test, so each gets its own directory rather than tmp_path
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


def _exact(record: Record) -> bytes:
    # Decimal("1.10") == Decimal("1.1"); their encodings differ, so comparing bytes checks every exponent.
    return msgspec.json.encode(record)


@examples
@given(written=records_to_write, flush=flush_policies, rotate_bytes=rotation_sizes, gzipped=st.booleans())
def test_what_is_written_reads_back_record_for_record(
    written: list[tuple[RecordKind, str, Message]],
    flush: str | float,
    rotate_bytes: int | None,
    gzipped: bool,
) -> None:
    expected = [Record(seq, kind, route, message) for seq, (kind, route, message) in enumerate(written, 1)]
    with _journal_dir() as directory:
        path = directory / ("run.jsonl.gz" if gzipped else "run.jsonl")
        with JournalWriter(path, flush=flush, rotate_bytes=rotate_bytes) as writer:  # type: ignore[arg-type]
            for kind, route, message in written:
                writer.append(kind, route, message)

        reader = read_journal(path)
        read = list(reader)

        assert read == expected
        assert [_exact(r) for r in read] == [_exact(r) for r in expected]
        assert reader.stats.records == len(expected)
        assert not (reader.stats.problems or reader.stats.truncated_tail)


def _damage(line: bytes, how: str, at: int, byte: int) -> bytes:
    at %= len(line)
    if how == "cut":
        return line[:at]
    if how == "delete":
        return line[:at] + line[at + 1 :]
    if how == "insert":
        return line[:at] + bytes([byte]) + line[at:]
    return line[:at] + bytes([byte]) + line[at + 1 :]


def _still_valid(line: bytes, seq: int) -> bool:
    try:
        return msgspec.json.decode(line, type=Record).seq == seq
    except (msgspec.DecodeError, UnicodeDecodeError):
        return False


@examples
@given(
    messages=st.lists(any_message(), min_size=2, max_size=12),
    data=st.data(),
    how=st.sampled_from(["cut", "delete", "insert", "replace"]),
    at=st.integers(0, 10_000),
    byte=st.integers(0, 255).filter(lambda b: b != ord("\n")),
)
def test_damage_to_one_middle_line_is_found_at_exactly_that_line(
    messages: list[Message], data: st.DataObject, how: str, at: int, byte: int
) -> None:
    line_number = data.draw(st.integers(2, len(messages)), label="line")  # the last record is line n + 1
    with _journal_dir() as directory:
        path = write(directory / "run.jsonl", messages)
        damaged = _damage(lines(path)[line_number - 1], how, at, byte)
        assume(not _still_valid(damaged, line_number - 1))  # e.g. a changed letter inside a string
        set_line(path, line_number, damaged)

        with pytest.raises(JournalCorrupt) as caught:
            list(read_journal(path))

        assert (caught.value.path, caught.value.line) == (path, line_number)


@examples
@given(messages=st.lists(any_message(), min_size=1, max_size=12), data=st.data())
def test_a_cut_anywhere_in_the_last_line_loses_only_that_line(
    messages: list[Message], data: st.DataObject
) -> None:
    with _journal_dir() as directory:
        path = write(directory / "run.jsonl", messages)
        whole = path.read_bytes()
        last_line = len(lines(path)[-2])
        keep = data.draw(st.integers(0, last_line - 1), label="bytes of the last line kept")
        path.write_bytes(whole[: len(whole) - 1 - last_line + keep])

        reader = read_journal(path)
        read = list(reader)

        assert [r.message for r in read] == messages[:-1]
        assert reader.stats.truncated_tail == (keep > 0)
        assert reader.stats.problems == (
            [(path, len(messages) + 1, reader.stats.problems[0].reason)] if keep else []
        )


@examples
@given(messages=st.lists(any_message(), min_size=1, max_size=12), data=st.data())
def test_a_gzip_journal_cut_anywhere_reads_a_prefix_of_its_records(
    messages: list[Message], data: st.DataObject
) -> None:
    with _journal_dir() as directory:
        # flush="every" leaves a sync point after each record; a fixed start time fixes the header's size
        path = write(directory / "run.jsonl.gz", messages, started_ns=T0)
        whole = path.read_bytes()
        header_only = write(directory / "header.jsonl.gz", [], started_ns=T0)
        header_end = len(header_only.read_bytes()) - 8  # less the gzip trailer
        cut = data.draw(st.integers(header_end, len(whole) - 1), label="cut")
        path.write_bytes(whole[:cut])

        reader = read_journal(path)
        read = [r.message for r in reader]

        assert read == messages[: len(read)]
        assert reader.stats.truncated_tail


def test_a_record_kind_is_written_as_one_letter() -> None:
    assert msgspec.json.encode(INPUT) == b'"i"'
