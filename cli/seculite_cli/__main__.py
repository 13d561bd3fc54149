"""`python -m seculite_cli` runs the `seculite` command."""

from seculite_cli.main import run

run()
