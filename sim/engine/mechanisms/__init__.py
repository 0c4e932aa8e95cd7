"""Mechanisms of the agent month, one module each: a step over the customer arrays and its own named uniforms.

The order in which they run is the agent mode's (:data:`sim.engine.modes.agent.MECHANISMS`).
Pure formulas (trust, acceptance, hazards...) sit beside the step that uses them.
"""

from sim.engine.mechanisms import numeric  # noqa: F401  (numba learns the one-number cases before any formula compiles)
