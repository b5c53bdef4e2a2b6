"""Whatever a venue reports, in any order and any number of times, the OMS keeps every order consistent.

Random sequences of submissions and venue events (fills with repeated fill ids, cancels, rejections,
updates, unknown outcomes, status reports, events for orders nobody placed) against a real OMS.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from oms_world import World

from engine.messages import CancelOrder, OrderFilled
from engine.model import OrderStatus

D = Decimal
ORDER = st.integers(0, 4)  # an index into the submitted orders; past the end: an order nobody placed
QUANTITY = st.integers(1, 4).map(D)


class VenueChaos(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = World()
        self.cids: list[str] = []

    def cid(self, index: int) -> str:
        return self.cids[index] if index < len(self.cids) else f"ghost-{index}"

    @initialize(quantities=st.lists(QUANTITY, min_size=3, max_size=3))
    def three_orders(self, quantities: list[Decimal]) -> None:
        for quantity in quantities:
            self.submit(quantity)

    @rule(quantity=QUANTITY)
    def submit(self, quantity: Decimal) -> None:
        self.cids.append(self.world.submit(quantity=quantity).client_order_id)

    @rule(index=ORDER)
    def accept(self, index: int) -> None:
        self.world.accepted(self.cid(index))

    @rule(index=ORDER, quantity=QUANTITY, price=st.integers(90, 110), fill_id=st.sampled_from("abcd"))
    def fill(self, index: int, quantity: Decimal, price: int, fill_id: str) -> None:
        self.world.filled(self.cid(index), quantity / 2, D(price), fill_id=fill_id)

    @rule(index=ORDER)
    def ask_to_cancel(self, index: int) -> None:
        self.world.command(CancelOrder, self.cid(index))

    @rule(index=ORDER, reason=st.sampled_from(["user", "expired", "ioc remainder"]))
    def cancel(self, index: int, reason: str) -> None:
        self.world.cancelled(self.cid(index), reason)

    @rule(index=ORDER)
    def reject(self, index: int) -> None:
        self.world.rejected(self.cid(index))

    @rule(index=ORDER, quantity=QUANTITY)
    def update(self, index: int, quantity: Decimal) -> None:
        self.world.updated(self.cid(index), quantity=quantity)

    @rule(index=ORDER)
    def lose_the_answer(self, index: int) -> None:
        self.world.unknown(self.cid(index))

    @rule(
        index=ORDER,
        status=st.sampled_from(OrderStatus),
        filled=st.integers(0, 8).map(lambda n: D(n) / 2),
        average=st.none() | st.integers(90, 110).map(D),
    )
    def report(self, index: int, status: OrderStatus, filled: Decimal, average: Decimal | None) -> None:
        self.world.report(self.cid(index), status, filled, average_price=average)

    @invariant()
    def the_node_never_raises(self) -> None:
        assert self.world.errors == []
        assert self.world.bus.errors == 0

    @invariant()
    def every_order_is_consistent_with_its_status(self) -> None:
        for order in self.world.store.list_orders():
            filled, quantity = order.filled_quantity, order.quantity
            assert 0 <= filled <= quantity
            expected = {
                OrderStatus.PENDING: filled == 0,
                OrderStatus.PARTIAL: 0 < filled < quantity,
                OrderStatus.FILLED: filled == quantity,
                OrderStatus.REJECTED: filled == 0,
                OrderStatus.CANCELLED: filled < quantity,
            }
            assert expected[order.status], (order.status, filled, quantity)
            assert order.in_doubt == (order.order_id in self.world.oms.in_doubt)
            assert not (order.in_doubt and order.is_terminal)

    @invariant()
    def published_fills_add_up_to_the_filled_quantity_and_never_repeat(self) -> None:
        total: dict[str, Decimal] = defaultdict(Decimal)
        seen: set[tuple[str, str]] = set()
        for _, event in self.world.published:
            if isinstance(event, OrderFilled):
                key = (event.client_order_id, event.fill_id)
                assert key not in seen
                seen.add(key)
                total[event.client_order_id] += event.quantity
        for order in self.world.store.list_orders():
            assert total[order.order_id] == order.filled_quantity

    @invariant()
    def events_for_unknown_orders_are_kept(self) -> None:
        assert self.world.oms.unmatched_events == len(self.world.oms.unmatched)
        assert all(event.client_order_id.startswith("ghost-") for event in self.world.oms.unmatched)


VenueChaos.TestCase.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_the_oms_survives_any_venue = VenueChaos.TestCase
