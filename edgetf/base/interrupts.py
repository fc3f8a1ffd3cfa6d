"""Ctrl-C during a command's work: raised where it lands, held where it must not.

A command's work runs with Python's usual behaviour, a ``KeyboardInterrupt`` where the
signal lands, so that staged output is cleaned up on the way out, with three refinements:

- The handler also remembers that Ctrl-C came. TensorFlow can turn the exception into
  another one: a ``KeyboardInterrupt`` raised while it traces a training step (inside
  its C++ ``nest`` code calling back into Python) came out of ``model.fit`` as
  ``SystemError: <built-in function __import__> returned a result with an exception
  set``, then a ``TypeError`` from the loss. The CLI asks :attr:`CtrlC.received`
  rather than trusting the exception's type.
- It can also be swallowed: under load, the same SystemError was printed as a traceback
  by TensorFlow and training simply went on to its last epoch. Long work therefore
  calls :func:`raise_if_swallowed` at its checkpoints (every training batch, every
  stage), which raises ``KeyboardInterrupt`` again.
- :func:`held` records Ctrl-C instead of raising it inside a few file operations that
  must not stop halfway (edgetf.base.output_dir), and raises it just after them.

Only handlers that raise ``KeyboardInterrupt`` are replaced, and only in the main
thread, where signal handlers live; a caller that installed its own keeps it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator


class CtrlC:
    """A SIGINT handler that raises ``KeyboardInterrupt`` like Python's, and remembers."""

    raises_keyboard_interrupt = True

    def __init__(self) -> None:
        self.received = False

    def __call__(self, signum, frame) -> None:
        self.received = True
        raise KeyboardInterrupt


def raise_if_swallowed() -> None:
    """Raise ``KeyboardInterrupt`` if Ctrl-C came during the work and was lost on the way.

    Cheap enough for every training batch: one lookup of the current handler.
    """
    handler = signal.getsignal(signal.SIGINT)
    if isinstance(handler, CtrlC) and handler.received:
        raise KeyboardInterrupt


def _raises_keyboard_interrupt(handler) -> bool:
    return (handler is signal.default_int_handler
            or getattr(handler, "raises_keyboard_interrupt", False))


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def interruptible(after: Callable | None = None) -> Iterator[CtrlC]:
    """Run the block with a :class:`CtrlC` handler; yield it to ask whether Ctrl-C came.

    ``after`` maps the handler found before the block to the one to leave behind it
    (default: put it back). Left untouched when SIGINT is ignored (a shell's background
    job) or outside the main thread; the yielded handler then never reports Ctrl-C.
    """
    ctrl_c = CtrlC()
    if not _in_main_thread() or signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        yield ctrl_c
        return
    previous = signal.signal(signal.SIGINT, ctrl_c)
    try:
        yield ctrl_c
    finally:
        signal.signal(signal.SIGINT, after(previous) if after else previous)


@contextlib.contextmanager
def held() -> Iterator[Callable[[], bool]]:
    """Record SIGINT instead of raising it inside the block; raise it when the block ends.

    Yields a function telling whether one arrived.
    """
    previous = signal.getsignal(signal.SIGINT)
    if not _in_main_thread() or not _raises_keyboard_interrupt(previous):
        yield lambda: False
        return
    received: list[int] = []
    signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield lambda: bool(received)
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        previous(signal.SIGINT, None)  # raises KeyboardInterrupt (and CtrlC remembers)


def leave_before_work(signum, frame) -> None:
    """SIGINT handler of the console script while nothing can have been written yet
    (Python importing the CLI, Click parsing options): one line, exit 130."""
    sys.stderr.write("interrupted; no output was written\n")
    sys.stderr.flush()
    os._exit(130)
