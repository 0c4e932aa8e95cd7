"""Workflows that chain the layers: simulate to estimate, optimize (with optimize/), feed the plan back, check it."""
