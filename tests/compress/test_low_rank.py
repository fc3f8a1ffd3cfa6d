"""Low-rank factorization: the rank rules, the rebuilt model, int8 under TFLM, composition."""

from __future__ import annotations

import numpy as np
import pytest

from edgetf.base.errors import OptimizationError
from edgetf.base.progress import Reporter
from edgetf.base.tf_import import import_tf
from edgetf.compress.common import Training
from edgetf.compress.low_rank import _score_layers, choose_rank, factor, low_rank
from edgetf.data.datasets import Dataset
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.agreement import compare_interpreters
from edgetf.train.convert import to_int8_tflite
from edgetf.train.options import TrainQuantizeOptions
from edgetf.train.train_quantize import train_quantize
from tests.conftest import SEED, write_npz


@pytest.mark.parametrize(("ratio", "shape", "rank"), [
    (0.25, (64, 64), 16), (0.25, (64, 10), 3), (0.1, (30, 40), 3), (0.5, (1, 8), 1),
    (0.999, (20, 5), 5),
])
def test_rank_is_ceil_of_ratio_times_the_smaller_side(ratio, shape, rank):
    assert choose_rank(np.ones(min(shape)), shape, ratio=ratio) == rank


def test_energy_keeps_the_fewest_singular_values_holding_that_share():
    singular_values = np.sqrt([50.0, 30.0, 15.0, 5.0])  # squares: 50 %, 30 %, 15 %, 5 %
    assert choose_rank(singular_values, (4, 4), energy=0.5) == 1
    assert choose_rank(singular_values, (4, 4), energy=0.8) == 2
    assert choose_rank(singular_values, (4, 4), energy=0.81) == 3
    assert choose_rank(singular_values, (4, 4), energy=1.0) == 4


def test_factors_are_the_truncated_svd(rng):
    matrix = rng.normal(size=(12, 7))
    singular_values = np.linalg.svd(matrix, compute_uv=False)
    factors = factor(matrix, ratio=3 / 7)
    assert factors.rank == 3 and factors.first.shape == (12, 3)
    assert factors.second.shape == (3, 7)
    # The best rank-3 approximation: its error is the dropped singular values (Eckart-Young).
    error = np.linalg.norm(matrix - factors.first @ factors.second)
    assert error == pytest.approx(np.sqrt(np.sum(singular_values[3:] ** 2)), rel=1e-5)
    assert factors.kept_energy == pytest.approx(
        np.sum(singular_values[:3] ** 2) / np.sum(singular_values**2))
    full = factor(matrix, energy=1.0)
    np.testing.assert_allclose(full.first @ full.second, matrix, atol=1e-5)


def _images(rng, n=240):
    """(6, 6, 3) images whose class is the brightest channel."""
    y = rng.integers(0, 3, size=n)
    x = rng.normal(0, 0.3, size=(n, 6, 6, 3)).astype(np.float32)
    x[np.arange(n), :, :, y] += 1.0
    third = n // 3
    return Dataset("images", x[:third], y[:third], x[third:2 * third], y[third:2 * third],
                   x[2 * third:], y[2 * third:], ("r", "g", "b"))


def _functional(keras):
    """1x1 convolutions (one strided), a 3x3 one, a Dense that shrinks and two too small
    to: a 40x1 or 1x3 matrix at rank 1 needs 41 or 4 weights."""
    keras.utils.set_random_seed(SEED)
    inputs = keras.Input((6, 6, 3))
    x = keras.layers.Conv2D(32, 1, activation="relu", name="expand")(inputs)
    x = keras.layers.Conv2D(32, 1, strides=2, padding="same", activation="relu",
                            name="mix")(x)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv3x3")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(40, activation="relu", name="hidden")(x)
    x = keras.layers.Dense(1, name="narrow")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="scores")(x)
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def factored():
    """The functional model factored at R = 0.25 and fine-tuned for one epoch."""
    _, keras = import_tf()
    data = _images(np.random.default_rng(SEED))
    model = _functional(keras)
    training = Training(data, Reporter(quiet=True))
    training.fit(model, epochs=3, learning_rate=1e-2, description="")
    new, report = low_rank(model, training, ratio=0.25, epochs=1)
    return model, new, report, data


def test_factored_model_is_smaller_with_the_same_inputs_and_outputs(factored):
    model, new, report, _ = factored
    assert new.count_params() < model.count_params()
    assert new.input_shape == model.input_shape and new.output_shape == model.output_shape
    names = [layer.name for layer in new.layers]
    for name in ("mix", "hidden"):
        assert f"{name}_lr_a" in names and f"{name}_lr_b" in names and name not in names
    first, second = new.get_layer("hidden_lr_a"), new.get_layer("hidden_lr_b")
    assert (first.units, first.use_bias, first.activation.__name__) == (10, False, "linear")
    assert (second.units, second.use_bias, second.activation.__name__) == (40, True, "relu")
    assert new.get_layer("mix_lr_a").strides == (2, 2)
    assert new.get_layer("mix_lr_b").strides == (1, 1)


def test_report_gives_per_layer_figures_and_skipped_layers(factored):
    _, new, report, _ = factored
    step = report.to_dict()
    rows = {row["layer"]: row for row in step["per_layer"]}
    assert set(step["layers"]) == set(rows) == {"expand", "mix", "hidden"}
    assert rows["hidden"] == {
        "layer": "hidden", "type": "Dense", "matrix": [72, 40], "rank": 10,
        "kept_energy": rows["hidden"]["kept_energy"],
        "original_parameters": 72 * 40 + 40, "factored_parameters": 10 * 112 + 40}
    assert 0 < rows["hidden"]["kept_energy"] < 1
    assert rows["mix"]["type"] == "Conv2D" and rows["mix"]["matrix"] == [32, 32]
    skipped = {row["layer"]: row["reason"] for row in step["skipped"]}
    assert set(skipped) == {"conv3x3", "narrow", "scores"}
    assert "Dense and 1x1 Conv2D kernels only" in skipped["conv3x3"]
    assert skipped["narrow"] == ("rank 1 factors hold 41 weights, not fewer than the "
                                 "40x1 = 40 of the layer")
    assert skipped["scores"].startswith("it gives the model's 3 outputs")
    results = step["results"]
    assert results["parameters_after"] == new.count_params()
    assert results["parameters_after"] < results["parameters_before"]
    for key in ("accuracy_before", "accuracy_after_svd", "accuracy_after_fine_tune"):
        assert 0 <= results[key] <= 1


def test_factored_model_converts_to_full_int8_and_runs_under_tflm(factored):
    _, new, _, data = factored
    int8_model = to_int8_tflite(new, data.x_train, samples=50)
    parsed = read_tflite(int8_model)
    assert [t.dtype for t in parsed.input_tensors()] == ["int8"]
    assert [t.dtype for t in parsed.output_tensors()] == ["int8"]
    ops = [op.name for op in parsed.main.operators]
    assert ops.count("FULLY_CONNECTED") == 4  # hidden in two, narrow, scores
    assert ops.count("CONV_2D") == 5  # expand and mix in two each, conv3x3
    comparison = compare_interpreters(int8_model, data.x_test, data.y_test)
    assert comparison.tflm_accuracy is not None
    assert comparison.top1_agreement >= 0.95


def test_a_sequential_model_of_rank_4_is_reproduced_exactly(rng):
    _, keras = import_tf()
    data = _images(rng)
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([keras.Input((6, 6, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(32, activation="relu", name="hidden"),
                              keras.layers.Dense(3, activation="softmax", name="scores")])
    _, bias = model.get_layer("hidden").get_weights()
    rank_4 = (rng.normal(size=(108, 4)) @ rng.normal(size=(4, 32)) / 10).astype(np.float32)
    model.get_layer("hidden").set_weights([rank_4, bias + 0.1])
    new, report = low_rank(model, Training(data, Reporter(quiet=True)), energy=1.0, epochs=0)
    assert isinstance(new, keras.Sequential)
    assert report.layers == ["hidden"] and report.per_layer[0]["rank"] == 4
    assert [row["layer"] for row in report.skipped] == ["scores"]  # the outputs stay whole
    x = data.x_test[:5]
    np.testing.assert_allclose(new.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-5)


def test_the_layers_giving_the_outputs_are_found_behind_weightless_layers():
    _, keras = import_tf()
    inputs = keras.Input((12,))
    hidden = keras.layers.Dense(8, name="hidden")(inputs)
    scores = keras.layers.Dense(4, name="scores")(hidden)
    probabilities = keras.layers.Softmax()(keras.layers.Reshape((4,))(scores))
    side = keras.layers.Dense(2, activation="sigmoid", name="side")(hidden)
    model = keras.Model(inputs, [probabilities, side])
    assert _score_layers(model) == {"scores", "side"}
    sequential = keras.Sequential([keras.Input((12,)), keras.layers.Dense(8, name="a"),
                                   keras.layers.Dense(4, name="b"), keras.layers.Softmax()])
    assert _score_layers(sequential) == {"b"}


def test_a_model_with_nothing_to_factor_is_an_error(rng):
    _, keras = import_tf()
    data = _images(rng)
    model = keras.Sequential([keras.Input((6, 6, 3)), keras.layers.Conv2D(3, 3),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Softmax()])
    with pytest.raises(OptimizationError, match="no Dense or 1x1 Conv2D layer to factor"):
        low_rank(model, Training(data, Reporter(quiet=True)), ratio=0.5, epochs=0)


def test_when_no_layer_would_shrink_the_model_is_kept_and_the_user_told(rng):
    _, keras = import_tf()
    data = _images(rng)
    model = keras.Sequential([keras.Input((6, 6, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(3, name="narrow"),
                              keras.layers.Dense(3, name="scores"), keras.layers.Softmax()])
    reporter = Reporter(quiet=True)
    # 108x3 at rank ceil(0.9 * 3) = 3 needs 333 weights, not fewer than 324
    same, report = low_rank(model, Training(data, reporter), ratio=0.9, epochs=1)
    assert same is model and report.layers == []
    skipped = {row["layer"]: row["reason"] for row in report.skipped}
    assert skipped["narrow"] == ("rank 3 factors hold 333 weights, not fewer than the "
                                 "108x3 = 324 of the layer")
    assert skipped["scores"] == ("rank 3 factors hold 18 weights, not fewer than the "
                                 "3x3 = 9 of the layer")
    assert "no layer gets smaller" in reporter.warnings[0]
    assert report.results["parameters_after"] == report.results["parameters_before"]


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(300, 24)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 0.5).astype(np.int64)
    folder = tmp_path_factory.mktemp("vectors")
    return str(write_npz(folder / "vec.npz", x_train=x[:240], y_train=y[:240], x_test=x[240:],
                         y_test=y[240:]))


def test_low_rank_energy_composes_with_prune_cluster_and_qat(vectors):
    result = train_quantize(TrainQuantizeOptions(
        data=vectors, model="mlp", low_rank_energy=0.6, prune=0.5, cluster=8, qat=True,
        epochs=3, fine_tune_epochs=1, seed=SEED))
    report = result.report
    low, prune, cluster, qat = report["steps"]
    assert low["step"] == "low_rank" and low["settings"]["energy"] == 0.6
    assert all(row["kept_energy"] >= 0.6 for row in low["per_layer"])
    factored = {f"{name}_lr_{part}" for name in low["layers"] for part in "ab"}
    assert factored <= set(prune["layers"])
    too_small = {row["layer"] for row in cluster["skipped"] if "not more than" in row["reason"]}
    assert factored <= set(cluster["layers"]) | too_small  # e.g. a 1x3 second factor
    assert {"dense1_lr_a", "dense1_lr_b"} <= set(cluster["layers"])
    assert qat["settings"]["scheme"] == "PCQAT"
    assert "scores" not in low["layers"]
    rows = {row["layer"]: row for row in report["layers"]}
    for name in factored & set(rows):
        assert rows[name]["sparsity"] >= 0.45 and rows[name]["max_distinct_per_channel"] <= 8
    assert report["accuracy"]["int8_tflm"] is not None
    assert report["accuracy"]["tflm_litert_top1_agreement"] >= 0.95
