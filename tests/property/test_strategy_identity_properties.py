"""No strategy can bypass the control plane (Phase S0/S1): over random gate contexts (often malformed) and
any strategy id, the id itself has no power. Only what the registry states about it (registered, allowed in
the book, routable) enters the decision, anything but True blocks with its own code, and an entry that is
not rejected passes every Phase B/C gate at its quantity."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.control.test_control_properties import FLAGS, contexts, sane_contexts

from avwap.control import reasons as r
from avwap.control.context import EntryIntent, GateContext
from avwap.control.plane import Action, evaluate_entry, run_gates

STRATEGY_IDS = st.sampled_from(["S1_AVWAP_CORE", "S1_AVWAP_CORE_SHADOW", "S9_UNKNOWN", "", "lower", None]) | (
    st.text(max_size=12)
)
STATED = st.sampled_from([True] * 8 + [False, None, 1, "1"])  # mostly True, so approvals are not vacuous


def with_strategy(
    context: GateContext, strategy_id: object, flags: tuple[object, object, object]
) -> GateContext:
    if not isinstance(context.intent, EntryIntent):
        return context
    registered, book_allowed, routable = flags
    intent = replace(
        context.intent,
        strategy_id=strategy_id,
        registered=registered,
        book_allowed=book_allowed,
        routable=routable,
    )
    return replace(context, intent=intent)


def verdict(context: GateContext) -> tuple[Action, int, tuple[str, ...]]:
    decision = evaluate_entry(context)
    return decision.action, decision.quantity, decision.reasons


@settings(max_examples=500)
@given(
    st.one_of(sane_contexts(), sane_contexts(), sane_contexts(), contexts(st.just(False)), contexts(FLAGS)),
    STRATEGY_IDS,
    st.tuples(STATED, STATED, STATED),
)
def test_no_strategy_id_bypasses_the_gates(context: GateContext, strategy_id: object, flags: tuple) -> None:  # type: ignore[type-arg]
    claimed = with_strategy(context, strategy_id, flags)
    decision = evaluate_entry(claimed)
    # the id's spelling changes nothing: the same context under S1's id gets the same verdict
    assert verdict(claimed) == verdict(with_strategy(context, "S1_AVWAP_CORE", flags))
    if not isinstance(context.intent, EntryIntent):
        assert decision.action is Action.REJECT
        return
    registered, book_allowed, routable = flags
    for stated, code in (
        (registered, r.STRATEGY_UNKNOWN),
        (book_allowed, r.STRATEGY_BOOK_NOT_ALLOWED),
        (routable, r.STRATEGY_NOT_ROUTABLE),
    ):
        assert (code in decision.reasons) is (stated is not True)
    if decision.action is Action.REJECT:
        assert decision.quantity == 0
        return
    assert registered is True and book_allowed is True and routable is True
    assert claimed.kill_switch is False
    # every gate, Phase B (kill switch, mode, integrity, session, caps) and Phase C alike, passes
    assert all(outcome.allowed for outcome in run_gates(claimed.with_quantity(decision.quantity)))
