"""The ``spectral`` front end: its TFLM graph against a numpy twin, its ops against the
boards, what its features say about a tone, and bad configs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgetf.base.errors import ConfigError
from edgetf.features.spectral import spectral_features, spectral_front_end, spectral_values
from edgetf.features.spectral_graph import hann, power_weights
from edgetf.targets.board_compatibility import board_missing_kernels
from edgetf.targets.boards import BOARDS
from edgetf.tflite.compatibility import unsupported_ops
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.interpreter import tflm_available
from tests.motion_signals import RATE, recording

try:
    from tomllib import loads as read_toml_text
except ImportError:  # pragma: no cover - Python 3.10
    from tomli import loads as read_toml_text

needs_tflm = pytest.mark.skipif(not tflm_available(), reason="tflite-micro not installed")
SEED = 42


def twin(windows: np.ndarray, front_end) -> np.ndarray:
    """The front end's float values in numpy, float64 (numpy's FFT, not kissfft)."""
    c, layout = front_end.config, front_end.layout
    x = windows.astype(np.float64).transpose(0, 2, 1)
    if c.filter_low_hz > 0:
        x = x - x.mean(axis=-1, keepdims=True)

    def squared(signal):
        spectrum = np.fft.rfft(signal, layout.fft_length, axis=-1)
        return np.stack([spectrum.real ** 2, spectrum.imag ** 2], -1).reshape(
            *spectrum.shape[:-1], -1)

    rms, bands = power_weights(c, layout)
    power = np.concatenate([squared(x) @ rms.T, squared(x * hann(layout.window)) @ bands.T],
                           axis=-1)
    db = 10 * np.log10(np.maximum(power, 10 ** (c.db_min / 10)))
    steps = (db - c.db_min) / c.db_step - 128
    return np.minimum(steps / 128, 127 / 128).reshape(len(windows), -1)


def _windows(window: int = 100) -> np.ndarray:
    """Recordings cut into windows, plus silence, a DC offset and full-scale shaking."""
    rng = np.random.default_rng(SEED)
    series = np.concatenate([recording(hz, 4.0, rng) for hz in (0.0, 1.0, 2.5, 6.0, 11.0)])
    windows = [series[i:i + window] for i in range(0, len(series) - window + 1, window // 2)]
    t = np.arange(window) / RATE
    windows += [np.zeros((window, 3)), np.full((window, 3), 2.0),
                np.stack([1e3 * np.sin(2 * np.pi * 7 * t)] * 3, 1)]
    return np.stack(windows).astype(np.float32)


@needs_tflm
@pytest.mark.parametrize("table", [None, {"bands": 5, "filter_low_hz": 0.5,
                                          "filter_high_hz": 20, "scale": 0.1,
                                          "db_min": -40, "db_max": 20, "fft_length": 256}])
def test_tflm_graph_equals_the_numpy_twin(table):
    windows = _windows()
    front_end = spectral_front_end(table, sample_rate=RATE, window=100, axes=3)
    values = spectral_values(windows, front_end)
    expected = twin(windows, front_end)
    assert values.shape == expected.shape == (len(windows), front_end.layout.features)
    # float32 kissfft and logf against float64 numpy: within 1 % of a step of 1/128 (the
    # largest differences are in bands 60 dB below a loud tone, at float32's resolution)
    assert np.abs(values - expected).max() < 0.01 / 128
    features = spectral_features(windows, front_end)
    assert features.dtype == np.int8
    # QUANTIZE (scale 1/128): the twin's values rounded half away from zero, except where
    # they lie within 1 % of a step of a rounding boundary
    steps = expected * 128
    rounded = np.sign(steps) * np.floor(np.abs(steps) + 0.5)
    near = np.abs(np.abs(steps - np.trunc(steps)) - 0.5) < 0.01
    assert np.array_equal(features[~near], rounded[~near])
    assert np.abs(features - steps).max() <= 0.51
    assert features.min() == -128 and features.max() == 127  # silence and saturation seen


@needs_tflm
def test_a_tone_shows_in_its_band_and_the_filter_takes_gravity_out():
    t = np.arange(100) / RATE
    shake = np.stack([np.sin(2 * np.pi * 8 * t), np.zeros(100), np.full(100, 9.81)], 1)
    front_end = spectral_front_end({"bands": 4, "filter_low_hz": 1.0}, sample_rate=RATE,
                                   window=100, axes=3)
    (lo, hi), hz = front_end.layout.bands[1], RATE / front_end.layout.fft_length
    assert lo * hz <= 8 < hi * hz
    x, y, z = spectral_features(shake, front_end).reshape(3, 5)
    assert x[2] == x[1:].max() and x[2] > x[1] + 40  # the 8 Hz band, far above the others
    assert y.max() == -128  # a silent axis
    assert z.max() < -100  # gravity is 0 Hz, outside the 1 Hz high-pass: almost nothing
    whole = spectral_front_end(None, sample_rate=RATE, window=100, axes=3)
    assert spectral_features(shake, whole)[18] > 60  # without the filter, z's RMS is 9.81


def test_ops_run_on_esp32_and_on_the_nanos_own_float_fft():
    front_end = spectral_front_end(None, sample_rate=RATE, window=100, axes=3)
    model = read_tflite(front_end.model)
    assert set(model.op_names()) == {
        "TRANSPOSE", "CUSTOM:SignalRfft", "MUL", "FULLY_CONNECTED", "CONCATENATION",
        "MAXIMUM", "LOG", "ADD", "MINIMUM", "RESHAPE", "QUANTIZE"}
    assert unsupported_ops(model) == []
    assert board_missing_kernels(model, BOARDS["esp32"]) == []
    # Chirale has no signal kernels: the Nano runs edgetf's own RFFT, float32 included.
    assert board_missing_kernels(model, BOARDS["nano33ble"]) == []
    (x,), (out,) = model.input_tensors(), model.output_tensors()
    assert (x.shape, x.dtype) == ((100, 3), "float32")
    assert (out.shape, out.dtype) == ((27,), "int8")
    assert out.quantization.scales == (1 / 128,) and out.quantization.zero_points == (0,)


@pytest.mark.parametrize(("table", "window", "words"), [
    ({"bandz": 3}, 100, "has no key 'bandz'"),
    ({"bands": 2.5}, 100, "bands = 2.5 should be an integer"),
    ({"band_edges_hz": [5, 2]}, 100, "increasing"),
    ({"fft_length": 100}, 100, "power of two"),
    ({"fft_length": 64}, 100, "needs fft_length >= 100"),
    ({"filter_high_hz": 40}, 100, "within 0-25 Hz"),
    ({"band_edges_hz": [1.0, 1.1, 5.0]}, 100, "band 1-1.1 Hz holds no FFT bin"),
    ({"db_min": 10, "db_max": 0}, 100, "below db_max"),
])
def test_bad_configs_name_the_file(table, window, words):
    with pytest.raises(ConfigError) as error:
        spectral_front_end(table, sample_rate=RATE, window=window, axes=3, source="m.toml")
    message = str(error.value)
    assert message.startswith("m.toml: [features.spectral]") and words in message
    assert "\n" not in message


def test_the_documented_table_is_the_defaults():
    """docs/features.md's [features.spectral] example: valid, and the defaults it says."""
    from edgetf.features.spectral_config import SpectralConfig, spectral_config

    text = (Path(__file__).parents[2] / "docs/features.md").read_text()
    (block,) = [b for b in text.split("```toml\n")[1:] if b.startswith("[features.spectral]")]
    path = Path(__file__).parents[2] / "docs/features.md"
    table = read_toml_text(block.split("```")[0])["features"]["spectral"]
    assert spectral_config(table, str(path)) == SpectralConfig()


@needs_tflm
@pytest.mark.parametrize("filter_low_hz", [0.0, 0.5])
def test_the_arena_planner_equals_the_measured_arena(filter_low_hz):
    """TRANSPOSE, SUB and LOG have planner entries: reference-64's plan is TFLM's arena."""
    from edgetf.targets.planner import REFERENCE_64, plan_arena
    from edgetf.tflm.interpreter import measure_arena

    front_end = spectral_front_end({"filter_low_hz": filter_low_hz}, sample_rate=RATE,
                                   window=100, axes=3)
    result = plan_arena(read_tflite(front_end.model), REFERENCE_64)
    assert result.complete, result.unknown_ops
    assert result.total == measure_arena(front_end.model).bytes
