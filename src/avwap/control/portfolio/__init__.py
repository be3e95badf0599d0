"""Portfolio decisions (roadmap 2A): ALLOW or BLOCK for every candidate of a trading day, before the open.

* :mod:`.records`: the frozen schema (``PortfolioDecision``, ``PortfolioDecisionBatch``, the engine inputs and
  ``GuardrailLimits``).
* :mod:`.correlation`: rolling correlations of daily returns (vectorized).
* :mod:`.rules`: the guardrails, one small function each, in :data:`.rules.RULES` order.
* :mod:`.engine`: :func:`.engine.decide`, pure: inputs in, batch out.

Reading the artifacts, the bar store and the universe, and writing the batch, is the caller's job
(:mod:`avwap.jobs.portfolio_decide`).
"""
