"""Appending records to a journal: the node writes every input here before it handles it."""

from __future__ import annotations

import gzip
import io
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NamedTuple, TypeAlias

import structlog

from engine.errors import ConfigError, JournalError
from engine.journal._format import (
    DECODE_ERRORS,
    JournalCorrupt,
    RecordKind,
    decode_reason,
    encode_header,
    encode_record_into,
    new_header,
    part_path,
    record_decoder,
)
from engine.journal._reader import read_header
from engine.messages import Message

FlushPolicy: TypeAlias = Literal["every"] | int | float

_log = structlog.get_logger(__name__)

# Appended records wait in one bytearray and go to the OS at a flush or when this much is pending.
_WRITE_BYTES = 1 << 20
_TAIL_STEP = 64 * 1024
# Level 6 is zlib's own default: most of level 9's ratio at about twice its speed.
_GZIP_LEVEL = 6


class JournalWriter:
    """Appends records to ``path``: a header line, then one record per line.

    ``flush`` says when appended records reach the OS: ``"every"`` record, every ``N`` records (an
    int), or every so many seconds (a float; checked when a record is appended, so a quiet journal
    is flushed by its next record or by calling :meth:`flush`). ``fsync=True`` also forces each flush
    to disk. ``close()`` flushes.

    With ``rotate_bytes``, once the current file holds more than that (counted before compression)
    the next record goes to a new part, ``<stem>.1.jsonl``, ``<stem>.2.jsonl``, ... each with its own
    header naming its ``part`` and the ``prev_seq`` of the part before. A name ending in ``.gz`` writes
    gzip.

    An existing journal is refused unless ``append=True``, which continues the last part after the
    last complete record, sequence numbers included; a torn last line (a crash mid-write) is cut off
    first. Appending to gzip is refused: a torn gzip stream cannot be continued.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        config: Any = None,
        meta: Mapping[str, Any] | None = None,
        started_ns: int | None = None,
        flush: FlushPolicy = "every",
        fsync: bool = False,
        rotate_bytes: int | None = None,
        append: bool = False,
    ) -> None:
        self.path = Path(path)
        self._flush_every, self._interval = _flush_policy(flush)
        if rotate_bytes is not None and (isinstance(rotate_bytes, bool) or rotate_bytes <= 0):
            raise ConfigError("journal.rotate_bytes", f"expected bytes > 0 or None, got {rotate_bytes!r}")
        self._rotate_bytes = sys.maxsize if rotate_bytes is None else rotate_bytes
        self._fsync = fsync
        self._config = config
        self._meta = dict(meta or {})
        self._started_ns = time.time_ns() if started_ns is None else started_ns
        self._gzip = self.path.suffix == ".gz"
        self._buffer = bytearray()
        self._pending = 0
        self._due = time.monotonic() + (self._interval or 0.0)
        self._seq = 0
        self._part = 0
        self._part_bytes = 0
        self._raw: io.FileIO | None = None
        self._gz: gzip.GzipFile | None = None
        self._closed = False
        if append and self.path.exists():
            self._resume()
        elif self.path.exists() or part_path(self.path, 1).exists():
            raise JournalError(f"journal {self.path} exists: pass append=True to continue it")
        else:
            self._open_part(0, prev_seq=0)

    @property
    def seq(self) -> int:
        """The sequence number of the last record appended (0 before the first)."""
        return self._seq

    @property
    def current_path(self) -> Path:
        """The part being written."""
        return part_path(self.path, self._part)

    def append(self, kind: RecordKind, route: str, message: Message) -> int:
        """Append one record and return its sequence number.

        ``route`` is the endpoint an input entered through, or the topic an output was published on.
        """
        if self._closed:
            raise JournalError(f"journal {self.path} is closed")
        buffer = self._buffer
        if self._part_bytes + len(buffer) > self._rotate_bytes:
            self._rotate()
        size = len(buffer)
        seq = self._seq + 1
        try:
            encode_record_into((seq, kind, route, message), buffer, -1)
        except BaseException:
            del buffer[size:]  # msgspec leaves a half-written record behind
            raise
        buffer += b"\n"
        self._seq = seq
        self._pending += 1
        if self._pending >= self._flush_every or (self._interval and time.monotonic() >= self._due):
            self.flush()
        elif len(buffer) >= _WRITE_BYTES:
            self._write_out()
        return seq

    def flush(self) -> None:
        """Hand every appended record to the OS, and to the disk with ``fsync=True``."""
        if self._raw is None:
            return
        self._write_out()
        if self._gz is not None:
            self._gz.flush()  # a sync point: the file reads back up to here even if we crash later
        if self._fsync:
            os.fsync(self._raw.fileno())
        self._pending = 0
        if self._interval:
            self._due = time.monotonic() + self._interval

    def close(self) -> None:
        if not self._closed:
            self._close_part()
            self._closed = True

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _write_out(self) -> None:
        buffer = self._buffer
        if not buffer or self._raw is None:
            return
        if self._gz is not None:
            self._gz.write(buffer)
        else:
            with memoryview(buffer) as view:
                written = 0
                while written < len(view):
                    written += self._raw.write(view[written:])
        self._part_bytes += len(buffer)
        buffer.clear()

    def _open_part(self, part: int, prev_seq: int, raw: io.FileIO | None = None) -> None:
        header = new_header(
            config=self._config, meta=self._meta, started_ns=self._started_ns, part=part, prev_seq=prev_seq
        )
        line = encode_header(header)  # before the file exists: a config that cannot be encoded leaves none
        path = part_path(self.path, part)
        if raw is None:
            try:
                raw = io.FileIO(path, "xb")
            except OSError as exc:
                raise JournalError(f"cannot create journal part {path}: {exc}") from None
        self._raw = raw
        if self._gzip:
            self._gz = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=_GZIP_LEVEL, mtime=0)
        self._part, self._part_bytes, self._seq = part, 0, prev_seq
        self._buffer += line
        self.flush()

    def _close_part(self) -> None:
        if self._raw is None:
            return
        self.flush()
        if self._gz is not None:
            self._gz.close()  # writes the gzip trailer into raw
            self._gz = None
            if self._fsync:
                os.fsync(self._raw.fileno())
        self._raw.close()
        self._raw = None

    def _rotate(self) -> None:
        self._close_part()
        self._open_part(self._part + 1, prev_seq=self._seq)
        _log.info("journal_rotated", path=str(self.current_path), part=self._part, prev_seq=self._seq)

    def _resume(self) -> None:
        if self._gzip:
            raise JournalError(f"cannot append to gzip journal {self.path}: start a new journal")
        part = 0
        while part_path(self.path, part + 1).exists():
            part += 1
        path = part_path(self.path, part)
        try:
            raw = io.FileIO(path, "r+b")
        except OSError as exc:
            raise JournalError(f"cannot open journal {path}: {exc}") from None
        tail = _read_tail(raw)
        if tail.line is None:  # the part ends inside its header: it never held a record
            prev_seq = 0 if part == 0 else _last_seq(part_path(self.path, part - 1))
            raw.truncate(0)
            raw.seek(0)
            self._open_part(part, prev_seq, raw)
            return
        self._part, self._raw = part, raw
        self._seq = _last_seq(path, tail)
        if tail.torn:
            try:
                self._seq = _decode_seq(path, tail.torn, tail.end)
                self._buffer += b"\n"  # a complete record that only missed its newline
            except JournalCorrupt:
                _log.warning("journal_torn_tail_cut", path=str(path), offset=tail.end, bytes=len(tail.torn))
                raw.truncate(tail.end)
        self._part_bytes = raw.seek(0, os.SEEK_END)
        _log.info("journal_resumed", path=str(path), part=part, seq=self._seq)


class _Tail(NamedTuple):
    line: bytes | None  # the last complete line, None if the file has none
    is_header: bool  # that line is line 1
    end: int  # the offset just past the last newline
    torn: bytes  # what follows the last newline


def _read_tail(raw: io.FileIO) -> _Tail:
    """The end of a file, read backwards until the last complete line is whole."""
    start = raw.seek(0, os.SEEK_END)
    data = b""
    while start > 0:
        step = min(_TAIL_STEP, start)
        start -= step
        raw.seek(start)
        data = raw.read(step) + data
        last = data.rfind(b"\n")
        if last >= 0 and data.rfind(b"\n", 0, last) >= 0:
            break
    last = data.rfind(b"\n")
    if last < 0:
        return _Tail(None, False, 0, data)
    before = data.rfind(b"\n", 0, last)
    return _Tail(data[before + 1 : last], start == 0 and before < 0, start + last + 1, data[last + 1 :])


def _last_seq(path: Path, tail: _Tail | None = None) -> int:
    """The sequence number of the last complete record of a part, checking its header on the way."""
    header = read_header(path)
    if tail is None:
        with io.FileIO(path, "rb") as raw:
            tail = _read_tail(raw)
    if tail.line is None or tail.is_header:
        return header.prev_seq
    return _decode_seq(path, tail.line, tail.end - len(tail.line) - 1)


def _decode_seq(path: Path, line: bytes, offset: int) -> int:
    try:
        return record_decoder.decode(line).seq
    except DECODE_ERRORS as exc:
        raise JournalCorrupt(path, _line_at(path, offset), decode_reason(exc, line)) from None


def _line_at(path: Path, offset: int) -> int:
    """The 1-based number of the line that starts at byte ``offset``."""
    newlines = 0
    with io.FileIO(path, "rb") as raw:
        while offset > 0:
            data = raw.read(min(_TAIL_STEP, offset))
            newlines += data.count(b"\n")
            offset -= len(data)
    return newlines + 1


def _flush_policy(flush: FlushPolicy) -> tuple[int, float | None]:
    """(flush every N records, flush every so many seconds) from the ``flush`` argument."""
    if flush == "every":
        return 1, None
    if isinstance(flush, int) and not isinstance(flush, bool) and flush >= 1:
        return flush, None
    if isinstance(flush, float) and flush > 0:
        return sys.maxsize, flush
    raise ConfigError(
        "journal.flush", f"expected 'every', a record count >= 1 or an interval in seconds > 0, got {flush!r}"
    )
