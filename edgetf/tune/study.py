"""Where a study lives (a journal file, or a database for many machines) and how it samples.

The default storage is Optuna's journal file in the output folder: every finished trial is
appended as it ends, so Ctrl-C keeps them, a second run resumes the study, and processes on
one machine share it through the file's lock. ``--storage postgresql://...`` is Optuna's
RDB storage, shared by workers on many machines.

Each trial gets a sampler seeded from ``--seed`` and the trial's number, set after the
trial exists and before it samples anything (Optuna samples on ``suggest``, not on
``ask``): the same seed gives the same trials on a rerun, while a resumed study and
parallel workers, whose trials have other numbers, never repeat one another's draws.
"""

from __future__ import annotations

import random
import re
import time
import warnings
from pathlib import Path

from edgetf.base.errors import ConfigError
from edgetf.tune.options import TuneOptions

JOURNAL = "study.journal"
#: Optuna's pruners refuse multi-objective studies (``Trial.report`` raises
#: NotImplementedError there), so each trial's per-epoch validation accuracy goes to a
#: single-objective companion study, ``<study>.epochs.<architecture>`` in the same storage,
#: whose pruner decides; see edgetf.tune.pruning.
EPOCHS_SUFFIX = ".epochs."
SETTINGS_KEY = "edgetf_settings"
_CREATE_ATTEMPTS = 5


def quiet_optuna():
    """Optuna logs every trial at INFO and warns about experimental features; edgetf
    prints its own lines."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna


def open_storage(options: TuneOptions):
    """The study's storage; a database that cannot be reached is one line."""
    optuna = quiet_optuna()
    url = options.storage
    if url is None or "://" not in url:
        from optuna.storages.journal import JournalFileBackend

        path = Path(url) if url else Path(options.out or ".") / JOURNAL
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return optuna.storages.JournalStorage(JournalFileBackend(str(path)))
        except OSError as error:
            raise ConfigError(f"--storage {path}: cannot open the journal file ({error})") \
                from None
    try:
        return _rdb_storage(optuna, url)
    except ImportError:  # Optuna's own ImportError, without the module's name
        raise ConfigError(f"--storage {redact(url)}: the database driver for this URL is not "
                          "installed; for PostgreSQL: pip install 'edgetf[postgres]'") from None
    except Exception as error:  # SQLAlchemy raises one type per driver and failure
        raise ConfigError(f"--storage {redact(url)}: cannot reach the database "
                          f"({_first_line(error)}); check the host, port, user, password and "
                          "database name, and that the server is running") from None


def _rdb_storage(optuna, url: str):
    """Optuna's RDB storage, tried again when another worker creates the tables at the
    same moment. Seen with PostgreSQL 15: two workers starting together on a new database
    both run Optuna's CREATE TABLE and one fails with "duplicate key value violates unique
    constraint pg_type_typname_nsp_index"; a moment later the tables exist. A connection
    failure (OperationalError) is final."""
    import sqlalchemy.exc

    for attempt in range(_CREATE_ATTEMPTS):
        try:
            return optuna.storages.RDBStorage(
                _with_driver(url), engine_kwargs={"connect_args": _connect_args(url)})
        except sqlalchemy.exc.OperationalError:
            raise
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
            if attempt == _CREATE_ATTEMPTS - 1:
                raise
            time.sleep(0.5 + random.random())
    raise AssertionError("unreachable")


def _with_driver(url: str) -> str:
    """Name psycopg (3) for a bare ``postgresql://`` URL. Seen with SQLAlchemy 2.1: a bare
    URL now means psycopg 3, where 2.0 took psycopg2, so the driver edgetf installs
    (the ``postgres`` extra) is named explicitly and works with both."""
    scheme, rest = url.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else url


def _connect_args(url: str) -> dict:
    """Give up on an unreachable PostgreSQL server after seconds, not minutes."""
    return {"connect_timeout": 10} if url.startswith("postgres") else {}


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def directions(options: TuneOptions) -> list[str]:
    """Accuracy up; flash and RAM down; latency down when it is capped."""
    found = ["maximize", "minimize", "minimize"]
    return [*found, "minimize"] if options.max_latency_ms is not None else found


def open_study(storage, options: TuneOptions):
    """Create the study or load it; a resumed study must have been measured the same way."""
    optuna = quiet_optuna()
    try:
        study = optuna.create_study(storage=storage, study_name=options.study,
                                    directions=directions(options), load_if_exists=True)
    except Exception as error:
        raise ConfigError(f"--study {options.study}: cannot open it ({_first_line(error)})") \
            from None
    settings = options.settings()
    stored = study.user_attrs.get(SETTINGS_KEY)
    if stored is None:
        study.set_user_attr(SETTINGS_KEY, settings)
    elif stored != settings:
        changed = sorted(key for key in set(stored) | set(settings)
                         if stored.get(key) != settings.get(key))
        shown = "; ".join(f"{key}: {stored.get(key)!r} then, {settings.get(key)!r} now"
                          for key in changed)
        raise ConfigError(
            f"study '{options.study}' was run with other settings ({shown}); its trials "
            "were measured against those, so give the same ones, or another --study or --out")
    elif [d.name.lower() for d in study.directions] != directions(options):
        raise ConfigError(f"study '{options.study}' has other objectives; use another --study")
    return study


def epochs_study(storage, options: TuneOptions, group: str, pruner):
    """The companion study that holds the per-epoch validation accuracies of one
    architecture's trials (``group``)."""
    optuna = quiet_optuna()
    return optuna.create_study(
        storage=storage, study_name=options.study + EPOCHS_SUFFIX + group, direction="maximize",
        pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0), load_if_exists=True)


def trial_sampler(seed: int, number: int):
    """The sampler for trial ``number``: TPE, seeded from both numbers. It reads the caps
    from each finished trial's constraints (``Trial.set_constraint``: Optuna 5.0 deprecated
    the sampler's ``constraints_func`` for it), so infeasible trials count as worse than
    every feasible one."""
    import numpy as np

    optuna = quiet_optuna()
    mixed = int(np.random.SeedSequence([seed, number]).generate_state(1)[0])
    return optuna.samplers.TPESampler(seed=mixed)
