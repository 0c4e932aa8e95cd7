"""The results layer: tidy tables of replications, the KPI registry, and the statistics every interval uses."""
