"""A shadow strategy's intent never reaches a broker: the plane rejects it with STRATEGY_NOT_ROUTABLE."""

from __future__ import annotations

from control_builders import build

from avwap.control import reasons as r
from avwap.control.plane import Action, evaluate_entry
from avwap.strategies.registry import (
    REGISTRY,
    S1_AVWAP_CORE,
    S1_AVWAP_CORE_SHADOW,
    is_routable,
    strategy,
)


def test_shadow_clone_is_registered_and_not_routable() -> None:
    shadow = strategy(S1_AVWAP_CORE_SHADOW)
    assert shadow.routable is False and shadow.shadow_of == S1_AVWAP_CORE
    assert strategy(S1_AVWAP_CORE).routable is True and S1_AVWAP_CORE_SHADOW in REGISTRY
    assert is_routable(S1_AVWAP_CORE) and not is_routable(S1_AVWAP_CORE_SHADOW)
    assert not is_routable("NOT_A_STRATEGY") and not is_routable(None)


def test_plane_approves_s1_and_rejects_its_shadow() -> None:
    assert evaluate_entry(build()).action is Action.APPROVE
    decision = evaluate_entry(build(intent__strategy_id=S1_AVWAP_CORE_SHADOW, intent__routable=False))
    assert decision.action is Action.REJECT and decision.quantity == 0
    assert decision.reasons == (r.STRATEGY_NOT_ROUTABLE,)
    outcome = next(item for item in decision.gates if item.name == "strategy_routable")
    assert outcome.detail == {"strategy_id": S1_AVWAP_CORE_SHADOW}


def test_plane_rejects_an_unregistered_strategy() -> None:
    decision = evaluate_entry(
        build(intent__strategy_id="S9_UNKNOWN", intent__routable=is_routable("S9_UNKNOWN"))
    )
    assert decision.action is Action.REJECT and r.STRATEGY_NOT_ROUTABLE in decision.reasons
