"""Reading a journal back, streaming in constant memory, with every flaw named by file and line."""

from __future__ import annotations

import gzip
import io
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import NamedTuple

import structlog

from engine.errors import JournalError
from engine.journal._format import (
    DECODE_ERRORS,
    JournalCorrupt,
    JournalHeader,
    Record,
    decode_header,
    decode_reason,
    first_part_path,
    later_parts,
    part_path,
    record_decoder,
)

_log = structlog.get_logger(__name__)

# Measured here: blocks of 16-128 KiB decode at the same rate, 1 MiB ones 40% slower (a block and the
# records decoded from it no longer fit the CPU's L2 cache).
CHUNK_BYTES = 64 * 1024
MAX_PROBLEMS = 100
_GZIP_MAGIC = b"\x1f\x8b"


class JournalProblem(NamedTuple):
    path: Path
    line: int
    reason: str


@dataclass
class JournalStats:
    """What the last pass over a journal met: ``problems`` keeps the first ``MAX_PROBLEMS`` of them."""

    records: int = 0
    skipped: int = 0  # corrupt or out-of-order lines dropped (only with skip_corrupt=True)
    gaps: int = 0  # sequence gaps read through (only with skip_corrupt=True)
    truncated_tail: bool = False  # a part ended in a torn line, as a crash mid-write leaves it
    files: list[Path] = field(default_factory=list)
    problems: list[JournalProblem] = field(default_factory=list)

    def note(self, problem: JournalProblem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


def open_journal_file(path: Path) -> io.BufferedIOBase:
    """The file's bytes, decompressed if it starts like gzip, whatever its name says."""
    try:
        raw = path.open("rb")
        if raw.read(2) != _GZIP_MAGIC:
            raw.seek(0)
            return raw
        raw.close()
        return gzip.open(path, "rb")
    except OSError as exc:
        raise JournalError(f"cannot open journal {path}: {exc}") from None


class _Blocks:
    """A stream's complete lines in blocks of about ``CHUNK_BYTES``; iteration leaves what followed the
    last newline in ``tail`` and sets ``cut`` if a gzip stream ended before its end marker."""

    def __init__(self, stream: io.BufferedIOBase, pending: bytes) -> None:
        self.stream = stream
        self.tail = pending
        self.cut = False

    def __iter__(self) -> Iterator[bytes]:
        # read1: one raw read per call, so a cut gzip stream gives up what it has before its EOFError
        read = self.stream.read1
        while True:
            try:
                data = read(CHUNK_BYTES)
            except EOFError:  # gzip: "Compressed file ended before the end-of-stream marker was reached"
                self.cut, data = True, b""
            if not data:  # what the header read left over can hold whole lines too
                end = self.tail.rfind(b"\n") + 1
                block, self.tail = self.tail[:end], self.tail[end:]
                if block:
                    yield block
                return
            end = data.rfind(b"\n") + 1
            if end == 0:  # a line longer than a block
                self.tail += data
                continue
            block = self.tail + data[:end] if self.tail else data[:end]
            self.tail = data[end:]
            yield block


def read_journal(path: str | os.PathLike[str], *, skip_corrupt: bool = False) -> JournalReader:
    """Open the journal that starts at ``path`` (plain or gzip) and read its header now.

    Iterating the reader yields every :class:`Record` of every part in order (``run.jsonl``, then
    ``run.1.jsonl``, ``run.2.jsonl``, ... while they exist; given a later part, reading starts there).
    A corrupt line raises :class:`JournalCorrupt` naming the file and line, unless ``skip_corrupt``,
    which drops it, logs it and counts it in ``reader.stats``. A torn last line (a crash mid-write)
    is always dropped with a warning: it never reached the node.
    """
    return JournalReader(Path(path), skip_corrupt=skip_corrupt)


class JournalReader:
    """One journal, re-readable: each pass streams the parts anew and resets ``stats``."""

    def __init__(self, path: Path, *, skip_corrupt: bool = False) -> None:
        self.path = path
        self.skip_corrupt = skip_corrupt
        self.header = read_header(path)
        self.stats = JournalStats()
        self._last_seq = 0
        self._resync = False  # after a dropped line, any later sequence number is accepted once

    def __iter__(self) -> Iterator[Record]:
        # chain in C: no Python frame resumes per record
        return chain.from_iterable(self.batches())

    def batches(self) -> Iterator[list[Record]]:
        """The records in lists, one per block of ``CHUNK_BYTES``: the fastest way to replay."""
        self.stats = JournalStats()
        self._last_seq = self.header.prev_seq
        self._resync = False
        first = first_part_path(self.path, self.header.part)
        part, path = self.header.part, self.path
        while True:
            yield from self._read_part(path, part)
            part += 1
            path = part_path(first, part)
            if not path.exists():
                break
        missing = later_parts(first, part)
        if missing:
            raise JournalError(f"{path} is missing, but part {missing[0]} of journal {first} exists")
        if self.stats.skipped or self.stats.gaps:
            _log.warning(
                "journal_read_with_problems",
                path=str(self.path),
                skipped=self.stats.skipped,
                gaps=self.stats.gaps,
                records=self.stats.records,
            )

    def _read_part(self, path: Path, part: int) -> Iterator[list[Record]]:
        self.stats.files.append(path)
        with open_journal_file(path) as stream:
            line_1, complete, pending = _first_line(path, stream)
            if path != self.path and not complete:  # a crash while rotating left the part unwritten
                self._torn(path, 1, "the part ends inside its header: ignored")
                return
            self._check_continuity(path, decode_header(path, line_1), part)
            blocks = _Blocks(stream, pending)
            line = 2
            try:
                for block in blocks:
                    count = block.count(b"\n")
                    records = self._decode_block(path, block, line, count)
                    line += count
                    if records:
                        self.stats.records += len(records)
                        yield records
            except (OSError, zlib.error) as exc:  # damaged gzip data: there is no next line to go on from
                raise JournalCorrupt(path, line, f"unreadable data: {exc}") from None
        records = self._end_of_part(path, blocks, line)
        if records:
            self.stats.records += 1
            yield records

    def _check_continuity(self, path: Path, header: JournalHeader, part: int) -> None:
        if path == self.path:
            return
        if header.part != part:
            self._problem(path, 1, f"the header says part {header.part}, expected part {part}")
            self._resync = True
        elif header.prev_seq != self._last_seq and not self._resync:
            reason = f"part {part} continues from seq {header.prev_seq}, the part before ended at"
            self._problem(path, 1, f"{reason} {self._last_seq}")
            self._resync = True

    def _decode_block(self, path: Path, block: bytes, first_line: int, count: int) -> list[Record]:
        """Fast path: one msgspec pass over the ``count`` lines of the block, then one comparison of
        the sequence numbers; anything odd and the block is read again line by line to name the line."""
        try:
            records: list[Record] = record_decoder.decode_lines(block)
        except DECODE_ERRORS:
            return self._decode_lines(path, block, first_line)
        first = self._last_seq + 1
        if (
            # decode_lines passes over blank lines and records split across lines: here a line is a record
            len(records) == count
            and not self._resync
            and [record.seq for record in records] == list(range(first, first + count))
        ):
            self._last_seq += count
            return records
        return self._decode_lines(path, block, first_line)

    def _decode_lines(self, path: Path, block: bytes, first_line: int) -> list[Record]:
        accepted = []
        for line, text in enumerate(block.split(b"\n")[:-1], first_line):
            try:
                record = record_decoder.decode(text)
            except DECODE_ERRORS as exc:
                self._drop(path, line, decode_reason(exc, text))
                continue
            if self._in_sequence(path, line, record.seq):
                accepted.append(record)
        return accepted

    def _end_of_part(self, path: Path, blocks: _Blocks, line: int) -> list[Record]:
        """A last line without a newline is complete if it decodes (a record is a JSON array, so no torn
        prefix of one is valid), torn otherwise."""
        tail, record = blocks.tail, None
        if tail:
            try:
                record = record_decoder.decode(tail)
            except DECODE_ERRORS:
                self._torn(path, line, f"torn last line ({len(tail)} bytes, no newline): ignored")
        if blocks.cut:
            self._torn(path, line, "the compressed stream ends before its end marker")
        if record is None or not self._in_sequence(path, line, record.seq):
            return []
        return [record]

    def _in_sequence(self, path: Path, line: int, seq: int) -> bool:
        expected = self._last_seq + 1
        if seq == expected or (self._resync and seq > self._last_seq):
            self._last_seq, self._resync = seq, False
            return True
        if seq < expected:
            self._drop(path, line, f"sequence goes backwards: expected seq {expected}, got {seq}")
            return False
        self._problem(path, line, f"sequence gap: expected seq {expected}, got {seq}")
        self.stats.gaps += 1
        self._last_seq = seq
        return True

    def _drop(self, path: Path, line: int, reason: str) -> None:
        self._problem(path, line, reason)
        self.stats.skipped += 1
        self._resync = True

    def _problem(self, path: Path, line: int, reason: str) -> None:
        """Raise, or with ``skip_corrupt`` note, log and let the caller go on."""
        if not self.skip_corrupt:
            raise JournalCorrupt(path, line, reason)
        if len(self.stats.problems) < MAX_PROBLEMS:
            _log.warning("journal_line_skipped", path=str(path), line=line, reason=reason)
        self.stats.note(JournalProblem(path, line, reason))

    def _torn(self, path: Path, line: int, reason: str) -> None:
        _log.warning("journal_truncated", path=str(path), line=line, reason=reason)
        self.stats.truncated_tail = True
        self.stats.note(JournalProblem(path, line, reason))


def _first_line(path: Path, stream: io.BufferedIOBase) -> tuple[bytes, bool, bytes]:
    """Line 1 (the header), whether a newline ended it, and the bytes read past it."""
    data = b""
    while b"\n" not in data:
        try:
            more = stream.read1(CHUNK_BYTES)
        except EOFError:
            more = b""
        except (OSError, zlib.error) as exc:
            raise JournalCorrupt(path, 1, f"unreadable data: {exc}") from None
        if not more:
            break
        data += more
    line, newline, rest = data.partition(b"\n")
    return line, bool(newline), rest


def read_header(path: Path) -> JournalHeader:
    """The header of one journal file; refuses an empty file, a garbled header and a newer format."""
    with open_journal_file(path) as stream:
        line, complete, _ = _first_line(path, stream)
    if not line and not complete:
        raise JournalError(f"{path} is empty: a journal starts with a header line (line 1)")
    return decode_header(path, line)
