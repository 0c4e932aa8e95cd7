"""`python -m sim` runs the crmsim command line."""

from sim.cli import main

main()
