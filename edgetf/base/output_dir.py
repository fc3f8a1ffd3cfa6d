"""Write a run's files all at once, or not at all.

Files go to a hidden temporary folder beside the destination and are moved into
place only when everything succeeded, so a crash, an error or Ctrl-C never
leaves a half-written output folder behind.

Ctrl-C is held back (edgetf.base.interrupts.held) during the few file operations that must
not stop halfway (making the staging folder, swapping it with the destination, deleting
it): an interrupt there is raised just after them, and one that arrives during the swap
puts the old folder back, so an interrupted command has changed nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from edgetf.base.errors import ConfigError
from edgetf.base.interrupts import held, raise_if_swallowed

# Folders swapped into place while a ``track_commits`` block runs: a Ctrl-C after the
# swap (while the command prints its summary) must not claim that nothing was written.
_commits: contextvars.ContextVar[list[Path] | None] = contextvars.ContextVar(
    "edgetf_output_commits", default=None)


@contextlib.contextmanager
def track_commits() -> Iterator[list[Path]]:
    """Yield a list that every ``staged_output`` finished inside the block appends to."""
    committed: list[Path] = []
    token = _commits.set(committed)
    try:
        yield committed
    finally:
        _commits.reset(token)


def check_destination(out: Path, force: bool) -> None:
    """Refuse a non-empty destination unless ``force``; called before any long work."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ConfigError(f"{out}: folder is not empty; choose another --out or pass --force")


@contextlib.contextmanager
def staged_output(out: Path, force: bool) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``out``, on failure it is deleted."""
    out = Path(out)
    check_destination(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = None
    try:
        with held():
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial",
                                            dir=out.parent))
        yield staging
        raise_if_swallowed()  # a lost Ctrl-C must not be followed by the swap
        with held() as interrupted:
            _swap_in(staging, out, interrupted)
            if not interrupted() and (committed := _commits.get()) is not None:
                committed.append(out)
    finally:
        with held():
            if staging is not None and staging.exists():
                shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, out: Path, interrupted: Callable[[], bool]) -> None:
    """Move ``staging`` to ``out``, replacing it; undone if Ctrl-C came meanwhile."""
    retired = staging.with_suffix(".old") if out.exists() else None
    if retired is not None:
        out.rename(retired)
    staging.rename(out)
    if interrupted():
        out.rename(staging)
        if retired is not None:
            retired.rename(out)
    elif retired is not None:
        shutil.rmtree(retired, ignore_errors=True)

