"""The ``edgetf`` command: the Typer app (options in, one library call), the handler that
turns errors and Ctrl-C into one line and an exit code, and the console-script entry point.

The top layer: may import any folder; nothing imports it.
"""
