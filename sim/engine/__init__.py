"""The engine layer: streams, population, customer state, mechanisms, modes, the market, strategies, records.

Modules here import the scenario layer and nothing above it; nothing here does file I/O or printing.
"""
