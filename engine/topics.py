"""Every topic and endpoint name in one place, so a topic tells who publishes it.

Topics follow ``<kind>.<sub>.<venue>.<symbol>`` (STYLE.md). Events about orders and
positions are published per strategy execution, so a strategy subscribes to its own.
"""

from __future__ import annotations

# Endpoints (point-to-point): the component that owns each one registers it.
DATA_ENGINE = "DataEngine.process"  # raw market data from data clients / loaders
DATA_SUBSCRIBE = "DataEngine.subscribe"  # SubscribeData / UnsubscribeData from strategies
RISK_ENGINE = "RiskEngine.execute"  # trading commands from strategies
EXEC_ENGINE = "ExecutionEngine.execute"  # commands the RiskEngine approved (or OrderDenied)
EXEC_ENGINE_EVENTS = "ExecutionEngine.process"  # venue events from execution clients
ORDER_EMULATOR = "OrderEmulator.execute"  # orders held locally until triggered

ERRORS = "events.error"
RISK_EVENTS = "events.risk"
EXTERNAL_EXECUTION = "external"  # execution id of orders the engine did not place
# CancelAllOrders / ClosePosition execution id meaning "every execution on the account"; no execution
# can be named "*", since it is a wildcard in the topics the events go out on.
ALL_EXECUTIONS = "*"


def exec_client(exchange_id: str) -> str:
    """Endpoint of the execution client (venue or simulated) for an exchange."""
    return f"ExecClient.{exchange_id}"


def data_client(exchange_id: str) -> str:
    """Endpoint of the data client for an exchange (subscriptions, snapshot requests)."""
    return f"DataClient.{exchange_id}"


def trades(exchange_id: str, symbol: str) -> str:
    return f"data.trade.{exchange_id}.{symbol}"


def quotes(exchange_id: str, symbol: str) -> str:
    return f"data.quote.{exchange_id}.{symbol}"


def book(exchange_id: str, symbol: str) -> str:
    return f"data.book.{exchange_id}.{symbol}"


def bars(exchange_id: str, symbol: str, interval: str) -> str:
    return f"data.bar.{exchange_id}.{symbol}.{interval}"


def order_events(execution_id: str) -> str:
    return f"events.order.{execution_id}"


def position_events(execution_id: str) -> str:
    return f"events.position.{execution_id}"


def account_events(account_id: str) -> str:
    return f"events.account.{account_id}"


def strategy_control(execution_id: str) -> str:
    """Endpoint through which control messages (start, pause, resume, stop) reach one execution."""
    return f"Strategy.{execution_id}"


def account_position_events(account_id: str) -> str:
    """The account's own view of its positions (Portfolio); ``position_events`` has each execution's."""
    return f"events.position.account.{account_id}"


def strategy_commands(execution_id: str) -> str:
    """Where a strategy's own commands (its decisions) are published, for the journal and replay diffs."""
    return f"commands.{execution_id}"
