"""`python -m sim` runs the crmsim command line."""

from sim.app.cli import main

main()
