"""The root of every message: immutable, tagged, timestamped in integer nanoseconds.

Tagging by class name lets one decoder read any message back from a log; ``gc=False``
keeps millions of live messages out of the cyclic collector (they hold no cycles).
"""

from __future__ import annotations

import msgspec


class Message(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag=True, gc=False):
    """Base of every message on the bus: ``ts_event`` when it happened, ``ts_init`` when we built it."""

    ts_event: int
    ts_init: int
