"""``python -m edgetf.cli``: the Typer app alone, without the console script's Ctrl-C guard
(tests and benchmarks start it this way)."""

from edgetf.cli.app import main

main()
