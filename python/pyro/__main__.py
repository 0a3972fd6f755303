"""`python -m pyro ...` runs the `pyro` CLI."""

from pyro._cli import main

main()
