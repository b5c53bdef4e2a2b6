"""Pre-trade risk: the RiskEngine actor, its limits, and the pure checks it runs on every order."""

from engine.components.risk.checks import REASON_CODES, Denial
from engine.components.risk.config import OrderLimits, RiskConfig
from engine.components.risk.engine import RiskEngine

__all__ = ["REASON_CODES", "Denial", "OrderLimits", "RiskConfig", "RiskEngine"]
