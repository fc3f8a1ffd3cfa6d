"""Compute spectral features: windows of float samples through the ``spectral`` front
end's graph in the TFLM interpreter, one window per invocation, as the board will.

The graph keeps no state between windows, so the interpreter is never reset. Training
takes the float values before the graph's last op, QUANTIZE (:func:`spectral_values`);
:meth:`SpectralFrontEnd.for_model` ends the graph at the trained model's input
quantization, so that the board's int8 features are the model's int8 input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from edgetf.base.errors import DataError
from edgetf.features.spectral_config import (
    SpectralConfig,
    SpectralLayout,
    spectral_config,
    spectral_layout,
)
from edgetf.features.spectral_graph import OUTPUT_SCALE, OUTPUT_ZERO_POINT, spectral_graph
from edgetf.tflite.reader import read_tflite
from edgetf.tflm.interpreter import run_tflm

# Windows per TFLM child run: bounds the child's input file.
_VALUES_PER_RUN = 1 << 22


@dataclass(frozen=True)
class SpectralFrontEnd:
    """The ``spectral`` front end for one sample rate, window and axis count."""

    config: SpectralConfig
    layout: SpectralLayout
    model: bytes = field(repr=False)
    axis_names: tuple[str, ...] = ()  # the data's column names, for reports

    @property
    def feature_shape(self) -> tuple[int]:
        return (self.layout.features,)

    quantization: tuple[float, int] = (OUTPUT_SCALE, OUTPUT_ZERO_POINT)

    def feature_names(self) -> list[str]:
        return self.layout.feature_names(self.axis_names or None)

    def float_model(self) -> bytes:
        """The graph without its QUANTIZE: the float values training takes."""
        return spectral_graph(self.config, self.layout, None)

    def for_model(self, model: bytes) -> SpectralFrontEnd:
        """This front end with its int8 output at ``model``'s input scale and zero point
        (the model must take ``(1, features)`` int8)."""
        (tensor,) = read_tflite(model).input_tensors()
        q = tensor.quantization
        if tensor.dtype != "int8" or q is None or len(q.scales) != 1 or \
                math.prod(tensor.shape) != self.layout.features:
            raise DataError(f"the model's input ({tensor.dtype} {tensor.shape}) is not the"
                            f" spectral front end's {self.layout.features} int8 features")
        quantization = (float(q.scales[0]), int(q.zero_points[0]))
        return replace(self, quantization=quantization,
                       model=spectral_graph(self.config, self.layout, quantization))


def spectral_front_end(config: SpectralConfig | dict | None = None, *, sample_rate: float,
                       window: int, axes: int, source: str = "the config",
                       axis_names: tuple[str, ...] = ()) -> SpectralFrontEnd:
    """The front end for ``config`` (a SpectralConfig, a ``[features.spectral]`` table,
    or None for the defaults), for windows of ``window`` samples of ``axes`` axes."""
    if not isinstance(config, SpectralConfig):
        config = spectral_config(config, source)
    layout = spectral_layout(config, sample_rate, window, axes, source)
    return SpectralFrontEnd(config, layout, spectral_graph(config, layout), axis_names)


def spectral_features(windows: np.ndarray, front_end: SpectralFrontEnd, *,
                      timeout: float = 600) -> np.ndarray:
    """Features of ``windows`` (``(N, window, axes)``, or one ``(window, axes)``, float):
    ``(N, axes * (1 + bands))`` (or one row) int8, from the TFLM interpreter."""
    return _run(windows, front_end, front_end.model, np.int8, timeout)


def spectral_values(windows: np.ndarray, front_end: SpectralFrontEnd, *,
                    timeout: float = 600) -> np.ndarray:
    """The float32 values before QUANTIZE (-1 to 127/128), shaped as
    :func:`spectral_features`: what training takes."""
    return _run(windows, front_end, front_end.float_model(), np.float32, timeout)


def _run(windows, front_end: SpectralFrontEnd, model: bytes, dtype, timeout: float):
    windows = np.asarray(windows)
    single = windows.ndim == 2
    batch = windows[None] if single else windows
    layout = front_end.layout
    if batch.ndim != 3 or batch.shape[1:] != (layout.window, layout.axes) or \
            batch.dtype.kind not in "fiu":
        raise DataError(f"spectral windows must be numbers of shape (N, {layout.window},"
                        f" {layout.axes}), not {batch.dtype} {batch.shape}")
    batch = np.ascontiguousarray(batch, np.float32)
    out = np.empty((len(batch), layout.features), dtype)
    per_run = max(1, _VALUES_PER_RUN // (layout.window * layout.axes))
    for start in range(0, len(batch), per_run):
        chunk = batch[start:start + per_run]
        out[start:start + len(chunk)] = run_tflm(model, chunk, reset_between=False,
                                                 timeout=timeout)[0]
    return out[0] if single else out
