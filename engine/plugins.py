"""Finding code by name, so the engine never imports adapters or strategies directly.

A strategy is named ``package.module:Class`` or by the name of an entry point in the group
``metaexpert.strategies`` (how a strategy in its own package registers itself); execution
clients are named ``package.module:factory`` in the config.
"""

from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import entry_points
from typing import Any

import structlog

from engine.errors import ConfigError
from engine.strategy import Strategy

ENTRY_POINT_GROUP = "metaexpert.strategies"
BUNDLED_PACKAGE = "strategies"
_log = structlog.get_logger(__name__)


def load_object(path: str, field: str = "strategy") -> Any:
    """Import ``package.module:attribute``; a bad path is a ``ConfigError`` naming ``field``."""
    module_name, sep, attribute = path.partition(":")
    if not sep or not module_name or not attribute or module_name.startswith("."):
        raise ConfigError(field, f"{path!r} is not of the form package.module:Name")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(field, f"cannot import {module_name!r}: {exc}") from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ConfigError(field, f"module {module_name!r} has no {attribute!r}") from None


def load_strategy_class(name: str, field: str = "strategy") -> type[Strategy]:
    """A strategy class by import path or by entry-point name."""
    if ":" in name:
        found = load_object(name, field)
    else:
        matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        if not matches:
            hint = "use package.module:Class or the name of an installed entry point"
            raise ConfigError(field, f"no strategy {name!r}: {hint}")
        entry = matches[0]
        try:
            found = entry.load()
        except (ImportError, AttributeError) as exc:
            raise ConfigError(field, f"entry point {name!r} ({entry.value}) failed to load: {exc}") from None
    if not (isinstance(found, type) and issubclass(found, Strategy)) or found is Strategy:
        raise ConfigError(field, f"{name!r} is not a subclass of engine.strategy.Strategy")
    return found


def discover_strategies() -> dict[str, type[Strategy]]:
    """Every strategy this installation can load: the bundled package and the entry points."""
    found: dict[str, type[Strategy]] = {}
    try:
        package = importlib.import_module(BUNDLED_PACKAGE)
    except ImportError:
        package = None
    if package is not None:
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{BUNDLED_PACKAGE}.{info.name}")
            for attribute, value in sorted(vars(module).items()):
                if (
                    isinstance(value, type)
                    and issubclass(value, Strategy)
                    and value is not Strategy
                    and value.__module__ == module.__name__
                ):
                    found[f"{module.__name__}:{attribute}"] = value
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            value = entry.load()
        except Exception as exc:  # a broken third-party plugin must not hide the others
            _log.warning("strategy_entry_point_failed", entry_point=entry.name, error=str(exc))
            continue
        if isinstance(value, type) and issubclass(value, Strategy):
            found[entry.name] = value
    return found
