"""Knowledge distillation: the loss is the textbook one, soft targets reach the student,
teachers are found and checked, and it composes with every step."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from edgetf.base.errors import ModelError
from edgetf.base.progress import Reporter
from edgetf.base.tf_import import import_tf
from edgetf.compress.common import Training, keras_accuracy
from edgetf.compress.distill import Distillation, as_logits, distillation_loss, pack_targets
from edgetf.compress.teacher import load_teacher
from edgetf.data.datasets import Dataset, load_dataset
from edgetf.tflite.reader import read_tflite
from edgetf.train.options import TrainQuantizeOptions
from edgetf.train.train_quantize import train_quantize
from tests.conftest import SEED, write_npz

QUICK = {"epochs": 3, "fine_tune_epochs": 1, "seed": SEED}


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _hand_computed(labels, teacher, student, temperature, alpha):
    """Hinton et al.'s loss, written out in numpy."""
    p_teacher = _softmax(teacher / temperature)
    p_student = _softmax(student / temperature)
    kl = np.sum(p_teacher * (np.log(p_teacher) - np.log(p_student)), axis=-1)
    cross_entropy = -np.log(_softmax(student)[np.arange(len(labels)), labels])
    return alpha * temperature**2 * kl + (1 - alpha) * cross_entropy


@pytest.mark.parametrize(("temperature", "alpha"), [(4.0, 0.9), (1.0, 0.5), (2.5, 0.0)])
def test_loss_is_the_hand_computed_distillation_loss(rng, temperature, alpha):
    labels = rng.integers(0, 5, size=16)
    teacher, student = rng.normal(size=(2, 16, 5)).astype(np.float32) * 3
    expected = _hand_computed(labels, teacher, student, temperature, alpha)
    targets = pack_targets(labels, teacher)
    from_logits = distillation_loss(targets, student, temperature=temperature, alpha=alpha,
                                    from_logits=True)
    np.testing.assert_allclose(from_logits.numpy(), expected, rtol=1e-4, atol=1e-5)
    # A student ending in softmax: log-probabilities are logits, the loss is the same.
    from_probabilities = distillation_loss(targets, _softmax(student), temperature=temperature,
                                           alpha=alpha, from_logits=False)
    np.testing.assert_allclose(from_probabilities.numpy(), expected, rtol=1e-4, atol=1e-4)


def test_teacher_probabilities_become_logits_with_the_same_softened_distribution(rng):
    logits = rng.normal(size=(8, 4)) * 2
    converted = as_logits(_softmax(logits))
    np.testing.assert_allclose(_softmax(converted / 4), _softmax(logits / 4), atol=1e-6)
    np.testing.assert_array_equal(as_logits(logits.astype(np.float32)),
                                  logits.astype(np.float32))


def _dataset(x, y, labels=("a", "b")):
    n = len(x)
    return Dataset("synthetic", x[: n // 2], y[: n // 2], x[n // 2: 3 * n // 4],
                   y[n // 2: 3 * n // 4], x[3 * n // 4:], y[3 * n // 4:], labels)


def _student(keras):
    keras.utils.set_random_seed(SEED)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(2, activation="softmax")])


def test_soft_targets_reach_the_student(rng):
    """With alpha = 1 and shuffled labels, a student can only learn from the teacher."""
    _, keras = import_tf()
    x = rng.normal(size=(800, 4)).astype(np.float32)
    truth = (x[:, 0] - x[:, 1] > 0).astype(np.int64)
    teacher_logits = np.stack([-4 * (x[:, 0] - x[:, 1]), 4 * (x[:, 0] - x[:, 1])], axis=1)
    shuffled = rng.permutation(truth)
    data = _dataset(x, shuffled)
    distillation = Distillation(teacher_logits[:400], teacher_logits[400:600],
                                temperature=2.0, alpha=1.0)
    accuracy = {}
    for name, setting in (("labels", None), ("teacher", distillation)):
        student = _student(keras)
        Training(data, Reporter(quiet=True), distillation=setting).fit(
            student, epochs=15, learning_rate=1e-2, description="")
        accuracy[name] = keras_accuracy(student, x[600:], truth[600:])
    assert accuracy["teacher"] >= 0.9, accuracy
    assert accuracy["labels"] <= 0.7, accuracy


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(300, 16)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 0.5).astype(np.int64)
    folder = tmp_path_factory.mktemp("vectors")
    return str(write_npz(folder / "vec.npz", x_train=x[:240], y_train=y[:240], x_test=x[240:],
                         y_test=y[240:]))


@pytest.fixture(scope="module")
def teacher_run(tmp_path_factory, vectors):
    """An earlier run's folder, with QAT: its model.keras cannot be loaded back."""
    out = tmp_path_factory.mktemp("teacher") / "run"
    train_quantize(TrainQuantizeOptions(data=vectors, out=str(out), **QUICK))
    return out


def test_a_run_folder_is_a_teacher(teacher_run, vectors):
    data = load_dataset(vectors)
    reporter = Reporter(quiet=True)
    teacher = load_teacher(str(teacher_run), data, reporter)
    # The QAT model.keras is replaced by the run's float model, and the user is told.
    assert teacher.source.endswith("model_float.tflite")
    assert "QAT model" in reporter.warnings[0]
    assert teacher.train_logits.shape == (len(data.x_train), 3)
    assert teacher.val_logits.shape == (len(data.x_val), 3)
    assert 0.5 < teacher.accuracy(data.y_test) <= 1


def test_a_keras_model_or_a_folder_holding_model_keras_is_a_teacher(tmp_path, vectors):
    _, keras = import_tf()
    data = load_dataset(vectors)
    keras.utils.set_random_seed(SEED)
    logits_model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(3)])
    (tmp_path / "run").mkdir()
    logits_model.save(tmp_path / "run" / "model.keras")
    teacher = load_teacher(str(tmp_path / "run"), data, Reporter(quiet=True))
    assert teacher.source == str(tmp_path / "run" / "model.keras")
    np.testing.assert_allclose(teacher.test_logits, logits_model.predict(data.x_test),
                               rtol=1e-5, atol=1e-6)


def test_teacher_errors_name_the_path_and_the_fix(tmp_path, vectors):
    data = load_dataset(vectors)
    with pytest.raises(ModelError, match="no such file or folder; give a .keras"):
        load_teacher(str(tmp_path / "nowhere"), data, Reporter(quiet=True))
    _, keras = import_tf()
    wrong = keras.Sequential([keras.Input((16,)), keras.layers.Dense(5)])
    wrong.save(tmp_path / "wrong.keras")
    with pytest.raises(ModelError, match="wrong.keras: the model has 5 outputs but the data "
                                         "has 3 classes"):
        load_teacher(str(tmp_path / "wrong.keras"), data, Reporter(quiet=True))


def test_a_missing_teacher_is_found_before_any_work(tmp_path):
    # The data file is missing too: the teacher is checked first, before the data load.
    with pytest.raises(ModelError, match="--distill-from .*nowhere: no such file or folder"):
        train_quantize(TrainQuantizeOptions(data=str(tmp_path / "absent.npz"),
                                            distill_from=str(tmp_path / "nowhere")))


@pytest.fixture(scope="module")
def distilled_run(teacher_run, vectors, tmp_path_factory):
    """Distilled from the QAT run; low-rank, prune, cluster and QAT all follow."""
    return train_quantize(TrainQuantizeOptions(
        data=vectors, model="mlp", distill_from=str(teacher_run), distill_baseline=True,
        low_rank=0.25, prune=0.5, cluster=8, out=str(tmp_path_factory.mktemp("s") / "run"),
        **QUICK))


def test_distillation_composes_with_every_step(distilled_run, teacher_run):
    """Every step fine-tunes with the teacher; the model ends full int8 and runs under TFLM."""
    report = distilled_run.report
    distillation = report["distillation"]
    assert distillation["teacher"] == str(teacher_run / "model_float.tflite")
    assert (distillation["temperature"], distillation["alpha"]) == (4.0, 0.9)
    for key in ("teacher_accuracy", "student_alone_accuracy", "distilled_student_accuracy"):
        assert 0 <= distillation[key] <= 1
    assert distillation["distilled_student_accuracy"] == report["accuracy"]["float_keras"]
    assert [step["step"] for step in report["steps"]] == ["low_rank", "prune", "cluster", "qat"]
    assert report["steps"][-1]["settings"]["scheme"] == "PCQAT"
    parsed = read_tflite(distilled_run.int8_model)
    assert [t.dtype for t in parsed.input_tensors()] == ["int8"]
    assert report["accuracy"]["int8_tflm"] is not None
    assert report["accuracy"]["tflm_litert_top1_agreement"] >= 0.95
    # model.keras was recompiled with the plain loss: it names nothing edgetf-only.
    with zipfile.ZipFile(distilled_run.out / "model.keras") as archive:
        compiled = json.loads(archive.read("config.json"))["compile_config"]
    assert compiled["loss"]["class_name"] == "SparseCategoricalCrossentropy"


def test_the_student_alone_is_the_run_without_a_teacher(distilled_run, vectors):
    """The baseline is the same student, seed and epochs as a run without --distill-from
    (steps after training do not change it)."""
    alone = train_quantize(TrainQuantizeOptions(data=vectors, model="mlp", qat=False, **QUICK))
    assert (distilled_run.report["distillation"]["student_alone_accuracy"]
            == alone.report["accuracy"]["float_keras"])


def test_summary_shows_teacher_student_alone_and_low_rank(distilled_run):
    from rich.console import Console

    from edgetf.train.report import render_summary

    console = Console(record=True, width=140)
    render_summary(distilled_run.report, console)
    text = console.export_text()
    for fragment in ("teacher accuracy (float)", "student alone (float, Keras)",
                     "float accuracy (Keras), distilled", "low-rank factorization",
                     "right after the SVD", "after fine-tuning"):
        assert fragment in text, fragment
