"""The spec's datetimes are UTC: this alias makes msgspec refuse a naive one when it decodes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeAlias

import msgspec

UtcDatetime: TypeAlias = Annotated[datetime, msgspec.Meta(tz=True)]
