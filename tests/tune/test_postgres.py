"""A study shared through a real PostgreSQL server, as workers on many machines share it.

The test starts a throwaway cluster in a temporary folder (Debian's ``postgresql``, which
``.ci/run`` installs: initdb, then pg_ctl on 127.0.0.1 and a free port), runs two
``edgetf tune`` processes against it at once, each with its own output folder as on two
machines, checks the trials they added together, and stops the server. PostgreSQL's
initdb refuses to run as root, so as root (CI) the server runs as Debian's ``postgres``
user, through ``runuser``.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.tune.conftest import tune_args


def _server_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]))
    initdb = found[-1] if found else shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    if os.environ.get("CI"):
        pytest.fail("no PostgreSQL server here; .ci/run installs Debian's postgresql")
    pytest.skip("no PostgreSQL server here (apt-get install postgresql)")


def _as_owner(command: list) -> list[str]:
    """initdb and postgres refuse root: run them as the unprivileged ``postgres`` user
    (from the server's own folder, since the checkout may be closed to that user)."""
    command = [str(part) for part in command]
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def postgres_url():
    bin_dir = _server_bin()
    root = Path(tempfile.mkdtemp(prefix="edgetf-pg-", dir="/tmp"))  # readable by postgres
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, port = root / "data", _free_port()
    try:
        subprocess.run(_as_owner([bin_dir / "initdb", "-D", data, "-A", "trust", "-U",
                                  "edgetf", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True, timeout=120, cwd=root)
        subprocess.run(_as_owner([bin_dir / "pg_ctl", "-D", data, "-l", root / "server.log",
                                  "-w", "-t", "60", "-o",
                                  f"-p {port} -k {root} -c listen_addresses=127.0.0.1 "
                                  "-c fsync=off", "start"]),
                       check=True, capture_output=True, timeout=120, cwd=root)
        yield f"postgresql://edgetf@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_owner([bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "stop"]),
                       capture_output=True, timeout=60, cwd=root)
        shutil.rmtree(root, ignore_errors=True)


def test_two_workers_share_one_postgresql_study(postgres_url, tune_config, tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    machines = [tmp_path / "machine-a", tmp_path / "machine-b"]
    processes = [subprocess.Popen(
        [sys.executable, "-m", "edgetf", *tune_args(tune_config, out, "--trials", "1",
                                                    "--storage", postgres_url,
                                                    "--study", "shared")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for out in machines]
    results = [process.communicate(timeout=600) for process in processes]
    for process, (_, stderr) in zip(processes, results, strict=True):
        assert process.returncode == 0, stderr

    import optuna

    study = optuna.load_study(study_name="shared", storage=postgres_url)
    trials = study.get_trials(deepcopy=False)
    assert sorted(t.number for t in trials) == [0, 1]
    assert all(t.state.name == "COMPLETE" for t in trials)
    assert sorted(t.user_attrs["folder"] for t in trials) == ["trials/0000", "trials/0001"]
    ran_in = {out.name for out in machines for t in trials if (out / t.user_attrs["folder"])
              .is_dir()}
    assert ran_in == {"machine-a", "machine-b"}  # one trial each, none twice
    # Each machine reports the whole study as it found it; the later one saw both trials,
    # and its best/ may be the other machine's trial, trained again from its options.
    rows = [len((out / "trials.csv").read_text().splitlines()) - 1 for out in machines]
    assert max(rows) == 2
    for out in machines:
        summary = json.loads((out / "best" / "tune.json").read_text())
        assert (out / "best" / "model.tflite").is_file()
        assert summary["rebuilt"] == (not (out / f"trials/{summary['trial']:04d}").is_dir())
    assert sorted(optuna.get_all_study_names(postgres_url)) == ["shared", "shared.epochs.mlp"]
