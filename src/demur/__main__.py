"""`python -m demur` runs the command line."""

from demur.cli import app

app()
