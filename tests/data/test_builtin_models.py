"""The built-in architectures' width and depth knobs: the defaults build the models edgetf
always built (layer for layer, so earlier runs stay reproducible), the knobs resize them."""

from __future__ import annotations

import pytest

from edgetf.base.errors import ConfigError, ModelError
from edgetf.data.builtin_models import build_model
from edgetf.train.options import load_options


def _layers(model) -> list[tuple[str, int | None]]:
    """(name, filters or units) per layer."""
    return [(layer.name, getattr(layer, "filters", None) or getattr(layer, "units", None))
            for layer in model.layers]


# The models as they were before the knobs existed (read off that code, on digits' shape).
BEFORE = {
    "tiny-cnn": ([("input", None), ("conv1", 16), ("pool1", None), ("conv2", 32),
                  ("flatten", None), ("dense1", 48), ("scores", 10)], 29914),
    "mlp": ([("input", None), ("flatten", None), ("dense1", 64), ("dense2", 32),
             ("scores", 10)], 6570),
    "ds-cnn": ([("input", None), ("conv", 32), ("dw1", None), ("pw1", 32), ("dw2", None),
                ("pw2", 32), ("gap", None), ("scores", 10)], 3402),
}


@pytest.mark.parametrize("architecture", sorted(BEFORE))
def test_defaults_build_the_models_edgetf_always_built(architecture):
    layers, parameters = BEFORE[architecture]
    model = build_model(architecture, (8, 8, 1), 10)
    assert _layers(model) == layers and model.count_params() == parameters
    explicit = build_model(architecture, (8, 8, 1), 10, width=1.0, depth=2)
    assert explicit.get_config() == model.get_config()


def test_width_and_depth_resize_every_hidden_layer():
    mlp = build_model("mlp", (8, 8, 1), 10, width=0.5, depth=3)
    assert _layers(mlp)[2:] == [("dense1", 32), ("dense2", 16), ("dense3", 16), ("scores", 10)]
    cnn = build_model("tiny-cnn", (8, 8, 1), 10, width=0.25, depth=3)
    assert [u for _, u in _layers(cnn) if u] == [4, 8, 8, 12, 10]
    ds = build_model("ds-cnn", (8, 8, 1), 10, width=1.5, depth=1)
    assert [name for name, _ in _layers(ds)] == ["input", "conv", "dw1", "pw1", "gap", "scores"]
    assert ds.get_layer("pw1").filters == 48
    tiny = build_model("mlp", (8, 8, 1), 10, width=0.001, depth=1)  # never below one unit
    assert tiny.get_layer("dense1").units == 1


def test_out_of_range_sizes_are_refused():
    with pytest.raises(ModelError, match="outside"):
        build_model("mlp", (8, 8, 1), 10, depth=0)
    with pytest.raises(ConfigError, match="--width 0.0 is outside"):
        load_options(width=0.0)
    with pytest.raises(ConfigError, match="--depth 9 is outside 1..8"):
        load_options(depth=9)
    with pytest.raises(ConfigError, match="size the built-in architectures"):
        load_options(model="mine.keras", width=0.5)
    assert load_options(model="mlp", width=0.5, depth=3).depth == 3
