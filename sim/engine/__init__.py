"""The engine layer: random streams, population, customer state, behaviour, the monthly market, episodes, strategies, records.

Modules here import the scenario layer and nothing above it; nothing here does file I/O or printing.
"""
