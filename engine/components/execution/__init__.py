"""Order management: client order ids, and the ExecutionEngine that creates, routes and settles orders."""

from engine.components.execution.engine import DEFAULT_EMULATED, ExecutionEngine
from engine.components.execution.ids import MAX_CLIENT_ORDER_ID_LENGTH, ClientOrderIdGenerator

__all__ = [
    "DEFAULT_EMULATED",
    "MAX_CLIENT_ORDER_ID_LENGTH",
    "ClientOrderIdGenerator",
    "ExecutionEngine",
]
