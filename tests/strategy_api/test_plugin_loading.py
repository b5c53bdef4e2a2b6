"""A strategy is found by import path ``package.module:Class`` or by an installed entry point.

The entry-point tests build a real installed-looking distribution in ``tmp_path`` (a package plus
``<name>.dist-info`` with ``METADATA`` and ``entry_points.txt``) and put it on ``sys.path``: the
strategy lives outside this repository, exactly like a third-party plugin.
"""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from strategy_api_world import BTC, BuyFirst, D, bar, config, started_node, strategy_spec
from structlog.testing import capture_logs

from engine.errors import ConfigError
from engine.messages import OrderFilled
from engine.node import Node
from engine.plugins import ENTRY_POINT_GROUP, discover_strategies, load_strategy_class
from engine.strategy import Strategy

REPO = Path(__file__).resolve().parents[2]

PLUGIN_SOURCE = '''
"""A third-party strategy package: it only knows the engine's public plugin API."""

from decimal import Decimal

import msgspec

from engine.messages import Bar
from engine.strategy import Strategy


class Breakout(Strategy):
    """Buys ``size`` when a close breaks above the highest close seen before it."""

    class Params(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
        size: Decimal = Decimal("0.01")

    def on_start(self) -> None:
        self.best: Decimal | None = None
        self.subscribe_bars("1m")

    def on_bar(self, bar: Bar) -> None:
        if self.best is not None and bar.close > self.best:
            self.buy(self.p.size)
        self.best = bar.close if self.best is None else max(self.best, bar.close)


class Helper:
    """Not a strategy."""
'''


@dataclass(frozen=True)
class Plugin:
    package: str  # importable name of the plugin's package
    root: Path  # the sys.path entry holding the package and its dist-info


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Plugin]:
    """An installed distribution ``acme-strategies`` declaring three entry points in our group:
    ``acme_breakout`` (a Strategy), ``acme_helper`` (not one) and ``acme_gone`` (a missing module)."""
    package = f"acme_strategies_{uuid.uuid4().hex[:8]}"  # unique: sys.modules outlives the test
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "breakout.py").write_text(PLUGIN_SOURCE)
    dist_info = tmp_path / f"{package}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(
        textwrap.dedent(
            f"""\
            [{ENTRY_POINT_GROUP}]
            acme_breakout = {package}.breakout:Breakout
            acme_helper = {package}.breakout:Helper
            acme_gone = {package}.missing:Gone

            [console_scripts]
            acme = {package}.breakout:Helper
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield Plugin(package, tmp_path)
    for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
        del sys.modules[name]


# -- by import path ------------------------------------------------------------------------------


def test_a_strategy_is_loaded_by_its_import_path() -> None:
    assert load_strategy_class("strategy_api_world:BuyFirst") is BuyFirst
    assert load_strategy_class("strategies.ema_cross:EmaCross").__name__ == "EmaCross"


def test_the_node_builds_and_runs_a_strategy_named_by_import_path() -> None:
    node = started_node(strategy_spec(BuyFirst, params={"size": "0.5"}))
    node.process(bar(1, 100))

    (strategy,) = node.strategies
    assert type(strategy) is BuyFirst
    assert [(f.quantity, f.price) for f in strategy.of_type(OrderFilled)] == [(D("0.5"), D(100))]


# -- by entry point ------------------------------------------------------------------------------


def test_an_installed_entry_point_is_loaded_by_name_from_outside_the_repository(plugin: Plugin) -> None:
    cls = load_strategy_class("acme_breakout")

    assert issubclass(cls, Strategy)
    assert cls.__module__ == f"{plugin.package}.breakout"
    source = Path(sys.modules[cls.__module__].__file__ or "")
    assert source.is_relative_to(plugin.root)
    assert not source.is_relative_to(REPO)


def test_discovery_lists_bundled_strategies_and_installed_entry_points(plugin: Plugin) -> None:
    with capture_logs() as logs:
        found = discover_strategies()

    assert found["strategies.ema_cross:EmaCross"].__name__ == "EmaCross"
    assert found["acme_breakout"] is load_strategy_class("acme_breakout")
    # an entry point that is no Strategy is left out; a broken one is logged and hides nothing else
    assert "acme_helper" not in found
    assert "acme_gone" not in found
    assert [
        (e["log_level"], e["entry_point"]) for e in logs if e["event"] == "strategy_entry_point_failed"
    ] == [("warning", "acme_gone")]


def test_discovery_no_longer_sees_a_distribution_that_left_sys_path(
    plugin: Plugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "acme_breakout" in discover_strategies()
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(plugin.root)])
    assert "acme_breakout" not in discover_strategies()


def test_the_node_runs_a_strategy_named_by_its_entry_point(plugin: Plugin) -> None:
    node = started_node(strategy_spec("acme_breakout", params={"size": "0.25"}))
    for minute, close in enumerate(["100", "99", "101"], start=1):
        node.process(bar(minute, close))

    (strategy,) = node.strategies
    assert type(strategy).__module__ == f"{plugin.package}.breakout"
    (position,) = strategy.positions()
    assert (position.instrument.symbol, position.quantity, position.entry_price) == (BTC, D("0.25"), D(101))
    stored = node.store.get_strategy(strategy.execution.strategy_id)
    assert stored is not None
    assert stored.name == "Breakout"
    assert stored.description == "Buys ``size`` when a close breaks above the highest close seen before it."


# -- refusals: a ConfigError naming the field ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("no_such_package.module:Thing", "cannot import 'no_such_package.module'"),
        ("strategies.ema_cross:Missing", "has no 'Missing'"),
        ("strategies.ema_cross:EmaCrossParams", "is not a subclass of engine.strategy.Strategy"),
        ("strategy_api_world:NotAStrategy", "is not a subclass of engine.strategy.Strategy"),
        ("strategy_api_world:D", "is not a subclass of engine.strategy.Strategy"),
        ("engine.strategy:Strategy", "is not a subclass"),  # the base class is no plugin
        ("strategies.ema_cross:", "is not of the form package.module:Name"),
        (":EmaCross", "is not of the form package.module:Name"),
        (".ema_cross:EmaCross", "is not of the form package.module:Name"),  # relative: no package
        ("strategies.ema_cross", "no strategy 'strategies.ema_cross'"),  # no colon: an entry point name
        ("not_installed", "no strategy 'not_installed'"),
    ],
)
def test_a_bad_strategy_name_is_a_config_error_naming_the_field(name: str, says: str) -> None:
    with pytest.raises(ConfigError) as direct:
        load_strategy_class(name)
    assert direct.value.field == "strategy"
    assert says in str(direct.value)

    with pytest.raises(ConfigError) as built:
        Node(config(strategy_spec(BuyFirst), strategy_spec(name)))
    assert built.value.field == "strategies[1].strategy"
    assert says in str(built.value)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("acme_helper", "'acme_helper' is not a subclass of engine.strategy.Strategy"),
        ("acme_gone", "entry point 'acme_gone'"),
    ],
)
def test_an_entry_point_that_is_no_loadable_strategy_is_a_config_error(
    plugin: Plugin, name: str, says: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_strategy_class(name, "--strategy")
    assert refused.value.field == "--strategy"
    assert says in str(refused.value)
