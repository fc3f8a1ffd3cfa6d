"""The ``edgetf`` console script.

Ctrl-C must end any command with exit code 130 and one line, never a traceback. Inside
a command's work, :func:`edgetf.cli.runner.run_command` handles it (after the staged output has been
cleaned up). Before that, while Python imports the CLI (about 0.3 s) or Click parses the
options, a ``KeyboardInterrupt`` would print Python's traceback, or Click's "Aborted!"
with exit code 1. Nothing has been written at that point, so this handler just leaves.
After the work, Ctrl-C is ignored: the command is only printing and leaving, and
CPython's shutdown would otherwise restore the default action and die of the signal
(exit status -2 with the output already complete).
"""

from __future__ import annotations

import signal

from edgetf.base.interrupts import leave_before_work


def main() -> None:
    # A shell starts background jobs with SIGINT ignored; they must stay deaf to it.
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, leave_before_work)
    from edgetf.cli.app import main as run_cli

    try:
        run_cli()
    finally:  # whatever happened, what is left is the exit itself
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _forget_caught_keyboard_interrupt()


def _forget_caught_keyboard_interrupt() -> None:
    """Keep exit code 130 after a Ctrl-C that edgetf caught.

    Seen with CPython 3.11: a ``KeyboardInterrupt`` raised inside code that ``exec()``
    runs from a string (dataclasses build their methods that way, so any import can be
    such code) leaves the interpreter's "unhandled KeyboardInterrupt" flag set even
    though the exception is caught later. ``python -m edgetf`` then ended, after the
    atexit handlers, by killing itself with SIGINT: exit status -2 instead of 130, in
    8 of 196 runs interrupted at random under load. (The console script is spared:
    there SystemExit ends the process before the flag is looked at.) Every ``exec`` of
    a string clears the flag as it starts, so an empty one here undoes it.
    """
    exec("")
