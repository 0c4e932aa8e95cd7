"""crmsim optimisation: efficient customer portfolios and migration investments (consumes tables; no SimPy)."""
