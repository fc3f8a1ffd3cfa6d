"""The one place a command's errors and Ctrl-C become one line and an exit code.

Every ``EdgetfError`` becomes ``error: <message>`` on stderr and its exit code; Ctrl-C
exits 130 and says whether the output folder was written (or what the work kept, when
the library raises ``KeyboardInterrupt(message)``: tune's finished trials). Global flags live in
:data:`state`, set by the app's callback.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

import typer
from rich.console import Console
from rich.markup import escape

from edgetf.base.errors import EdgetfError
from edgetf.base.interrupts import interruptible, leave_before_work
from edgetf.base.output_dir import track_commits
from edgetf.base.progress import Reporter
from edgetf.base.tf_import import missing_extra, require_extra

state = {"quiet": False, "verbose": False}
_stderr = Console(stderr=True)
#: The commands that need an extra (the rest run on the base install), checked before any
#: work: a missing LiteRT would otherwise only show after minutes of training.
EXTRA_OF_COMMAND = {"train-quantize": "train", "validate": "train", "tune": "train"}


def run_command(action: Callable[[Reporter], None]) -> None:
    """Call the library; turn its errors into one line and an exit code."""
    reporter = Reporter(quiet=state["quiet"], verbose=state["verbose"])
    # Each command's action is a closure in the function Typer registers as
    # "<name>_command", so its qualified name says which command runs.
    name = action.__qualname__.split(".")[0].removesuffix("_command").replace("_", "-")
    try:
        with track_commits() as written, interruptible(after=after_work) as ctrl_c:
            try:
                if name in EXTRA_OF_COMMAND:
                    require_extra(EXTRA_OF_COMMAND[name], f"edgetf {name}")
                action(reporter)
            except Exception as error:
                if ctrl_c.received:  # TensorFlow may have turned it into another error
                    raise KeyboardInterrupt from error
                extra = missing_extra(error, f"edgetf {name}")
                if extra is not None:
                    raise extra from None
                raise
    except EdgetfError as error:
        # Escaped: messages hold brackets ("pip install 'edgetf[flash]'", "[env:esp32]")
        # that rich would otherwise read as markup and drop.
        _stderr.print(f"[red]error:[/red] {escape(str(error))}", highlight=False,
                      soft_wrap=True)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt as interrupt:
        if interrupt.args:  # the library says what the interrupted work kept
            _stderr.print(f"interrupted; {escape(str(interrupt.args[0]))}", highlight=False,
                          soft_wrap=True)
        elif written:  # Ctrl-C came while the summary was printed: the folder is complete
            done = ", ".join(str(folder) for folder in written)
            _stderr.print(f"interrupted; {escape(done)} was already written in full",
                          highlight=False, soft_wrap=True)
        else:
            _stderr.print("interrupted; no output was written", highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None


def after_work(previous):
    """The SIGINT handler to leave once a command's work has ended.

    The console script's handler (edgetf.cli.entry) is for the moments before the work: it
    would say "no output was written". After the work the process only leaves.
    """
    return signal.SIG_IGN if previous is leave_before_work else previous

