"""The strategy registry (Phase S0): every trade, position and PnL unit is addressable by ``strategy_id``.

Adding a strategy is one module (a :class:`~avwap.strategies.protocol.Strategy` object named ``STRATEGY``)
and one line in :data:`REGISTRY`. Modules are imported when a strategy is first asked for, so commands that
never trade do not pay for them. ``ENABLED_STRATEGIES`` (Config) lists the ids each cycle asks for entries.

Every loaded strategy's metadata is validated (:func:`validate_metadata`): an UPPER_SNAKE id, non-empty
descriptive fields, a :class:`RiskProfile`, a version of dot-separated integers and at least one known book
it may route to (``books``). A strategy that breaks the contract is a ConfigurationError at start-up, never
an anonymous or unroutable trade later. See docs/STRATEGIES.md.
"""

from __future__ import annotations

import enum
import importlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from avwap.core.config import Config
from avwap.core.errors import ConfigurationError
from avwap.ledger.paths import BOOK_IDS, SCHWAB_401K_MANUAL

if TYPE_CHECKING:
    from avwap.strategies.protocol import Strategy


class RiskProfile(enum.StrEnum):
    DIRECTIONAL = "directional"
    NEUTRAL = "neutral"
    CONVEX = "convex"


@dataclass(frozen=True)
class StrategyMetadata:
    """The metadata contract every strategy declares."""

    strategy_id: str
    description: str
    asset_universe: str
    holding_horizon: str
    execution_style: str
    risk_profile: RiskProfile
    version: str
    # The books (ledger book ids, or DRY_RUN) whose brokers this strategy's intents may reach: an intent
    # in any other book is rejected by the control plane (STRATEGY_BOOK_NOT_ALLOWED).
    books: tuple[str, ...]
    # A shadow strategy runs through the portfolio decision layer and is recorded, never routed to a broker.
    routable: bool = True
    shadow_of: str | None = None
    # How the cycle maintains this strategy's stops: "intraday" (avwap.exits.policy: intraday pivots and
    # phases) or "daily" (avwap.exits.policy_daily: one daily swing-low ratchet a day, in every mode), or
    # "allocation": no stop at all (target weights, issue 13). An allocation strategy may list manual books
    # only (:data:`MANUAL_BOOKS`), and its intents are sized on notional (docs/STRATEGIES.md).
    stop_policy: str = "intraday"


# The DRY_RUN mode records what would have been sent in a book of its own (execution.book.DRY_RUN_BOOK).
DRY_RUN_BOOK: Final = "DRY_RUN"
KNOWN_BOOKS: Final = frozenset({*BOOK_IDS, DRY_RUN_BOOK})
_STRATEGY_ID: Final = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
_VERSION: Final = re.compile(r"^[0-9]+(?:\.[0-9]+)*$")
_TEXT_FIELDS: Final = ("description", "asset_universe", "holding_horizon", "execution_style")
ALLOCATION: Final = "allocation"
STOP_POLICIES: Final = ("intraday", "daily", ALLOCATION)
# Books traded by a person from tickets: the only books an allocation (stop-free) strategy may route to.
MANUAL_BOOKS: Final = frozenset({SCHWAB_401K_MANUAL})

S1_AVWAP_CORE: Final = "S1_AVWAP_CORE"
S1_AVWAP_CORE_SHADOW: Final = "S1_AVWAP_CORE_SHADOW"
S_401K_ALLOCATION: Final = "S_401K_ALLOCATION"
S2_AVWAP_SWING: Final = "S2_AVWAP_SWING"

# strategy id -> the module holding its ``STRATEGY`` object
REGISTRY: Final[dict[str, str]] = {
    S1_AVWAP_CORE: "avwap.strategies.s1",
    S1_AVWAP_CORE_SHADOW: "avwap.strategies.s1_shadow",  # the shadow clone of S1 (roadmap 2A): never routed
    S_401K_ALLOCATION: "avwap.strategies.allocation_401k",  # 401(k) target weights (issue 13)
    S2_AVWAP_SWING: "avwap.strategies.s2_swing",  # daily-level AVWAP swing, multi-week holds
}


def metadata_problems(metadata: object) -> list[str]:
    """Every way ``metadata`` breaks the contract (empty when it keeps it)."""
    if not isinstance(metadata, StrategyMetadata):
        return [f"metadata must be a StrategyMetadata, got {type(metadata).__name__}"]
    problems = []
    if not isinstance(metadata.strategy_id, str) or not _STRATEGY_ID.fullmatch(metadata.strategy_id):
        problems.append(f"strategy_id must be UPPER_SNAKE, got {metadata.strategy_id!r}")
    for name in _TEXT_FIELDS:
        value = getattr(metadata, name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{name} must be a non-empty text, got {value!r}")
    if not isinstance(metadata.risk_profile, RiskProfile):
        problems.append(f"risk_profile must be one of {[item.value for item in RiskProfile]}")
    if not isinstance(metadata.version, str) or not _VERSION.fullmatch(metadata.version):
        problems.append(f"version must be dot-separated integers (e.g. '1', '2.1'), got {metadata.version!r}")
    books = metadata.books
    if not isinstance(books, tuple) or not books or len(set(books)) != len(books):
        problems.append(f"books must be a non-empty tuple of distinct book ids, got {books!r}")
    elif unknown := sorted(str(book) for book in books if book not in KNOWN_BOOKS):
        problems.append(f"books {unknown} are not known books ({sorted(KNOWN_BOOKS)})")
    if not isinstance(metadata.routable, bool):
        problems.append(f"routable must be a boolean, got {metadata.routable!r}")
    if metadata.shadow_of is not None and metadata.shadow_of not in REGISTRY:
        problems.append(f"shadow_of names an unregistered strategy {metadata.shadow_of!r}")
    if metadata.stop_policy not in STOP_POLICIES:
        problems.append(f"stop_policy must be one of {list(STOP_POLICIES)}, got {metadata.stop_policy!r}")
    elif metadata.stop_policy == ALLOCATION and isinstance(books, tuple) and not set(books) <= MANUAL_BOOKS:
        problems.append(f"an allocation strategy (no stop) may list manual books only {sorted(MANUAL_BOOKS)}")
    return problems


def validate_metadata(metadata: object, variable: str = "strategy_id") -> None:
    """ConfigurationError naming ``variable`` when ``metadata`` breaks the contract."""
    problems = metadata_problems(metadata)
    if problems:
        raise ConfigurationError(variable, "strategy metadata: " + "; ".join(problems))


def load_strategy(strategy_id: str, variable: str = "strategy_id") -> Strategy:
    """The registered strategy; an unknown id is a configuration error naming ``variable``."""
    try:
        module_name = REGISTRY[strategy_id]
    except KeyError:
        raise ConfigurationError(
            variable, f"unknown strategy {strategy_id!r}; known: {sorted(REGISTRY)}"
        ) from None
    loaded: Strategy = importlib.import_module(module_name).STRATEGY
    if _VALIDATED.get(strategy_id) is loaded.metadata:
        return loaded  # this very metadata object was validated under this id already (decisions ask often)
    validate_metadata(loaded.metadata, variable)
    if loaded.metadata.strategy_id != strategy_id:
        raise ConfigurationError(variable, f"{module_name} declares {loaded.metadata.strategy_id!r}")
    _VALIDATED[strategy_id] = loaded.metadata
    return loaded


# strategy id -> the metadata object last validated under it (frozen: a module reloaded or replaced under the
# id brings another object, which is validated again).
_VALIDATED: dict[str, StrategyMetadata] = {}


def strategy(strategy_id: str) -> StrategyMetadata:
    """The registered metadata; an unknown id is a configuration error (no anonymous trades)."""
    return load_strategy(strategy_id).metadata


def enabled_strategies(config: Config) -> tuple[Strategy, ...]:
    """The strategies ``ENABLED_STRATEGIES`` names, in its order; an unknown id is a ConfigurationError
    (so is a sleeve, a PnL override or a priority for an unregistered one: :func:`check_strategy_ids`)."""
    check_strategy_ids(config)
    return tuple(load_strategy(item, "ENABLED_STRATEGIES") for item in config.enabled_strategies)


def check_strategy_ids(config: Config) -> None:
    """ConfigurationError naming the variable when a sleeve (S2_SLEEVES_JSON / S2_SLEEVES_FILE), a PnL
    override (S2_DAILY_PNL_JSON) or a priority (S3_STRATEGY_PRIORITIES) names an unregistered strategy
    (core.config parses them but cannot import the registry)."""
    named = (
        (config.sleeves_variable, tuple(config.sleeves or {})),
        ("S2_DAILY_PNL_JSON", tuple(strategy_id for strategy_id, _ in config.s2_daily_pnl or ())),
        ("S3_STRATEGY_PRIORITIES", tuple(strategy_id for strategy_id, _ in config.s3_strategy_priorities)),
    )
    for variable, ids in named:
        unknown = sorted(set(ids) - set(REGISTRY))
        if unknown:
            raise ConfigurationError(variable, f"unknown strategies {unknown}; known: {sorted(REGISTRY)}")


def is_registered(strategy_id: object) -> bool:
    """True only for an id in the registry whose module loads and keeps the metadata contract."""
    if not isinstance(strategy_id, str) or strategy_id not in REGISTRY:
        return False
    try:
        load_strategy(strategy_id)
    except ConfigurationError:
        return False
    return True


def may_route_to(strategy_id: object, book_id: object) -> bool:
    """True only when a registered strategy lists ``book_id`` among the books it may route to."""
    if not is_registered(strategy_id):
        return False
    assert isinstance(strategy_id, str)
    return book_id in load_strategy(strategy_id).metadata.books


def uses_daily_stops(strategy_id: object) -> bool:
    """True for a registered strategy whose stops follow the daily stop policy in every mode."""
    if not is_registered(strategy_id):
        return False
    assert isinstance(strategy_id, str)
    return load_strategy(strategy_id).metadata.stop_policy == "daily"


def allocation_allowed(strategy_id: object, book_id: object) -> bool:
    """True only when a registered strategy declares the allocation (stop-free) policy and lists
    ``book_id``, a manual book, among its books: what the control plane requires of an allocation intent."""
    if not may_route_to(strategy_id, book_id) or book_id not in MANUAL_BOOKS:
        return False
    assert isinstance(strategy_id, str)
    return load_strategy(strategy_id).metadata.stop_policy == ALLOCATION


def is_routable(strategy_id: object) -> bool:
    """True only for a registered strategy that may reach a broker (a shadow or unknown id never does)."""
    if not isinstance(strategy_id, str) or strategy_id not in REGISTRY:
        return False
    try:
        return load_strategy(strategy_id).metadata.routable is True
    except ConfigurationError:
        return False
