"""The one place below the CLI that talks to the terminal.

Library code reports through a :class:`Reporter`; the CLI decides whether it is
quiet or verbose. Everything goes to stderr so that ``--json`` output on stdout
stays machine-readable.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from edgetf.base.interrupts import raise_if_swallowed


class Reporter:
    """Progress bars for training, one line per finished stage, and warnings."""

    def __init__(self, quiet: bool = False, verbose: bool = False, console: Console | None = None):
        self.quiet = quiet
        self.verbose = verbose
        self.console = console or Console(stderr=True)
        self.warnings: list[str] = []

    def info(self, message: str) -> None:
        """One line on stderr, never wrapped by rich (people grep stderr; the terminal
        wraps long lines itself)."""
        if not self.quiet:
            self.console.print(message, highlight=False, soft_wrap=True)

    def detail(self, message: str) -> None:
        if self.verbose and not self.quiet:
            self.console.print(f"[dim]{message}[/dim]", highlight=False, soft_wrap=True)

    def warn(self, message: str) -> None:
        """Warnings are kept for the report and shown even in quiet mode."""
        self.warnings.append(message)
        self.console.print(f"[yellow]warning:[/yellow] {message}", highlight=False,
                           soft_wrap=True)

    @contextlib.contextmanager
    def stage(self, description: str) -> Iterator[None]:
        """A spinner while a stage runs, then its wall time."""
        raise_if_swallowed()
        start = time.perf_counter()
        if self.quiet:
            yield
            raise_if_swallowed()
            return
        with self.console.status(description):
            yield
        raise_if_swallowed()
        self.console.print(
            f"[green]✓[/green] {description} [dim]({time.perf_counter() - start:.1f} s)[/dim]",
            highlight=False, soft_wrap=True,
        )

    def keras_callback(self, description: str, epochs: int):
        """A tf_keras callback that drives a progress bar over all batches of ``epochs``."""
        from edgetf.base.tf_import import import_tf

        _, keras = import_tf()
        reporter = self

        class _ProgressCallback(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self._start = time.perf_counter()
                steps = self.params.get("steps") or 1
                self._progress = None
                if not reporter.quiet:
                    self._progress = Progress(
                        TextColumn("{task.description}"),
                        BarColumn(),
                        MofNCompleteColumn(),
                        TextColumn("{task.fields[metrics]}"),
                        TimeElapsedColumn(),
                        console=reporter.console,
                        transient=True,
                    )
                    self._progress.start()
                    self._task = self._progress.add_task(
                        description, total=steps * epochs, metrics=""
                    )

            def on_train_batch_end(self, batch, logs=None):
                raise_if_swallowed()  # TensorFlow may have lost a Ctrl-C (edgetf.base.interrupts)
                if self._progress is not None:
                    self._progress.advance(self._task)

            def on_epoch_end(self, epoch, logs=None):
                if self._progress is not None and logs:
                    shown = {k: v for k, v in logs.items() if "acc" in k}
                    text = " ".join(f"{k}={v:.3f}" for k, v in shown.items())
                    self._progress.update(self._task, metrics=f"epoch {epoch + 1} {text}")

            def on_train_end(self, logs=None):
                if self._progress is not None:
                    self._progress.stop()
                elapsed = time.perf_counter() - self._start
                reporter.info(
                    f"[green]✓[/green] {description} [dim]({epochs} epochs, {elapsed:.1f} s)[/dim]"
                )

        return _ProgressCallback()
