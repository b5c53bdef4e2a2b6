"""The event log: every input the core handles, in order, so a node can be replayed or recovered.

Write with :class:`JournalWriter`, read with :func:`read_journal`; the format is described in
``engine/journal/_format.py``.
"""

from __future__ import annotations

from engine.journal._format import (
    FORMAT_VERSION,
    JournalCorrupt,
    JournalHeader,
    Record,
    RecordKind,
    part_path,
)
from engine.journal._reader import MAX_PROBLEMS, JournalProblem, JournalReader, JournalStats, read_journal
from engine.journal._writer import FlushPolicy, JournalWriter

INPUT = RecordKind.INPUT
OUTPUT = RecordKind.OUTPUT

__all__ = [
    "FORMAT_VERSION",
    "INPUT",
    "MAX_PROBLEMS",
    "OUTPUT",
    "FlushPolicy",
    "JournalCorrupt",
    "JournalHeader",
    "JournalProblem",
    "JournalReader",
    "JournalStats",
    "JournalWriter",
    "Record",
    "RecordKind",
    "part_path",
    "read_journal",
]
