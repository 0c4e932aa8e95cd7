"""Plots (free functions over results tables) and the self-contained HTML report."""
