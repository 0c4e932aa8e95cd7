"""Mechanisms of the agent month, one module each: a step of one customer and its own named uniforms.

The order in which they run is the compiled pass's (:func:`sim.engine.kernel.agent.month`), then
:data:`sim.engine.modes.agent.AFTER_PASS`.
Pure formulas (trust, acceptance, hazards...) sit beside the step that uses them.
"""

from sim.engine.mechanisms import numeric  # noqa: F401  (numba learns the one-number cases before any formula compiles)
