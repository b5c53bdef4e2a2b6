"""The L2 order book: sequence rules per venue, level set/delete, and real Binance and Bybit data."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

from hypothesis import event, given, settings
from hypothesis import strategies as st

from engine.components.data import BookUpdate, OrderBook
from engine.messages import BookLevel, OrderBookDelta, OrderBookSnapshot

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
BINANCE_SNAP = SHARED / "data" / "btcusdt-depth-snap.csv"
BINANCE_UPDATE = SHARED / "data" / "btcusdt-depth-update.csv"
BYBIT_SEQUENCE = SHARED / "fixtures" / "bybit" / "ws_orderbook500_xrpusdt_sequence.jsonl"
D = Decimal


def levels(*pairs: tuple[str, str]) -> tuple[BookLevel, ...]:
    return tuple(BookLevel(D(p), D(s)) for p, s in pairs)


def snapshot(bids: tuple[BookLevel, ...], asks: tuple[BookLevel, ...], sequence: int) -> OrderBookSnapshot:
    return OrderBookSnapshot(
        ts_event=0, ts_init=0, exchange_id="x", symbol="S", bids=bids, asks=asks, sequence=sequence
    )


def delta(
    sequence: int,
    bids: tuple[BookLevel, ...] = (),
    asks: tuple[BookLevel, ...] = (),
    first: int = -1,
    prev: int = -1,
) -> OrderBookDelta:
    return OrderBookDelta(
        ts_event=0,
        ts_init=0,
        exchange_id="x",
        symbol="S",
        bids=bids,
        asks=asks,
        sequence=sequence,
        first_sequence=first,
        prev_sequence=prev,
    )


def book_at(sequence: int) -> OrderBook:
    book = OrderBook()
    book.apply_snapshot(
        snapshot(levels(("100", "1"), ("99", "2")), levels(("101", "1"), ("102", "3")), sequence)
    )
    return book


# -- real data: parsers (the venue adapters come later) ----------------------------------------


def binance_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def binance_rows_to_levels(rows: list[dict[str, str]], side: str) -> tuple[BookLevel, ...]:
    return tuple(BookLevel(D(r["price"]), D(r["qty"])) for r in rows if r["side"] == side)


def bybit_messages() -> list[OrderBookSnapshot | OrderBookDelta]:
    """Bybit v5 orderbook.500 messages as engine messages (``u`` is the sequence, no ``pu``/``U``)."""
    out: list[OrderBookSnapshot | OrderBookDelta] = []
    for line in BYBIT_SEQUENCE.read_text().splitlines():
        msg = json.loads(line)
        data = msg["data"]
        ts = msg["ts"] * 1_000_000
        bids = tuple(BookLevel(D(p), D(q)) for p, q in data["b"])
        asks = tuple(BookLevel(D(p), D(q)) for p, q in data["a"])
        common = {
            "ts_event": ts,
            "ts_init": ts,
            "exchange_id": "bybit",
            "symbol": data["s"],
            "bids": bids,
            "asks": asks,
            "sequence": data["u"],
        }
        out.append(OrderBookSnapshot(**common) if msg["type"] == "snapshot" else OrderBookDelta(**common))
    return out


def test_binance_csv_snapshot_loads_100_bids_with_best_bid_20377() -> None:
    rows = binance_csv(BINANCE_SNAP)
    book = OrderBook()
    result = book.apply_snapshot(
        snapshot(binance_rows_to_levels(rows, "b"), (), int(rows[0]["last_update_id"]))
    )
    assert result is BookUpdate.APPLIED
    assert len(book.bids()) == 100
    assert book.best_bid() == BookLevel(D("20377.00"), D("1.770"))
    assert book.best_ask() is None
    assert book.sequence == 2098021528332
    assert not book.stale


def test_binance_csv_update_sets_and_deletes_levels() -> None:
    snap_rows, update_rows = binance_csv(BINANCE_SNAP), binance_csv(BINANCE_UPDATE)
    deleted_asks = {
        BookLevel(D(r["price"]), D(1)) for r in update_rows if r["side"] == "a" and D(r["qty"]) == 0
    }
    pu, u, first = (int(update_rows[0][k]) for k in ("pu", "last_update_id", "first_update_id"))
    # The excerpt's update does not follow its snapshot (data README), so seed a snapshot at its pu:
    # the real bids plus every ask level the update deletes.
    book = OrderBook()
    book.apply_snapshot(
        snapshot(
            binance_rows_to_levels(snap_rows, "b"), tuple(sorted(deleted_asks, key=lambda lv: lv.price)), pu
        )
    )
    update = delta(
        u,
        binance_rows_to_levels(update_rows, "b"),
        binance_rows_to_levels(update_rows, "a"),
        first=first,
        prev=pu,
    )

    assert book.apply_delta(update) is BookUpdate.APPLIED

    expected: dict[tuple[str, Decimal], Decimal] = {}
    for r in update_rows:  # the last row for a price wins (the excerpt repeats 37 ask rows verbatim)
        expected[(r["side"], D(r["price"]))] = D(r["qty"])
    bids = {level.price: level.size for level in book.bids()}
    asks = {level.price: level.size for level in book.asks()}
    for (side, price), qty in expected.items():
        present = bids if side == "b" else asks
        assert present.get(price) == (qty or None), (side, price)
    assert book.best_bid() == BookLevel(D("20472.10"), D("22.276"))
    assert book.best_ask() == BookLevel(D("20472.20"), D("4.211"))
    assert book.sequence == u


def test_binance_csv_update_after_the_unrelated_snapshot_is_a_gap() -> None:
    snap_rows, update_rows = binance_csv(BINANCE_SNAP), binance_csv(BINANCE_UPDATE)
    book = OrderBook()
    book.apply_snapshot(
        snapshot(binance_rows_to_levels(snap_rows, "b"), (), int(snap_rows[0]["last_update_id"]))
    )
    first, u, pu = (int(update_rows[0][k]) for k in ("first_update_id", "last_update_id", "pu"))

    assert book.apply_delta(delta(u, first=first, prev=pu)) is BookUpdate.GAP
    assert book.stale


def test_bybit_captured_sequence_replays_without_a_gap_to_the_independently_computed_top() -> None:
    messages = bybit_messages()
    book = OrderBook()
    reference: dict[str, dict[Decimal, Decimal]] = {"b": {}, "a": {}}
    for msg in messages:
        if isinstance(msg, OrderBookSnapshot):
            assert book.apply_snapshot(msg) is BookUpdate.APPLIED
            reference = {"b": {}, "a": {}}
        else:
            assert book.apply_delta(msg) is BookUpdate.APPLIED, msg.sequence
        for side, side_levels in (("b", msg.bids), ("a", msg.asks)):
            for level in side_levels:
                if level.size == 0:
                    reference[side].pop(level.price, None)
                else:
                    reference[side][level.price] = level.size

    best_bid = max(reference["b"])
    best_ask = min(reference["a"])
    assert book.best_bid() == BookLevel(best_bid, reference["b"][best_bid])
    assert book.best_ask() == BookLevel(best_ask, reference["a"][best_ask])
    assert book.sequence == messages[-1].sequence == 20254918
    assert len(book.bids()) == len(reference["b"]) and len(book.asks()) == len(reference["a"])
    assert book.spread() == best_ask - best_bid


def test_bybit_missing_delta_is_a_gap_when_the_adapter_sets_first_sequence_to_u() -> None:
    snap, *deltas = bybit_messages()
    assert isinstance(snap, OrderBookSnapshot)
    book = OrderBook()
    book.apply_snapshot(snap)
    strict = [
        delta(d.sequence, d.bids, d.asks, first=d.sequence) for d in deltas if isinstance(d, OrderBookDelta)
    ]

    assert book.apply_delta(strict[0]) is BookUpdate.APPLIED
    assert book.apply_delta(strict[2]) is BookUpdate.GAP


# -- sequence rules ----------------------------------------------------------------------------


def test_new_book_is_stale_and_ignores_deltas_until_a_snapshot() -> None:
    book = OrderBook()
    assert book.stale
    assert book.apply_delta(delta(5, levels(("100", "1")))) is BookUpdate.STALE
    assert book.best_bid() is None


def test_binance_futures_delta_must_chain_on_pu() -> None:
    book = book_at(10)
    assert book.apply_delta(delta(15, levels(("100", "5")), first=11, prev=10)) is BookUpdate.APPLIED
    assert book.apply_delta(delta(20, levels(("100", "6")), first=16, prev=15)) is BookUpdate.APPLIED
    assert book.apply_delta(delta(30, levels(("100", "7")), first=26, prev=25)) is BookUpdate.GAP
    assert book.stale
    assert book.best_bid() == BookLevel(D(100), D(6))


def test_binance_futures_first_delta_after_snapshot_may_straddle_the_snapshot_id() -> None:
    # REST lastUpdateId falls inside an event: U <= lastUpdateId <= u, pu is older (futures step 5)
    book = book_at(100)
    assert book.apply_delta(delta(105, first=98, prev=97)) is BookUpdate.APPLIED
    # after that, only pu continuity counts, even though U skips ahead (futures ids are not contiguous)
    assert book.apply_delta(delta(120, first=110, prev=105)) is BookUpdate.APPLIED


def test_binance_futures_first_delta_after_snapshot_starting_past_it_is_a_gap() -> None:
    book = book_at(100)
    assert book.apply_delta(delta(110, first=102, prev=101)) is BookUpdate.GAP


def test_binance_spot_delta_must_cover_the_next_update_id() -> None:
    book = book_at(100)
    assert book.apply_delta(delta(103, first=99)) is BookUpdate.APPLIED
    assert book.apply_delta(delta(107, first=104)) is BookUpdate.APPLIED
    assert book.apply_delta(delta(120, first=109)) is BookUpdate.GAP


def test_bybit_delta_needs_only_a_higher_sequence() -> None:
    book = book_at(100)
    assert book.apply_delta(delta(101)) is BookUpdate.APPLIED
    assert book.apply_delta(delta(105)) is BookUpdate.APPLIED


def test_delta_at_or_below_the_book_sequence_is_old_not_a_gap() -> None:
    book = book_at(100)
    for old in (delta(100, first=95, prev=94), delta(99, first=90), delta(50)):
        assert book.apply_delta(old) is BookUpdate.OLD
    assert not book.stale
    assert book.best_bid() == BookLevel(D(100), D(1))


def test_stale_book_ignores_deltas_until_the_next_snapshot() -> None:
    book = book_at(10)
    assert book.apply_delta(delta(20, first=15)) is BookUpdate.GAP
    assert book.apply_delta(delta(21, levels(("100", "9")), first=21)) is BookUpdate.STALE
    assert book.best_bid() == BookLevel(D(100), D(1))
    assert book.apply_snapshot(snapshot(levels(("98", "1")), levels(("99", "1")), 30)) is BookUpdate.APPLIED
    assert not book.stale
    assert book.apply_delta(delta(31, first=31)) is BookUpdate.APPLIED


def test_bybit_restart_snapshot_with_u_1_resets_the_book() -> None:
    book = book_at(20254918)
    assert book.apply_snapshot(snapshot(levels(("5", "1")), levels(("6", "1")), 1)) is BookUpdate.APPLIED
    assert book.apply_delta(delta(2, levels(("5", "2")))) is BookUpdate.APPLIED
    assert book.best_bid() == BookLevel(D(5), D(2))


def test_crossed_book_after_a_delta_is_stale() -> None:
    book = book_at(10)
    assert book.apply_delta(delta(11, bids=levels(("100.5", "1")))) is BookUpdate.APPLIED
    assert book.apply_delta(delta(12, bids=levels(("101", "1")))) is BookUpdate.CROSSED
    assert book.stale
    assert book.apply_delta(delta(13, asks=levels(("102", "0")))) is BookUpdate.STALE


def test_size_zero_deletes_a_level_and_deleting_a_missing_level_is_harmless() -> None:
    book = book_at(10)
    assert (
        book.apply_delta(delta(11, levels(("100", "0"), ("42", "0")), levels(("101", "0"))))
        is BookUpdate.APPLIED
    )
    assert book.bids() == [BookLevel(D(99), D(2))]
    assert book.asks() == [BookLevel(D(102), D(3))]


def test_snapshot_drops_zero_size_levels() -> None:
    book = OrderBook()
    book.apply_snapshot(snapshot(levels(("100", "0"), ("99", "1")), levels(("101", "0")), 1))
    assert book.bids() == [BookLevel(D(99), D(1))]
    assert book.asks() == []


def test_views_spread_mid_and_depth_are_best_first() -> None:
    book = book_at(1)
    assert book.spread() == D(1)
    assert book.mid() == D("100.5")
    assert book.depth(1) == ([BookLevel(D(100), D(1))], [BookLevel(D(101), D(1))])
    assert book.bids() == [BookLevel(D(100), D(1)), BookLevel(D(99), D(2))]
    assert book.asks(5) == [BookLevel(D(101), D(1)), BookLevel(D(102), D(3))]
    assert book.depth(0) == ([], [])
    assert book.top() == (D(100), D(1), D(101), D(1))
    assert OrderBook().mid() is None and OrderBook().spread() is None


# -- property: the book matches a plain dict model ---------------------------------------------

sizes = st.sampled_from([D(0), D(0), D("0.5"), D(1), D(3)])


def side_levels_between(low: int, high: int) -> st.SearchStrategy[tuple[BookLevel, ...]]:
    prices = st.integers(min_value=low, max_value=high).map(Decimal)
    return st.lists(st.tuples(prices, sizes).map(lambda t: BookLevel(*t)), max_size=6).map(tuple)


bid_levels, ask_levels = side_levels_between(1, 25), side_levels_between(20, 45)  # overlap: may cross
# an operation: ("snap", bids, asks, seq) or ("delta", bids, asks, step, first, prev), where the delta's
# sequence, U and pu are drawn near the book's sequence so that most deltas continue it
offsets = st.sampled_from([-1, 0, 0, 0, 1, 2])
operations = st.lists(
    st.one_of(
        st.tuples(st.just("snap"), bid_levels, ask_levels, st.integers(0, 30)),
        *[
            st.tuples(
                st.just("delta"),
                bid_levels,
                ask_levels,
                st.integers(-1, 4),
                st.one_of(st.none(), offsets),
                st.one_of(st.none(), offsets),
            )
        ]
        * 4,
    ),
    max_size=25,
)


class ReferenceBook:
    """The rules written the slow, obvious way."""

    def __init__(self) -> None:
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.sequence = -1
        self.stale = True
        self.after_snapshot = False

    def crossed(self) -> bool:
        return bool(self.bids and self.asks and max(self.bids) >= min(self.asks))

    def snapshot(self, bids: tuple[BookLevel, ...], asks: tuple[BookLevel, ...], seq: int) -> None:
        self.bids = {lv.price: lv.size for lv in bids if lv.size != 0}
        self.asks = {lv.price: lv.size for lv in asks if lv.size != 0}
        self.sequence, self.stale, self.after_snapshot = seq, self.crossed(), True

    def delta(
        self, bids: tuple[BookLevel, ...], asks: tuple[BookLevel, ...], seq: int, first: int, prev: int
    ) -> None:
        if self.stale or seq <= self.sequence:
            return
        if prev != -1:
            ok = prev == self.sequence or (self.after_snapshot and first != -1 and first <= self.sequence + 1)
        elif first != -1:
            ok = first <= self.sequence + 1
        else:
            ok = True
        if not ok:
            self.stale = True
            return
        for book_side, changes in ((self.bids, bids), (self.asks, asks)):
            for lv in changes:
                if lv.size == 0:
                    book_side.pop(lv.price, None)
                else:
                    book_side[lv.price] = lv.size
        self.sequence, self.stale, self.after_snapshot = seq, self.crossed(), False


@settings(max_examples=200, deadline=None)
@given(operations)
def test_book_matches_a_dict_model_and_never_keeps_zero_levels_or_crosses_while_live(
    ops: list[tuple],
) -> None:
    book, ref = OrderBook(), ReferenceBook()
    for op in ops:
        if op[0] == "snap":
            _, bids, asks, seq = op
            book.apply_snapshot(snapshot(bids, asks, seq))
            ref.snapshot(bids, asks, seq)
        else:
            _, bids, asks, step, first_offset, prev_offset = op
            seq = ref.sequence + step
            first = -1 if first_offset is None else ref.sequence + 1 - first_offset
            prev = -1 if prev_offset is None else ref.sequence - prev_offset
            event(book.apply_delta(delta(seq, bids, asks, first=first, prev=prev)).value)
            ref.delta(bids, asks, seq, first, prev)

        assert book.stale == ref.stale
        assert book.sequence == ref.sequence
        assert book.bids() == [BookLevel(p, ref.bids[p]) for p in sorted(ref.bids, reverse=True)]
        assert book.asks() == [BookLevel(p, ref.asks[p]) for p in sorted(ref.asks)]
        assert all(level.size > 0 for level in book.bids() + book.asks())
        bid, ask = book.best_bid(), book.best_ask()
        if not book.stale and bid is not None and ask is not None:
            assert bid.price < ask.price
