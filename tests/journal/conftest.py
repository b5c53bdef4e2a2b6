"""Puts tests/messages on the import path, so these tests draw from the same message strategies."""

from __future__ import annotations

import sys
from pathlib import Path

_MESSAGES = str(Path(__file__).resolve().parent.parent / "messages")
if _MESSAGES not in sys.path:
    sys.path.insert(0, _MESSAGES)
