"""User-facing applications on top of the library: the `crmsim` command line."""
