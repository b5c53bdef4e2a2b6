"""A local L2 order book rebuilt from venue snapshots and deltas, which refuses to be silently wrong.

Sequence rules (checked in this order for a delta; a snapshot always resets the book):

1. ``delta.sequence <= book.sequence``: an old message, e.g. buffered while the snapshot was being
   fetched. Ignored (``OLD``), not a gap. Binance spot: "Drop any event where u is <= lastUpdateId in
   the snapshot" (USD-M futures writes ``<``; an event ending at the snapshot's id is already in it).
2. ``prev_sequence != -1`` (Binance USD-M futures ``pu``): the delta must follow the last applied
   delta exactly, ``pu == book.sequence``. Binance USD-M futures "How to manage a local order book
   correctly", step 6: "each new event's pu should be equal to the previous event's u".
   The first delta after a snapshot is the exception (step 5): a REST snapshot's ``lastUpdateId``
   usually falls inside an event, so that delta is accepted when ``U <= lastUpdateId + 1``
   (``first_sequence``), or when its ``pu`` equals the snapshot's id.
3. ``first_sequence != -1`` (Binance spot ``U``..``u``): ``U <= book.sequence + 1 <= u``.
   Binance spot web-socket-streams.md, "How to manage a local order book correctly".
4. neither (Bybit v5 ``u``): ``u > book.sequence``. Bybit docs/v5/websocket/public/orderbook.mdx:
   "If you receive a new snapshot message, you will have to reset your local orderbook", and
   ``u == 1`` is a snapshot sent after a service restart ("please overwrite your local
   orderbook"), so resets come as snapshots and a lower ``u`` never arrives in a delta. Bybit's
   ``u`` is contiguous per topic (the captured XRPUSDT ob500 sequence steps by one); an adapter that
   wants a missing Bybit message detected sets ``first_sequence = u`` and gets rule 3.

Anything else is a ``GAP``: the book becomes ``stale`` and ignores deltas (``STALE``) until the next
snapshot. A book that ends up crossed (best bid >= best ask) after a snapshot or delta is also
marked stale (``CROSSED``): a crossed L2 book only arises from a missed message, and a strategy
must not trade on it. A new book is stale until its first snapshot.

Prices are kept in one ascending list per side (``bisect``), so the best level is an index away.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from decimal import Decimal
from enum import Enum

from engine.messages import BookLevel, OrderBookDelta, OrderBookSnapshot


class BookUpdate(Enum):
    """What applying a snapshot or delta did to the book."""

    APPLIED = "applied"
    OLD = "old"  # sequence at or below the book's: ignored, not a gap
    STALE = "stale"  # book is stale (after a gap, or no snapshot yet): ignored until a snapshot
    GAP = "gap"  # sequence broken: the book is now stale
    CROSSED = "crossed"  # applied, but best bid >= best ask: the book is now stale


_ZERO = Decimal(0)


class OrderBook:
    """L2 book: price -> size per side. Read-only for strategies; only the DataEngine applies updates."""

    __slots__ = (
        "_ask_prices",
        "_asks",
        "_bid_prices",
        "_bids",
        "_from_snapshot",
        "sequence",
        "stale",
        "ts_event",
    )

    def __init__(self) -> None:
        self._bids: dict[Decimal, Decimal] = {}
        self._asks: dict[Decimal, Decimal] = {}
        self._bid_prices: list[Decimal] = []  # ascending: best bid is the last
        self._ask_prices: list[Decimal] = []  # ascending: best ask is the first
        self._from_snapshot = False
        self.sequence = -1
        self.stale = True
        self.ts_event = 0

    # -- updates ---------------------------------------------------------------------------

    def apply_snapshot(self, snapshot: OrderBookSnapshot) -> BookUpdate:
        """Replace the whole book; clears ``stale`` unless the snapshot itself is crossed."""
        self._bids = {level.price: level.size for level in snapshot.bids if level.size > _ZERO}
        self._asks = {level.price: level.size for level in snapshot.asks if level.size > _ZERO}
        self._bid_prices = sorted(self._bids)
        self._ask_prices = sorted(self._asks)
        self.sequence = snapshot.sequence
        self.ts_event = snapshot.ts_event
        self._from_snapshot = True
        self.stale = False
        return self._check_crossed()

    def apply_delta(self, delta: OrderBookDelta) -> BookUpdate:
        """Apply ``delta`` if it continues the book's sequence (see the module docstring)."""
        if self.stale:
            return BookUpdate.STALE
        last = self.sequence
        if delta.sequence <= last:
            return BookUpdate.OLD
        prev, first = delta.prev_sequence, delta.first_sequence
        if prev != -1:
            in_order = prev == last or (self._from_snapshot and first != -1 and first <= last + 1)
        elif first != -1:
            in_order = first <= last + 1
        else:
            in_order = True
        if not in_order:
            self.stale = True
            return BookUpdate.GAP
        _apply_side(self._bids, self._bid_prices, delta.bids)
        _apply_side(self._asks, self._ask_prices, delta.asks)
        self.sequence = delta.sequence
        self.ts_event = delta.ts_event
        self._from_snapshot = False
        return self._check_crossed()

    def _check_crossed(self) -> BookUpdate:
        if self._bid_prices and self._ask_prices and self._bid_prices[-1] >= self._ask_prices[0]:
            self.stale = True
            return BookUpdate.CROSSED
        return BookUpdate.APPLIED

    # -- views -----------------------------------------------------------------------------

    def best_bid(self) -> BookLevel | None:
        if not self._bid_prices:
            return None
        price = self._bid_prices[-1]
        return BookLevel(price, self._bids[price])

    def best_ask(self) -> BookLevel | None:
        if not self._ask_prices:
            return None
        price = self._ask_prices[0]
        return BookLevel(price, self._asks[price])

    def top(self) -> tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]:
        """(bid price, bid size, ask price, ask size), ``None`` for an empty side: cheap to compare."""
        bids, asks = self._bid_prices, self._ask_prices
        bid = bids[-1] if bids else None
        ask = asks[0] if asks else None
        return (
            bid,
            None if bid is None else self._bids[bid],
            ask,
            None if ask is None else self._asks[ask],
        )

    def spread(self) -> Decimal | None:
        if not self._bid_prices or not self._ask_prices:
            return None
        return self._ask_prices[0] - self._bid_prices[-1]

    def mid(self) -> Decimal | None:
        if not self._bid_prices or not self._ask_prices:
            return None
        return (self._ask_prices[0] + self._bid_prices[-1]) / 2

    def bids(self, n: int | None = None) -> list[BookLevel]:
        """The best ``n`` bid levels (all if ``None``), best first."""
        prices = self._bid_prices
        chosen = prices[::-1] if n is None else prices[: -n - 1 : -1] if n > 0 else []
        return [BookLevel(p, self._bids[p]) for p in chosen]

    def asks(self, n: int | None = None) -> list[BookLevel]:
        """The best ``n`` ask levels (all if ``None``), best first."""
        prices = self._ask_prices if n is None else self._ask_prices[: max(n, 0)]
        return [BookLevel(p, self._asks[p]) for p in prices]

    def depth(self, n: int) -> tuple[list[BookLevel], list[BookLevel]]:
        """The best ``n`` levels of each side: (bids, asks), best first."""
        return self.bids(n), self.asks(n)

    def __repr__(self) -> str:
        state = "stale" if self.stale else "live"
        return (
            f"OrderBook({state}, sequence={self.sequence}, bid={self.best_bid()}, ask={self.best_ask()}, "
            f"levels={len(self._bid_prices)}/{len(self._ask_prices)})"
        )


def _apply_side(sizes: dict[Decimal, Decimal], prices: list[Decimal], levels: tuple[BookLevel, ...]) -> None:
    for level in levels:
        price, size = level.price, level.size
        if size > _ZERO:
            if price not in sizes:
                insort(prices, price)
            sizes[price] = size
        elif sizes.pop(price, None) is not None:
            del prices[bisect_left(prices, price)]
