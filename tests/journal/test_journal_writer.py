"""The writer appends, flushes by policy, rotates by size, and continues a journal only when told to."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import msgspec
import pytest
from journal_samples import bar, fill, lines, mixed, trade, write
from structlog.testing import capture_logs

from engine.errors import ConfigError, JournalError
from engine.journal import INPUT, OUTPUT, JournalCorrupt, JournalWriter, read_journal
from engine.messages import TimerEvent


def _seqs(path: Path) -> list[int]:
    return [record.seq for record in read_journal(path)]


def test_append_returns_the_sequence_number_which_starts_at_1(tmp_path: Path) -> None:
    with JournalWriter(tmp_path / "run.jsonl") as writer:
        assert writer.seq == 0
        assert [writer.append(INPUT, "DataEngine.process", m) for m in mixed(3)] == [1, 2, 3]
        assert writer.seq == 3


def test_an_existing_journal_is_refused_without_append(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(2))

    with pytest.raises(JournalError, match="exists: pass append=True"):
        JournalWriter(path)
    assert _seqs(path) == [1, 2]


def test_a_leftover_later_part_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "run.1.jsonl").write_bytes(b"stale\n")

    with pytest.raises(JournalError, match="exists"):
        JournalWriter(tmp_path / "run.jsonl")


def test_append_continues_the_sequence_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(3))

    with capture_logs() as logs, JournalWriter(path, append=True) as writer:
        assert writer.append(INPUT, "DataEngine.process", bar(9)) == 4

    assert _seqs(path) == [1, 2, 3, 4]
    assert {"event": "journal_resumed", "path": str(path), "part": 0, "seq": 3, "log_level": "info"} in logs


def test_append_to_a_journal_with_only_its_header_starts_at_1(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", [])

    with JournalWriter(path, append=True) as writer:
        assert writer.append(INPUT, "DataEngine.process", bar()) == 1


def test_append_creates_a_journal_that_does_not_exist(tmp_path: Path) -> None:
    with JournalWriter(tmp_path / "run.jsonl", append=True) as writer:
        writer.append(INPUT, "DataEngine.process", bar())

    assert _seqs(tmp_path / "run.jsonl") == [1]


def test_append_cuts_off_a_torn_last_line_and_continues_after_the_last_whole_record(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(3))
    path.write_bytes(path.read_bytes()[:-25])

    with capture_logs() as logs, JournalWriter(path, append=True) as writer:
        assert writer.append(INPUT, "DataEngine.process", bar(9)) == 3

    reader = read_journal(path)
    assert [(r.seq, r.message) for r in reader] == [(1, mixed(3)[0]), (2, mixed(3)[1]), (3, bar(9))]
    assert not reader.stats.truncated_tail
    assert logs[0]["event"] == "journal_torn_tail_cut"


def test_append_completes_a_last_record_that_only_lacks_its_newline(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(3))
    path.write_bytes(path.read_bytes()[:-1])

    with JournalWriter(path, append=True) as writer:
        writer.append(INPUT, "DataEngine.process", bar(9))

    assert _seqs(path) == [1, 2, 3, 4]


def test_append_to_an_empty_file_writes_the_header_first(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.touch()  # a crash right after the file was created

    with JournalWriter(path, append=True) as writer:
        writer.append(INPUT, "DataEngine.process", bar())

    assert _seqs(path) == [1]


def test_append_refuses_a_newer_format_version(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(2))
    body = lines(path)
    path.write_bytes(b"\n".join([body[0].replace(b'"format_version":1', b'"format_version":2'), *body[1:]]))

    with pytest.raises(JournalError, match=r"format version 2; this engine .* reads versions up to 1"):
        JournalWriter(path, append=True)


def test_append_refuses_a_corrupt_last_record_naming_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(3))
    path.write_bytes(path.read_bytes()[:-3] + b"x\n")

    with pytest.raises(JournalCorrupt) as caught:
        JournalWriter(path, append=True)

    assert (caught.value.path, caught.value.line) == (path, 4)


def test_append_refuses_gzip(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl.gz", mixed(2))

    with pytest.raises(JournalError, match="cannot append to gzip journal"):
        JournalWriter(path, append=True)


def test_rotation_continues_in_numbered_parts_each_with_its_own_header(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(40), rotate_bytes=2_000)

    parts = sorted(tmp_path.iterdir(), key=lambda p: (len(p.name), p.name))
    headers = [msgspec.json.decode(p.read_bytes().split(b"\n")[0]) for p in parts]
    reader = read_journal(path)

    assert [p.name for p in parts[:3]] == ["run.jsonl", "run.1.jsonl", "run.2.jsonl"]
    assert len(parts) > 5
    assert [h["part"] for h in headers] == list(range(len(parts)))
    assert headers[0]["prev_seq"] == 0
    assert all(p.stat().st_size <= 2_000 + 500 for p in parts)
    assert [r.seq for r in reader] == list(range(1, 41))
    assert reader.stats.files == parts
    for header, part in zip(headers[1:], parts[:-1], strict=True):
        assert header["prev_seq"] == msgspec.json.decode(lines(part)[-2])[0]


def test_a_gzip_journal_rotates_into_gzip_parts(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl.gz", mixed(40), rotate_bytes=3_000)

    assert gzip.decompress((tmp_path / "run.1.jsonl.gz").read_bytes()).startswith(b'{"journal"')
    assert _seqs(path) == list(range(1, 41))


def test_append_continues_the_last_rotated_part(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(20), rotate_bytes=2_000)
    last = max(tmp_path.iterdir(), key=lambda p: (len(p.name), p.name))

    with JournalWriter(path, append=True, rotate_bytes=2_000) as writer:
        assert writer.current_path == last
        writer.append(INPUT, "DataEngine.process", bar(99))

    assert _seqs(path) == list(range(1, 22))


def test_a_missing_part_is_an_error_not_a_short_journal(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(20), rotate_bytes=1_500)
    (tmp_path / "run.2.jsonl").unlink()

    with pytest.raises(
        JournalError, match=r"run\.2\.jsonl is missing, but part 3 of journal .*run\.jsonl exists"
    ):
        list(read_journal(path))


def test_a_part_that_does_not_continue_the_one_before_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(20), rotate_bytes=1_500)
    part = tmp_path / "run.1.jsonl"
    part.write_bytes(part.read_bytes().replace(b'"prev_seq":', b'"prev_seq":1', 1))

    with pytest.raises(JournalCorrupt, match=r"run.1.jsonl, line 1: part 1 continues from seq 1\d"):
        list(read_journal(path))


def test_reading_from_a_later_part_starts_there(tmp_path: Path) -> None:
    write(tmp_path / "run.jsonl", mixed(20), rotate_bytes=1_500)
    part_2 = tmp_path / "run.2.jsonl"
    first = msgspec.json.decode(lines(part_2)[1])[0]

    assert _seqs(part_2) == list(range(first, 21))


def test_a_part_left_empty_by_a_crash_while_rotating_is_only_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "run.jsonl", mixed(3))
    (tmp_path / "run.1.jsonl").touch()

    reader = read_journal(path)

    assert [r.seq for r in reader] == [1, 2, 3]
    assert reader.stats.truncated_tail


def test_flush_every_record_hands_each_record_to_the_os_at_once(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with JournalWriter(path, flush="every") as writer:
        writer.append(INPUT, "DataEngine.process", trade())
        assert len(lines(path)) == 3


def test_flush_every_n_records_holds_records_until_the_nth(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with JournalWriter(path, flush=3) as writer:
        writer.append(INPUT, "DataEngine.process", trade(1))
        writer.append(INPUT, "DataEngine.process", trade(2))
        assert len(lines(path)) == 2  # the header only
        writer.append(INPUT, "DataEngine.process", trade(3))
        assert len(lines(path)) == 5


def test_flush_by_interval_flushes_the_first_record_appended_after_the_interval(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with JournalWriter(path, flush=0.05) as writer:
        writer.append(INPUT, "DataEngine.process", trade(1))
        assert len(lines(path)) == 2
        time.sleep(0.06)
        writer.append(INPUT, "DataEngine.process", trade(2))
        assert len(lines(path)) == 4


def test_close_flushes_what_the_policy_held_back(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    writer = JournalWriter(path, flush=1000)
    writer.append(INPUT, "DataEngine.process", trade())
    writer.close()
    writer.close()

    assert _seqs(path) == [1]


def test_fsync_forces_every_flush_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    monkeypatch.setattr("engine.journal._writer.os.fsync", synced.append)

    with JournalWriter(tmp_path / "run.jsonl", flush=2, fsync=True) as writer:
        assert len(synced) == 1  # the header
        for message in mixed(4):
            writer.append(INPUT, "DataEngine.process", message)
        assert len(synced) == 3
    assert len(synced) == 4


@pytest.mark.parametrize("flush", ["sometimes", 0, -1, True, 0.0, -0.5, None])
def test_a_flush_policy_that_means_nothing_is_a_config_error(tmp_path: Path, flush: object) -> None:
    with pytest.raises(ConfigError, match=r"journal\.flush"):
        JournalWriter(tmp_path / "run.jsonl", flush=flush)  # type: ignore[arg-type]
    assert not (tmp_path / "run.jsonl").exists()


@pytest.mark.parametrize("rotate_bytes", [0, -5, True])
def test_a_rotation_size_must_be_positive(tmp_path: Path, rotate_bytes: int) -> None:
    with pytest.raises(ConfigError, match=r"journal\.rotate_bytes"):
        JournalWriter(tmp_path / "run.jsonl", rotate_bytes=rotate_bytes)


def test_a_message_that_cannot_be_encoded_leaves_the_journal_intact(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with JournalWriter(path, flush=10) as writer:
        writer.append(INPUT, "DataEngine.process", trade(1))
        with pytest.raises(TypeError):
            writer.append(INPUT, "DataEngine.process", TimerEvent(ts_event=1, ts_init=1, name=object()))  # type: ignore[arg-type]
        assert writer.append(OUTPUT, "events.order.filled", fill(2)) == 2

    assert _seqs(path) == [1, 2]


def test_a_config_that_cannot_be_encoded_creates_no_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        JournalWriter(tmp_path / "run.jsonl", config={"callback": print})
    assert not (tmp_path / "run.jsonl").exists()


def test_append_after_close_is_refused(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path / "run.jsonl")
    writer.close()

    with pytest.raises(JournalError, match="is closed"):
        writer.append(INPUT, "DataEngine.process", trade())
