"""load_binance_depth_csv: the bundled Binance USD-M order-book excerpts become one snapshot and one delta."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from adapters.files import DataFileError, load_binance_depth_csv
from engine.components.data.book import BookUpdate, OrderBook
from engine.messages import BookLevel, OrderBookDelta, OrderBookSnapshot

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
SNAP = DATA / "btcusdt-depth-snap.csv"
UPDATE = DATA / "btcusdt-depth-update.csv"
HEADER = "symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty,pu\n"


def load(*paths: Path) -> list[OrderBookSnapshot | OrderBookDelta]:
    return list(load_binance_depth_csv(*paths, exchange_id="binance", symbol="BTCUSDT"))


def test_the_snapshot_file_is_one_snapshot_of_100_bids() -> None:
    (snapshot,) = load(SNAP)
    assert isinstance(snapshot, OrderBookSnapshot)
    assert snapshot.ts_event == snapshot.ts_init == 1_667_346_579_146_000_000
    assert snapshot.sequence == 2_098_021_528_332
    assert (len(snapshot.bids), snapshot.asks) == (100, ())
    assert snapshot.bids[0] == BookLevel(Decimal("20377.00"), Decimal("1.770"))
    assert str(snapshot.bids[0].price) == "20377.00"


def test_the_update_file_is_one_delta_with_its_sequence_ids_and_deletions() -> None:
    (delta,) = load(UPDATE)
    assert isinstance(delta, OrderBookDelta)
    assert delta.ts_event == 1_667_347_199_939_000_000
    assert (delta.sequence, delta.first_sequence, delta.prev_sequence) == (
        2098041696700,
        2098041693435,
        2098041693400,
    )
    assert len(delta.bids) + len(delta.asks) == 100
    assert delta.asks[0] == BookLevel(Decimal("20472.80"), Decimal("0.000"))  # qty 0 deletes the level


def test_two_files_merge_in_time_order_and_a_book_takes_them() -> None:
    snapshot, delta = load(UPDATE, SNAP)
    assert isinstance(snapshot, OrderBookSnapshot) and isinstance(delta, OrderBookDelta)
    book = OrderBook()
    book.apply_snapshot(snapshot)
    # the excerpts are not contiguous (see the data README): the book must call it a gap, not apply it
    assert book.apply_delta(delta) is BookUpdate.GAP


def test_rows_of_one_update_must_agree_on_time_and_ids(tmp_path: Path) -> None:
    path = tmp_path / "depth.csv"
    path.write_text(
        HEADER + "BTCUSDT,1667347199939,5,9,b,set,100.0,1,4\nBTCUSDT,1667347199940,5,9,a,set,101.0,1,4\n"
    )
    with pytest.raises(DataFileError, match="line 3: timestamp, first_update_id or pu differ"):
        load(path)


def test_consecutive_updates_become_separate_deltas(tmp_path: Path) -> None:
    path = tmp_path / "depth.csv"
    path.write_text(
        HEADER
        + "BTCUSDT,1667347199939,5,9,b,set,100.0,1,4\n"
        + "BTCUSDT,1667347199939,5,9,a,set,101.0,2,4\n"
        + "BTCUSDT,1667347200001,10,12,a,set,101.0,0,9\n"
    )
    first, second = load(path)
    assert isinstance(first, OrderBookDelta) and isinstance(second, OrderBookDelta)
    assert (first.bids, first.asks) == (
        (BookLevel(Decimal("100.0"), Decimal(1)),),
        (BookLevel(Decimal("101.0"), Decimal(2)),),
    )
    assert (second.sequence, second.first_sequence, second.prev_sequence) == (12, 10, 9)
