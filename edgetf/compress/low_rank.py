"""Low-rank factorization: a weight matrix W (m x n) becomes two of rank r, W ≈ A·B.

A Dense layer (or a 1x1 Conv2D, the same matrix applied at every pixel) becomes two
layers: the first maps m inputs to r values with no bias and no activation, the second
maps those to the n outputs with the original bias and activation. A and B start from
the truncated SVD (the best rank-r approximation of W), then the whole model is
fine-tuned. This pays off only when r·(m + n) < m·n; other layers are left alone and
reported. Both new layers are plain Dense/Conv2D, so prune, cluster, QAT, the int8
converter and TFLM handle them like any other (two FULLY_CONNECTED or CONV_2D ops).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from edgetf.base.errors import OptimizationError
from edgetf.base.tf_import import import_tf
from edgetf.compress.common import StepReport, Training, has_trainable_weights, keras_accuracy

# The training rate, not pruning's 5e-4: factoring removes at once what pruning's schedule
# removes gradually, and the factors have much to relearn (digits MLP at R = 0.25, four
# epochs, 3 seeds: 84.3 % int8 at 1e-3 against 79.0 % at 5e-4).
LEARNING_RATE = 1e-3
FIRST, SECOND = "_lr_a", "_lr_b"  # suffixes of the two layers that replace one


@dataclass(frozen=True)
class Factors:
    """``first`` (m x r) times ``second`` (r x n) approximates the matrix."""

    rank: int
    kept_energy: float
    first: np.ndarray
    second: np.ndarray


def choose_rank(singular_values: np.ndarray, shape: tuple[int, int], *,
                ratio: float | None = None, energy: float | None = None) -> int:
    """``ceil(ratio · min(m, n))``, or the fewest singular values whose squares hold
    ``energy`` of the total; between 1 and min(m, n)."""
    full = min(shape)
    if ratio is not None:
        rank = math.ceil(round(ratio * full, 9))  # 0.1 * 30 must be 3, not 3.0000000000000004
    else:
        squares = np.asarray(singular_values, np.float64) ** 2
        total = squares.sum()
        if total == 0:
            return 1
        kept = np.cumsum(squares) / total
        rank = int(np.searchsorted(kept, energy - 1e-12)) + 1
    return max(1, min(full, rank))


def factor(matrix: np.ndarray, *, ratio: float | None = None,
           energy: float | None = None) -> Factors:
    """The truncated SVD of ``matrix`` at the chosen rank.

    Each factor gets the square root of the singular values, so A and B have
    weights of similar size: each is quantized to int8 with its own scale, and neither
    should hold all of the range.
    """
    u, s, vt = np.linalg.svd(np.asarray(matrix, np.float64), full_matrices=False)
    rank = choose_rank(s, matrix.shape, ratio=ratio, energy=energy)
    total = float(np.sum(s**2))
    kept = float(np.sum(s[:rank] ** 2) / total) if total else 1.0
    root = np.sqrt(s[:rank])
    first = (u[:, :rank] * root).astype(np.float32)
    second = (root[:, None] * vt[:rank]).astype(np.float32)
    return Factors(rank, kept, first, second)


def low_rank(model, training: Training, *, ratio: float | None = None,
             energy: float | None = None, epochs: int):
    """Factor every Dense and 1x1 Conv2D layer that gets smaller; fine-tune; return the
    new model and the step's report (per layer: parameters, rank, kept energy)."""
    _, keras = import_tf()
    settings = {"rank_fraction": ratio} if ratio is not None else {"energy": energy}
    report = StepReport("low_rank", {**settings, "epochs": epochs})
    plans = {}
    candidates = 0
    score_layers = _score_layers(model)
    for layer in model.layers:
        if not has_trainable_weights(layer):
            continue
        matrix = _matrix(layer, keras)
        if matrix is None:
            report.skip(layer, "low-rank factors Dense and 1x1 Conv2D kernels only")
            continue
        candidates += 1
        factors = factor(matrix, ratio=ratio, energy=energy)
        m, n = matrix.shape
        r = factors.rank
        if layer.name in score_layers and r < n:
            # Measured on digits (MLP, R = 0.25, one seed, float, four epochs of
            # fine-tuning): the 10 class scores through rank 3 cost 21 points, the two
            # hidden layers factored together 0.6. Through rank r all n scores move in r
            # directions only, so the layer is left whole.
            report.skip(layer, f"it gives the model's {n} outputs: at rank {r} they could "
                               f"move in {r} directions only")
            continue
        if r * (m + n) >= m * n:
            report.skip(layer, f"rank {r} factors hold {r * (m + n)} weights, not fewer than "
                               f"the {m}x{n} = {m * n} of the layer")
            continue
        plans[layer.name] = factors
        bias = int(layer.bias.shape[0]) if getattr(layer, "use_bias", False) else 0
        report.layers.append(layer.name)
        report.per_layer.append({
            "layer": layer.name, "type": type(layer).__name__, "matrix": [m, n], "rank": r,
            "kept_energy": round(factors.kept_energy, 6),
            "original_parameters": m * n + bias, "factored_parameters": r * (m + n) + bias,
        })
    data = training.data
    report.results = {"parameters_before": int(model.count_params()),
                      "accuracy_before": keras_accuracy(model, data.x_test, data.y_test)}
    if not plans:
        if not candidates:
            raise OptimizationError(
                "--low-rank: this model has no Dense or 1x1 Conv2D layer to factor; drop "
                "--low-rank / --low-rank-energy")
        # Not an error: the rank chosen keeps every matrix whole, which is an answer.
        training.reporter.warn(
            "low-rank: no layer gets smaller at this rank, the model is left as it was "
            "(see the layers skipped); lower --low-rank / --low-rank-energy to factor")
        report.results.update(parameters_after=report.results["parameters_before"])
        return model, report
    factored = _rebuild(model, plans, keras)
    report.results.update(
        parameters_after=int(factored.count_params()),
        accuracy_after_svd=keras_accuracy(factored, data.x_test, data.y_test))
    training.fit(factored, epochs=epochs, learning_rate=LEARNING_RATE,
                 description=f"fine-tune {len(plans)} low-rank layers")
    report.results["accuracy_after_fine_tune"] = keras_accuracy(factored, data.x_test,
                                                                data.y_test)
    return factored, report


def _score_layers(model) -> set[str]:
    """The layers that compute the model's outputs: those reached from an output through
    weightless layers only (a Softmax, a Reshape)."""
    found, seen = set(), set()
    stack = [model.get_layer(name) for name in model.output_names]
    while stack:
        layer = stack.pop()
        if layer.name in seen:
            continue
        seen.add(layer.name)
        if has_trainable_weights(layer):
            found.add(layer.name)
            continue
        # tf_keras keeps a layer's connections in the private _inbound_nodes; there is
        # no public accessor for the layers feeding a layer.
        for node in getattr(layer, "_inbound_nodes", ()):
            inbound = node.inbound_layers
            stack.extend(inbound if isinstance(inbound, list) else [inbound])
    return found


def _matrix(layer, keras) -> np.ndarray | None:
    """The layer's kernel as an (inputs x outputs) matrix, if the layer is one."""
    if type(layer) is keras.layers.Dense:
        return layer.kernel.numpy()
    if (type(layer) is keras.layers.Conv2D and tuple(layer.kernel_size) == (1, 1)
            and layer.groups == 1):
        return layer.kernel.numpy()[0, 0]
    return None


def _rebuild(model, plans: dict[str, Factors], keras):
    """The model from its config with each planned layer replaced by its two factors.

    Editing the config, not the layers, works the same for Sequential and Functional
    models and keeps every other layer's name, settings and connections.
    """
    try:
        config = model.get_config()
    except NotImplementedError:
        raise OptimizationError(
            "--low-rank needs a Sequential or Functional Keras model; a subclassed model "
            "cannot be rebuilt layer by layer") from None
    config = copy.deepcopy(config)
    renamed = {name: name + SECOND for name in plans}
    layers = []
    for entry in config["layers"]:
        name = entry["config"]["name"]
        if name not in plans:
            layers.append(entry)
            continue
        first, second = _factor_entries(entry, plans[name].rank)
        if "inbound_nodes" in entry:  # Functional: the first keeps the original's inputs
            second["inbound_nodes"] = [[[name + FIRST, node, 0, {}]]
                                       for node in range(len(entry["inbound_nodes"]))]
        layers += [first, second]
    for entry in layers:
        if "inbound_nodes" in entry:
            entry["inbound_nodes"] = _rename(entry["inbound_nodes"], renamed)
    config["layers"] = layers
    if "output_layers" in config:
        config["output_layers"] = _rename(config["output_layers"], renamed)
    try:
        cls = keras.Sequential if isinstance(model, keras.Sequential) else keras.Model
        rebuilt = cls.from_config(config)
    except (ValueError, TypeError, KeyError) as error:
        raise OptimizationError(
            f"--low-rank: the factored model could not be built "
            f"({str(error).splitlines()[0]})") from None
    parts = {name + suffix: name for name in plans for suffix in (FIRST, SECOND)}
    for layer in rebuilt.layers:
        if layer.name in parts:
            original = parts[layer.name]
            if layer.name.endswith(FIRST):
                weights = [plans[original].first.reshape(layer.kernel.shape)]
            else:  # the original bias, if any, stays with the second layer
                weights = [plans[original].second.reshape(layer.kernel.shape),
                           *model.get_layer(original).get_weights()[1:]]
            layer.set_weights(weights)
        elif layer.weights:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    return rebuilt


def _factor_entries(entry: dict, rank: int) -> tuple[dict, dict]:
    """The config entries of the two layers replacing ``entry``'s layer."""
    name = entry["config"]["name"]
    first, second = copy.deepcopy(entry), copy.deepcopy(entry)
    width = "units" if entry["class_name"] == "Dense" else "filters"
    first["config"].update(name=name + FIRST, use_bias=False, activation="linear",
                           activity_regularizer=None, **{width: rank})
    second["config"]["name"] = name + SECOND
    if width == "filters":
        # A 1x1 convolution's stride and padding act on the pixels, before any
        # channel mixing: the first layer takes them, the second sees every pixel once.
        second["config"].update(strides=[1, 1], padding="valid", dilation_rate=[1, 1])
    for new in (first, second):
        new.pop("build_config", None)  # built by the rebuild, with the new shapes
        if "name" in new:
            new["name"] = new["config"]["name"]
    return first, second


def _rename(value, renamed: dict[str, str]):
    """Layer references ``[name, node, tensor, kwargs]`` (in inbound nodes and output
    layers) pointed at the new names; kwargs may hold references too."""
    if isinstance(value, list):
        if (len(value) >= 3 and isinstance(value[0], str) and value[0] in renamed
                and isinstance(value[1], int) and isinstance(value[2], int)):
            return [renamed[value[0]], *(_rename(v, renamed) for v in value[1:])]
        return [_rename(v, renamed) for v in value]
    if isinstance(value, dict):
        return {key: _rename(v, renamed) for key, v in value.items()}
    return value
