"""The experiments layer: replications, paired comparisons on common random numbers, sweeps, and where they run."""
