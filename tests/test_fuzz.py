"""Hostile model files: hundreds of damaged ``.tflite`` through inspect and emit-firmware.

Mutants come from the tests' own tiny models (``tests/fuzz/mutate.py``: bit flips,
absurd offsets, vtables, vector lengths, tensor shapes and buffer offsets, truncation,
random bytes, empty and text files, a folder). Every command must end with exit code 0
or 2, one ``error:`` line and no traceback, and leave nothing behind when it fails. The
commands run in this process (CliRunner; a process each costs about half a second more),
with the TFLM interpreter sabotaged here so that any use of it outside edgetf's child
process fails the test; a few mutants also go through the real entry point.
``benchmarks/fuzz.py`` runs the same fuzzer over 10,000 mutants.
"""

from __future__ import annotations

import collections
import shutil

import pytest

import edgetf.tflm.interpreter
from tests.fuzz import oracle
from tests.fuzz.harness import commands, run_in_process, run_subprocess, seed_models, write_mutant
from tests.fuzz.mutate import MUTATIONS, mutants, structure

FUZZ_SEED = 42
#: Mutants per run, each through both commands: about 30 s on two cores.
COUNT = 320


@pytest.fixture(scope="module")
def seeds():
    return seed_models()


@pytest.fixture
def tflm_guard(monkeypatch):
    """Counts edgetf's TFLM child processes, and replaces the TFLM interpreter of this
    process with one that records its use and refuses to run."""
    used: list[str] = []
    launches: list[str] = []
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:  # no wheel for this platform: nothing can run TFLM here anyway
        runtime = None
    if runtime is not None:
        class Sabotaged:
            def __init__(self, *args, **kwargs):
                used.append("Interpreter()")
                raise AssertionError("the TFLM interpreter ran in the CLI's own process")

            @classmethod
            def from_bytes(cls, *args, **kwargs):
                used.append("Interpreter.from_bytes")
                raise AssertionError("the TFLM interpreter ran in the CLI's own process")

        monkeypatch.setattr(runtime, "Interpreter", Sabotaged)
    real_run_child = edgetf.tflm.interpreter._run_child

    def counting(args, cwd, timeout):
        launches.append(args[0])
        return real_run_child(args, cwd, timeout)

    monkeypatch.setattr(edgetf.tflm.interpreter, "_run_child", counting)
    return used, launches


def test_the_walker_finds_the_structure_of_every_seed(seeds):
    for name, data in seeds.items():
        kinds = {site.kind for site in structure(data)}
        assert {"root table offset", "tensor shape", "tensor buffer", "operator input",
                "buffer data length", "tensor vtable entry"} <= kinds, name
    assert "buffer file offset" in {s.kind for s in structure(seeds["cnn_external_weights"])}


def test_mutants_are_reproducible_from_their_index(seeds):
    assert mutants(seeds, 5, FUZZ_SEED, start=30) == mutants(seeds, 35, FUZZ_SEED)[30:]


def test_damaged_models_end_in_exit_0_or_2_without_a_traceback(seeds, tmp_path, tflm_guard):
    results = collections.defaultdict(list)
    batch = mutants(seeds, COUNT, FUZZ_SEED)
    for index, mutant in enumerate(batch):
        path = write_mutant(mutant, tmp_path / f"m{index}.tflite")
        out = tmp_path / f"fw{index}"
        for name, args in commands(path, out, index).items():
            outcome = run_in_process(name, args, out if name == "emit-firmware" else None,
                                     model=path)
            results[name].append((index, mutant, outcome))
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    failures = [f"mutant {index} ({mutant.kind}: {mutant.detail}), {o.command}: {o.message}"
                for runs in results.values() for index, mutant, o in runs if not o.ok]
    assert not failures, "\n".join(failures[:20])
    assert {mutant.kind for mutant in batch} == set(MUTATIONS)
    for name, runs in results.items():
        codes = collections.Counter(o.exit_code for _, _, o in runs)
        assert len(runs) >= 300 and codes[0] >= 20 and codes[2] >= 150, (name, codes)
    used, launches = tflm_guard
    assert not used
    if edgetf.tflm.interpreter.tflm_available():
        # Mutants that still parse did reach TFLM, in child processes.
        assert launches.count("measure") >= 40, collections.Counter(launches)
        _check_against_tflm(batch, results)


def _check_against_tflm(batch, results) -> None:
    """The differential: every mutant that TFLM itself allocates and invokes (asked
    without edgetf's reader, see tests/fuzz/oracle.py) is described by inspect and not
    called corrupt by emit-firmware, which may still refuse it for fit or kernels."""
    files = [(i, m) for i, m in enumerate(batch) if not m.directory]
    accepted = {i for (i, _), runs in zip(files, oracle.tflm_runs([m.data for _, m in files]),
                                          strict=True) if runs}
    assert len(accepted) >= 20, len(accepted)  # the seeds' own mutations that TFLM takes
    wrong = [f"mutant {index} ({mutant.kind}: {mutant.detail}): TFLM runs it, {name} said "
             f"{outcome.message}"
             for name, runs in results.items() for index, mutant, outcome in runs
             if index in accepted and oracle.disagrees(name, outcome.exit_code, outcome.message)]
    assert not wrong, "\n".join(wrong[:20])


def test_the_real_entry_point_on_a_few_mutants(seeds, tmp_path):
    """A new process each, as users run it: the first ten mutants, one per mutation."""
    for index, mutant in enumerate(mutants(seeds, 10, FUZZ_SEED)):
        path = write_mutant(mutant, tmp_path / f"m{index}.tflite")
        out = tmp_path / f"fw{index}"
        name, args = list(commands(path, out, index).items())[index % 2]
        outcome = run_subprocess(name, args, out if name == "emit-firmware" else None,
                                 cwd=tmp_path, model=path)
        assert outcome.ok, (index, mutant.kind, mutant.detail, outcome)


# --- what the fuzzer found, kept as regressions ----------------------------------------


def _edited(data: bytes, edit) -> bytes:
    """``data`` decoded with the schema's object API, changed by ``edit``, encoded again."""
    schema = pytest.importorskip(
        "tflite_micro.tensorflow.lite.micro.python.schema_py_generated")
    import flatbuffers

    model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    edit(model)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _both(tmp_path, data: bytes) -> dict:
    path = tmp_path / "found.tflite"
    path.write_bytes(data)
    out = tmp_path / "fw"
    runs = {name: run_in_process(name, [*args[:2], "--json", *args[2:]] if name == "inspect"
                                 else args, out if name == "emit-firmware" else None,
                                 model=path)
            for name, args in commands(path, out, 0).items()}
    assert all(o.ok for o in runs.values()), runs
    return runs


def test_a_model_without_inputs_or_outputs_is_described_not_emitted(seeds, tmp_path):
    def edit(model):  # a vtable size of 4 hid the subgraph's inputs and outputs
        model.subgraphs[0].inputs, model.subgraphs[0].outputs = [], []

    runs = _both(tmp_path, _edited(seeds["residual"], edit))
    assert runs["inspect"].exit_code == 0
    assert runs["emit-firmware"].exit_code == 2
    assert "its main subgraph has 0 inputs and 0 outputs" in runs["emit-firmware"].message


def test_a_huge_activation_is_estimated_not_measured(seeds, tmp_path):
    """16,777,216 x 5 int8 fits 32-bit counts, but measuring its 80 MB arena took half a
    minute of probes; now it is refused before any child starts."""

    def edit(model):
        graph = model.subgraphs[0]
        graph.tensors[graph.operators[1].outputs[0]].shape = [16777216, 5]

    runs = _both(tmp_path, _edited(seeds["cnn"], edit))
    assert runs["inspect"].exit_code == 0 and runs["inspect"].seconds < 10
    assert runs["emit-firmware"].exit_code == 2
    assert "more than the 33,554,432 bytes edgetf runs TFLM with" in \
        runs["emit-firmware"].message


def test_a_scale_near_the_float32_limit_gives_no_numpy_warning(seeds, tmp_path):
    def edit(model):  # the demo's sample dequantizes to +-inf, as it would on the board
        graph = model.subgraphs[0]
        graph.tensors[graph.inputs[0]].quantization.scale = [3e38]

    runs = _both(tmp_path, _edited(seeds["cnn"], edit))
    assert runs["emit-firmware"].exit_code == 0


def test_an_op_the_planner_cannot_follow_falls_back_not_crashes(seeds, tmp_path):
    """Mutant 298 of seed 42 (a residual MLP with a builtin code changed to
    FULLY_CONNECTED over tensors that kernel cannot read) crashed the planner's
    CMSIS-NN entry: now the op is reported and the board falls back to the host figure."""
    from edgetf.analyze.inspect import inspect_model

    (mutant,) = mutants(seeds, 1, FUZZ_SEED, start=298)
    verdicts = inspect_model(mutant.data, "m.tflite", measure=False).boards
    fallback = [v.arena for v in verdicts.values() if v.arena.method != "planned"]
    assert fallback, "the mutant no longer reaches the planner's odd case"
    assert all("cannot plan" in a.fallback_reason or "could not follow" in a.fallback_reason
               for a in fallback)
    assert all(a.bytes >= a.host_bytes for a in fallback)
