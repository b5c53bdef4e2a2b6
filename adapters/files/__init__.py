"""The file venue: market-data files (bars, klines, trades, order-book CSVs) streamed as engine messages.

Every loader is lazy and constant-memory: it returns a generator that yields messages in file order
(``load_binance_depth_csv`` with two files: in time order), with prices and quantities parsed exactly
from the text as ``Decimal`` and times as integer ns. Plain, gzip and single-file zip files all load
(told by magic bytes). A missing file or a bad argument fails at the call; a bad row fails when it is
reached, as a ``DataFileError`` naming the file and line, unless ``skip_bad_rows=True``, which counts
(in ``stats``) and logs such rows instead.
"""

from adapters.files._bars import load_bar_csv, load_binance_klines
from adapters.files._depth import load_binance_depth_csv
from adapters.files._dispatch import DataFormat, MarketData, detect_format, load_data
from adapters.files._source import LoadStats
from adapters.files._trades import load_trade_csv
from engine.errors import DataFileError

__all__ = [
    "DataFileError",
    "DataFormat",
    "LoadStats",
    "MarketData",
    "detect_format",
    "load_bar_csv",
    "load_binance_depth_csv",
    "load_binance_klines",
    "load_data",
    "load_trade_csv",
]
