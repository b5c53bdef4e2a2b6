"""The edge every loader shares: open a data file (plain, gzip or zip), read its CSV rows, and deal
with a bad row (raise a ``DataFileError`` naming file and line, or count, log and go on)."""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TextIO

import structlog

from engine.errors import DataFileError

_log = structlog.get_logger(__name__)

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
# Skipped rows are logged one by one up to this many, then only counted: a file with a million bad
# rows must not flood the log. The total is logged when the file is done.
_LOGGED_SKIPS = 10
# utf-8-sig drops a byte-order mark, which spreadsheet exports put before the header.
_ENCODING = "utf-8-sig"


@dataclass(slots=True)
class LoadStats:
    """What loaders read, filled in as each file is finished (or its generator closed).

    ``rows``: data rows turned into messages; ``skipped``: bad rows dropped (``skip_bad_rows=True``).
    One object may be passed to several loaders to add up their counts.
    """

    rows: int = 0
    skipped: int = 0


def existing_file(path: str | PathLike[str]) -> Path:
    """``path`` as a ``Path``, checked when the loader is called rather than when it is first iterated."""
    file = Path(path)
    if not file.is_file():
        raise DataFileError(file, None, "is a directory, not a file" if file.is_dir() else "no such file")
    return file


def open_text(file: Path) -> TextIO:
    """The file as text; gzip and zip (one member, as data.binance.vision ships) are told by magic bytes,
    not by name, so a renamed file still opens."""
    with file.open("rb") as raw:
        magic = raw.read(4)
    if magic.startswith(_GZIP_MAGIC):
        return gzip.open(file, "rt", encoding=_ENCODING, newline="")
    if magic == _ZIP_MAGIC:
        with zipfile.ZipFile(file) as archive:  # the open member keeps the file open after this closes
            names = archive.namelist()
            if len(names) != 1:
                raise DataFileError(file, None, f"a zip data file must hold one file, not {len(names)}")
            return io.TextIOWrapper(archive.open(names[0]), encoding=_ENCODING, newline="")
    return file.open(encoding=_ENCODING, newline="")


class CsvSource:
    """One open CSV file: its row reader, the current line, and the rule for a bad row."""

    __slots__ = ("file", "reader", "rows", "skip_bad_rows", "skipped")

    def __init__(self, file: Path, text: TextIO, skip_bad_rows: bool) -> None:
        self.file = file
        self.reader = csv.reader(text)
        self.skip_bad_rows = skip_bad_rows
        self.rows = 0
        self.skipped = 0

    @property
    def line(self) -> int:
        """1-based line number of the row just read (``csv`` counts quoted newlines too)."""
        return self.reader.line_num

    def first_row(self) -> list[str]:
        """The first non-blank row; an empty file is an error."""
        for row in self.reader:
            if row:
                return row
        raise DataFileError(self.file, None, "the file is empty")

    def reject(self, reason: str) -> None:
        """Report the row just read as bad: raise, or with ``skip_bad_rows`` count and log it."""
        if not self.skip_bad_rows:
            raise DataFileError(self.file, self.line, reason)
        self.skipped += 1
        if self.skipped <= _LOGGED_SKIPS:
            _log.warning("data_file_row_skipped", file=str(self.file), line=self.line, reason=reason)

    def fail(self, reason: str) -> DataFileError:
        """An error about the row just read that no option skips (a wrong header, an unknown layout)."""
        return DataFileError(self.file, self.line, reason)


@contextmanager
def open_csv(file: Path, skip_bad_rows: bool, stats: LoadStats | None) -> Iterator[CsvSource]:
    """A ``CsvSource`` for ``file``; read errors (corrupt gzip, bad bytes) become ``DataFileError``.

    On a clean finish a file without data rows is an error; the counts go to ``stats`` either way.
    """
    source: CsvSource | None = None
    try:
        with open_text(file) as text:
            source = CsvSource(file, text, skip_bad_rows)
            yield source
        if source.rows == 0 and source.skipped == 0:
            raise DataFileError(file, None, "no data rows")
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        after = f" after line {source.line}" if source is not None else ""
        raise DataFileError(file, None, f"cannot read the file{after}: {exc}") from exc
    finally:
        if source is not None:
            if stats is not None:
                stats.rows += source.rows
                stats.skipped += source.skipped
            if source.skipped:
                _log.warning(
                    "data_file_rows_skipped", file=str(file), skipped=source.skipped, rows=source.rows
                )
