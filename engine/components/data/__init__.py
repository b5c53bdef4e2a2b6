"""Market data: books rebuilt from venue deltas, bars built from trades, and the actor that routes both."""

from engine.components.data.bars import (
    BarAggregator,
    TickBarAggregator,
    TimeBarAggregator,
    VolumeBarAggregator,
    bar_aggregator,
    time_interval_ns,
)
from engine.components.data.book import BookUpdate, OrderBook
from engine.components.data.engine import DataEngine

__all__ = [
    "BarAggregator",
    "BookUpdate",
    "DataEngine",
    "OrderBook",
    "TickBarAggregator",
    "TimeBarAggregator",
    "VolumeBarAggregator",
    "bar_aggregator",
    "time_interval_ns",
]
