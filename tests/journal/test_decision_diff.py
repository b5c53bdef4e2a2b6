"""``diff_decisions``: what ``replay --strategy`` prints, checked on any two lists of decisions.

Decisions are aligned by (time, execution, action, symbol, side): a replayed decision in a slot the
recording has is the same (identical) or changed (other quantity, type or price); one in no such
slot is added; recorded ones left unmatched are removed. So nothing is lost or counted twice.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from engine.replay import Decision, diff_decisions

DECISIONS = st.lists(
    st.builds(
        Decision,
        ts=st.integers(0, 5),
        execution_id=st.sampled_from(["e1", "e2"]),
        action=st.sampled_from(["SubmitOrder", "CancelOrder"]),
        symbol=st.just("BTCUSDT"),
        side=st.sampled_from(["buy", "sell"]),
        order_type=st.sampled_from(["market", "limit"]),
        quantity=st.sampled_from([Decimal(1), Decimal(2)]),
    ),
    max_size=12,
).map(lambda items: sorted(items, key=lambda d: d.ts))


@given(decisions=DECISIONS)
def test_a_session_compared_with_itself_is_identical(decisions: list[Decision]) -> None:
    diff = diff_decisions(decisions, decisions)
    assert diff.identical
    assert (diff.added, diff.removed, diff.changed) == ([], [], [])


@given(recorded=DECISIONS, replayed=DECISIONS)
def test_every_decision_is_matched_changed_added_or_removed_exactly_once(
    recorded: list[Decision], replayed: list[Decision]
) -> None:
    diff = diff_decisions(recorded, replayed)
    assert (diff.recorded, diff.replayed) == (len(recorded), len(replayed))
    matched_recorded = len(recorded) - len(diff.removed) - len(diff.changed)
    matched_replayed = len(replayed) - len(diff.added) - len(diff.changed)
    assert matched_recorded == matched_replayed >= 0
    assert diff.identical == (recorded == replayed)
    for pair in diff.changed:
        assert pair["recorded"].key() == pair["replayed"].key()
        assert pair["recorded"] != pair["replayed"]
    # slot by slot: what the replay has more of is added, what it has less of is removed
    for key in {d.key() for d in recorded + replayed}:
        more = sum(d.key() == key for d in replayed) - sum(d.key() == key for d in recorded)
        assert more == sum(d.key() == key for d in diff.added) - sum(d.key() == key for d in diff.removed)
    assert diff.removed == sorted(diff.removed, key=lambda d: d.ts)


def test_the_first_divergence_names_the_first_position_where_the_sessions_differ() -> None:
    common = {"execution_id": "e1", "action": "SubmitOrder", "symbol": "BTCUSDT", "order_type": "market"}
    a = Decision(ts=1, side="buy", quantity=Decimal(1), **common)
    b = Decision(ts=2, side="sell", quantity=Decimal(1), **common)
    bigger = Decision(ts=2, side="sell", quantity=Decimal(2), **common)

    diff = diff_decisions([a, b], [a, bigger])

    assert diff.first_divergence == {"index": 1, "recorded": b, "replayed": bigger}
    assert diff.changed == [{"recorded": b, "replayed": bigger}]
    assert (diff.added, diff.removed) == ([], [])
