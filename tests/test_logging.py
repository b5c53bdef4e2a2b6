"""Logging renders structured events, filters by level, keeps bound context, and never shows a secret."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import structlog

import engine.logging
from engine.logging import MASK, configure_logging, redact_secrets, register_secret


@pytest.fixture(autouse=True)
def _fresh_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(engine.logging, "_secrets", ())
    yield
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()


def _json_lines(level: str = "info") -> tuple[structlog.typing.FilteringBoundLogger, io.StringIO]:
    out = io.StringIO()
    configure_logging(json=True, level=level, stream=out)
    return structlog.get_logger(), out


def _records(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_json_output_carries_event_level_and_utc_iso_timestamp() -> None:
    log, out = _json_lines()

    log.info("order submitted", client_order_id="c-1")

    [record] = _records(out)
    assert record["event"] == "order submitted"
    assert record["level"] == "info"
    assert record["client_order_id"] == "c-1"
    assert datetime.fromisoformat(str(record["timestamp"])).utcoffset() == timedelta(0)


def test_bound_context_reaches_every_event() -> None:
    log, out = _json_lines()
    structlog.contextvars.bind_contextvars(node="n1", strategy="sma")

    log.bind(order_id="o-7").warning("slow fill")

    [record] = _records(out)
    assert (record["node"], record["strategy"], record["order_id"]) == ("n1", "sma", "o-7")


def test_level_info_drops_debug() -> None:
    log, out = _json_lines(level="info")

    log.debug("noise")
    log.info("signal")

    assert [r["event"] for r in _records(out)] == ["signal"]


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="'loud'"):
        configure_logging(level="loud")


@pytest.mark.parametrize(
    "key", ["api_key", "API_SECRET", "x_api_secret", "password", "token", "signature", "listenKey",
            "passphrase", "Authorization", "X-MBX-APIKEY"],
)
def test_a_value_under_a_secret_key_is_redacted(key: str) -> None:
    log, out = _json_lines()

    log.info("connect", **{key: "hunter2"})

    text = out.getvalue()
    assert "hunter2" not in text
    assert _records(out)[0][key] == MASK


def test_secrets_in_nested_dicts_and_lists_are_redacted() -> None:
    log, out = _json_lines()

    log.info("request", headers={"X-MBX-APIKEY": "k-123", "Accept": "json"}, params=[{"signature": "ab12"}])

    [record] = _records(out)
    assert record["headers"] == {"X-MBX-APIKEY": MASK, "Accept": "json"}
    assert record["params"] == [{"signature": MASK}]


def test_a_registered_secret_is_masked_inside_any_string() -> None:
    register_secret("pQ9xListenKey0042")
    log, out = _json_lines()

    log.info("stream opened wss://fstream.binance.com/ws/pQ9xListenKey0042", note=["at pQ9xListenKey0042/x"])

    text = out.getvalue()
    assert "pQ9xListenKey0042" not in text
    [record] = _records(out)
    assert record["event"] == f"stream opened wss://fstream.binance.com/ws/{MASK}"
    assert record["note"] == [f"at {MASK}/x"]


def test_a_secret_named_query_parameter_is_masked_inside_a_string() -> None:
    log, out = _json_lines()

    log.info("GET /api/v3/order?symbol=BTCUSDT&signature=9f2c0e&recvWindow=5000")

    assert _records(out)[0]["event"] == f"GET /api/v3/order?symbol=BTCUSDT&signature={MASK}&recvWindow=5000"


def test_a_secret_in_an_exception_traceback_is_masked() -> None:
    register_secret("s3cr3t-value")
    log, out = _json_lines()

    try:
        raise RuntimeError("signing failed with s3cr3t-value")
    except RuntimeError:
        log.exception("order failed")

    assert "s3cr3t-value" not in out.getvalue()
    assert f"signing failed with {MASK}" in str(_records(out)[0]["exception"])


def test_the_console_renderer_redacts_too() -> None:
    register_secret("s3cr3t-value")
    out = io.StringIO()
    configure_logging(json=False, stream=out)

    structlog.get_logger().info("login s3cr3t-value", password="hunter2")

    text = out.getvalue()
    assert "login" in text
    assert "s3cr3t-value" not in text
    assert "hunter2" not in text


def test_redact_secrets_leaves_ordinary_values_alone() -> None:
    event = {"event": "fill", "price": "101.5", "quantity": 2, "side": None}

    assert redact_secrets(None, "info", dict(event)) == event
