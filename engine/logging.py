"""One structlog set-up for the CLI and the node: JSON in production, console in development, secrets never.

``redact_secrets`` runs after exceptions are formatted and before rendering, so a secret cannot reach
the output by a key that names it, inside a nested value, in a URL's query string, or in a traceback.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

MASK = "***"

# Compared after lower-casing and dropping "_" and "-", so apiKey, X-MBX-APIKEY and listenKey match too.
_SECRET_KEY_PARTS = (
    "apikey", "secret", "password", "token", "signature", "listenkey", "passphrase", "authorization",
)
# ``name=value`` inside a string, as in a signed URL's query (``&signature=9f2c``); the name is judged
# like a key. The lookbehind starts a match only at the start of a name, which keeps the scan linear.
_ASSIGNMENT = re.compile(r"(?<![\w-])([\w-]+=)(['\"]?)[^&\s\"',;]+")

# Longest first, so a secret that contains another is masked whole. A tuple, replaced not mutated,
# so a thread that logs while another registers sees one consistent set.
_secrets: tuple[str, ...] = ()


def register_secret(value: str) -> None:
    """Mask ``value`` wherever it appears in a logged string from now on (an empty string is ignored)."""
    global _secrets  # noqa: PLW0603 - the registry is process-wide by design
    if value and value not in _secrets:
        _secrets = tuple(sorted((*_secrets, value), key=len, reverse=True))


def _is_secret_key(key: object) -> bool:
    name = str(key).lower().replace("_", "").replace("-", "")
    return any(part in name for part in _SECRET_KEY_PARTS)


def _mask_assignment(match: re.Match[str]) -> str:
    name, quote = match.group(1, 2)
    return f"{name}{quote}{MASK}" if _is_secret_key(name) else match.group(0)


def _mask_text(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, MASK)
    return _ASSIGNMENT.sub(_mask_assignment, text)


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return _mask_text(value)
    if isinstance(value, dict):
        return {k: MASK if _is_secret_key(k) else _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    # Anything else is rendered by its repr: mask that if it would show a secret.
    shown = repr(value)
    masked = _mask_text(shown)
    return value if masked == shown else masked


def redact_secrets(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: replace secret-named values by ``***`` and mask secrets inside strings."""
    redacted: EventDict = _redact(event_dict)
    return redacted


def configure_logging(*, json: bool = False, level: str = "info", stream: TextIO | None = None) -> None:
    """Set up structlog for the process: ``json=True`` for production, a console layout otherwise.

    Events below ``level`` are dropped; ``stream`` defaults to stderr, so the CLI's stdout stays clean.
    Bind per-task context with ``structlog.contextvars.bind_contextvars(node=..., strategy=...)``.
    """
    levels = logging.getLevelNamesMapping()
    if level.upper() not in levels:
        raise ValueError(f"unknown log level {level!r}; expected debug, info, warning, error or critical")
    out = stream if stream is not None else sys.stderr
    renderer: Processor = (
        structlog.processors.JSONRenderer(default=str)
        if json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            # Tracebacks become text here so redact_secrets sees them (the console loses pretty tracebacks).
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(levels[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        # Not cached: a logger made at import time follows a later configure_logging (tests, CLI flags).
        cache_logger_on_first_use=False,
    )


__all__ = ["MASK", "configure_logging", "redact_secrets", "register_secret"]
