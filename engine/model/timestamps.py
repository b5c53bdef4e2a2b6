"""The spec's datetimes are UTC: this alias makes msgspec refuse a naive one when it decodes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, TypeAlias

import msgspec

UtcDatetime: TypeAlias = Annotated[datetime, msgspec.Meta(tz=True)]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=64)  # one event's handling converts the same few times again and again
def datetime_from_ns(ns: int) -> datetime:
    """Message time (int ns since the epoch) to entity time (aware UTC datetime, microsecond resolution)."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def ns_from_datetime(moment: datetime) -> int:
    """Entity time back to message time; exact for datetimes made by ``datetime_from_ns``."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
