"""`python -m b2b_cli` runs the same command as the `b2b` script."""

from b2b_cli.main import app

app(prog_name="b2b")
