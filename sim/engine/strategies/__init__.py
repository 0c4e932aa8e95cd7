"""The strategies a firm can play: what the `[strategy]`, `[portfolio_policy]` and `[migration]` tables choose.

- Account growth (CR lecture notes): one module per strategy in :mod:`sim.engine.strategies.growth`
  (``foot_in_the_door``, ``all_at_once``); ``none`` makes no growth offers.
- Relationship posture (CR lecture notes; CRM strategies ch. 4): ``transactional`` and ``collaborative``,
  parameter sets in ``[postures.*]`` that the mechanisms read.
- Offering: ``standard``, or flaring out by ``unbundled`` or ``augmented``
  offerings, parameter sets in ``[offerings.*]``.
- Portfolio policy: :mod:`sim.engine.strategies.portfolio`.
- Migration investments: spend per rung (and segment), in the ladder mechanism.
"""
