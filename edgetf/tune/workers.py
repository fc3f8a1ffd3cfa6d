"""Workers: the loop that asks Optuna for trials and runs them, in-process or in K processes.

``--workers 1`` runs trials in the calling process. ``--workers K`` starts K processes
(multiprocessing's spawn: a fresh interpreter each, nothing of TensorFlow's state
inherited) that share the study through its storage and draw from one pool of
``--trials`` tickets, so K workers finish N trials together and no trial runs twice (each
is a distinct trial of the study, numbered by the storage). Each process gets one core's
worth of threads: ``OMP_NUM_THREADS`` and TensorFlow's ``TF_NUM_INTRAOP_THREADS`` /
``TF_NUM_INTEROP_THREADS`` set to 1 in its environment before it imports anything.

Ctrl-C reaches every worker (the terminal signals the whole process group; the parent
forwards it too): each marks its running trial failed, so the study holds no trial left
"running", and every finished trial is already in the storage.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

from edgetf.base.errors import EdgetfError
from edgetf.base.interrupts import CtrlC, held
from edgetf.tune.options import TuneOptions
from edgetf.tune.study import epochs_study, open_storage, open_study, quiet_optuna, trial_sampler

#: The environment of a worker process: one thread for OpenMP (NumPy, oneDNN) and for
#: TensorFlow's two thread pools, which TensorFlow reads when it creates them.
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1",
                   "TF_NUM_INTEROP_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                   "MKL_NUM_THREADS": "1"}
#: How long the parent waits for its workers to end their trial after Ctrl-C.
_STOP_GRACE_S = 120


def work(options: TuneOptions, take_ticket: Callable[[], bool],
         emit: Callable[[dict], None], plan=None) -> None:
    """Run trials while ``take_ticket()`` says so; ``emit`` each one's summary."""
    from edgetf.tune.pruning import make_pruner
    from edgetf.tune.trial import make_plan, run_trial

    optuna = quiet_optuna()
    plan = plan or make_plan(options)
    storage = open_storage(options)
    study = open_study(storage, options)
    companions: dict = {}

    def companion(group: str):
        if group not in companions:
            companions[group] = epochs_study(storage, options, group, make_pruner())
        return companions[group]

    states = {"complete": optuna.trial.TrialState.COMPLETE,
              "pruned": optuna.trial.TrialState.PRUNED, "fail": optuna.trial.TrialState.FAIL}
    while take_ticket():
        trial = study.ask()
        study.sampler = trial_sampler(options.seed, trial.number)
        try:
            outcome = run_trial(trial, plan, companion)
        except BaseException as error:
            with held():  # a second Ctrl-C must not leave the trial "running"
                trial.set_user_attr("error", "interrupted" if isinstance(
                    error, KeyboardInterrupt) else f"{type(error).__name__}: {error}")
                study.tell(trial, state=states["fail"])
            raise
        with held():
            study.tell(trial, outcome.values, state=states[outcome.state])
        emit({"event": "trial", **outcome.summary})


def run_workers(options: TuneOptions, emit: Callable[[dict], None], plan=None) -> list[str]:
    """Run ``options.trials`` trials with ``options.workers`` workers; return the errors
    workers stopped with (an in-process worker raises instead)."""
    deadline = time.time() + options.timeout if options.timeout else None
    if options.trials == 0:
        return []
    if options.workers == 1:
        left = [options.trials]

        def take() -> bool:
            if left[0] <= 0 or (deadline is not None and time.time() >= deadline):
                return False
            left[0] -= 1
            return True

        work(options, take, emit, plan)
        return []
    return _processes(options, deadline, emit)


def _processes(options: TuneOptions, deadline: float | None,
               emit: Callable[[dict], None]) -> list[str]:
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    tickets = context.Value("i", options.trials)
    events = context.Queue()
    processes = [context.Process(target=_worker_main, name=f"edgetf-tune-{index}",
                                 args=(options, tickets, deadline, events))
                 for index in range(options.workers)]
    saved = {name: os.environ.get(name) for name in SINGLE_THREADED}
    os.environ.update(SINGLE_THREADED)  # spawn copies the parent's environment
    try:
        for process in processes:
            process.start()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    errors: list[str] = []
    try:
        _collect(processes, events, emit, errors)
    except KeyboardInterrupt:
        for process in processes:
            if process.is_alive() and process.pid:
                os.kill(process.pid, signal.SIGINT)
        for process in processes:
            process.join(_STOP_GRACE_S)
        raise
    return errors


def _collect(processes, events, emit, errors: list[str]) -> None:
    """Pass the workers' events on until every worker has ended."""
    import queue

    ended = 0
    while ended < len(processes):
        try:
            event = events.get(timeout=0.5)
        except queue.Empty:
            crashed = [p for p in processes if not p.is_alive() and p.exitcode not in (0, None)
                       and p.exitcode != 130]
            if all(not p.is_alive() for p in processes):
                errors += [f"worker {p.name} died (exit code {p.exitcode})" for p in crashed]
                return
            continue
        if event["event"] == "exit":
            ended += 1
        elif event["event"] == "error":
            errors.append(event["message"])
        elif event["event"] == "interrupted":
            raise KeyboardInterrupt
        else:
            emit(event)


class _OnceCtrlC(CtrlC):
    """A worker's SIGINT handler: the first one stops the work, later ones are ignored so
    that the trial can still be marked failed."""

    def __call__(self, signum, frame) -> None:
        if not self.received:
            super().__call__(signum, frame)


def _worker_main(options: TuneOptions, tickets, deadline: float | None, events) -> None:
    """The body of one worker process."""
    signal.signal(signal.SIGINT, _OnceCtrlC())

    def take() -> bool:
        with tickets.get_lock():
            if tickets.value <= 0 or (deadline is not None and time.time() >= deadline):
                return False
            tickets.value -= 1
            return True

    try:
        work(options, take, events.put)
    except KeyboardInterrupt:
        events.put({"event": "interrupted"})
    except EdgetfError as error:
        events.put({"event": "error", "message": str(error)})
    except Exception as error:  # noqa: BLE001 - the parent reports it, in one line
        events.put({"event": "error", "message": f"{type(error).__name__}: {error}"})
    finally:
        events.put({"event": "exit"})
