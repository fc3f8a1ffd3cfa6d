"""PyTorch to full-int8 TFLite: litert-torch converts, ai-edge-quantizer quantizes.

The route was chosen by measurement (litert-torch 0.10.0, ai-edge-quantizer 0.10.0, torch
2.14.1): litert-torch's float conversion, then ai-edge-quantizer's ``static_wi8_ai8`` recipe
calibrated on 200 samples, gives int8 weights, activations, input and output and only
builtin ops TFLM runs; on a small digits CNN int8 accuracy under TFLM was within 0.3 points
of the float PyTorch model's. Two changes to the recipe and the model, both measured:

- FULLY_CONNECTED weights per tensor, not per channel: the recipe's per-channel default is
  what the Nano 33 BLE's TFLM (Chirale 2.0.0) computes with the first channel's scale only.
- 4-D inputs channel-last (``litert_torch.to_channel_last_io``): the emitted model takes
  NHWC input, as TFLite image models do, so edgetf's data sets and golden vectors fit it;
  ``calibration`` and ``example`` stay in the module's own (NCHW) layout. A ``flatten`` of
  NCHW features still becomes a TRANSPOSE before the RESHAPE (seen with litert-torch
  0.10.0), which every board's TFLM runs and arena table plans.

Needs the ``torch`` extra; imports it only when called.
"""

from __future__ import annotations

import contextlib
import copy
import io

import numpy as np

from edgetf.base.errors import ConversionError
from edgetf.base.native_output import captured_native_stderr
from edgetf.base.tf_import import require_extra
from edgetf.tflite.reader import read_tflite


def torch_to_int8_tflite(module, example, calibration: np.ndarray, *, samples: int = 200,
                         seed: int = 42) -> bytes:
    """Full-integer ``.tflite`` of ``module`` (an ``nn.Module``, in eval mode), traced with
    ``example`` (one input batch) and calibrated on ``samples`` rows drawn (seeded) from
    ``calibration``, both in the module's own layout."""
    return torch_to_tflite(module, example, calibration, samples=samples, seed=seed)[1]


def torch_to_tflite(module, example, calibration: np.ndarray, *, samples: int = 200,
                    seed: int = 42) -> tuple[bytes, bytes]:
    """The float ``.tflite`` litert-torch converts ``module`` to, and its full-int8 one (see
    :func:`torch_to_int8_tflite`)."""
    if samples < 1:
        raise ConversionError("calibration samples must be at least 1; the default is 200")
    require_extra("torch", "converting a PyTorch model")
    import litert_torch
    import torch

    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(calibration), size=min(samples, len(calibration)), replace=False)
    representative = np.asarray(calibration)[np.sort(chosen)].astype(np.float32)
    example = torch.as_tensor(np.asarray(example, dtype=np.float32))
    module = _eval(module)
    if example.ndim == 4:
        module = _eval(litert_torch.to_channel_last_io(module, args=[0]))
        example = example.permute(0, 2, 3, 1).contiguous()
        representative = representative.transpose(0, 2, 3, 1).copy()
    # litert-torch 0.10 prints its progress ("[START] LiteRT-Torch Convert > ...") on stdout.
    with captured_native_stderr() as log, contextlib.redirect_stdout(io.StringIO()):
        try:
            float_model = bytes(litert_torch.convert(module, (example,)).model_content())
        except Exception as error:  # litert-torch raises many types, all mean "refused"
            reason = str(error).strip().splitlines()
            raise ConversionError(
                f"litert-torch could not convert the PyTorch model "
                f"({reason[-1] if reason else log.last_meaningful_line()}); check that "
                "torch.export can trace it with the example input") from None
    int8 = _quantize(float_model, representative)
    model = read_tflite(int8, source="the converted PyTorch model")
    kinds = {t.dtype for t in (*model.input_tensors(), *model.output_tensors())}
    if kinds != {"int8"}:
        raise ConversionError(
            f"ai-edge-quantizer left {', '.join(sorted(kinds))} inputs or outputs, not int8; "
            "TFLM firmware needs a full-int8 model")
    return float_model, int8


def channels_first(x: np.ndarray) -> np.ndarray:
    """edgetf's data sets are channel-last (NHWC); PyTorch modules take NCHW."""
    x = np.asarray(x, dtype=np.float32)
    return x.transpose(0, 3, 1, 2).copy() if x.ndim == 4 else x


def exported_module(module, example: np.ndarray):
    """``module`` as ``torch.export`` saves it and reads it back (in memory): the module a
    ``.pt2`` file gives. litert-torch names tensors after the module path
    (``DigitsNet_wrapped/...Linear_fc``), which a saved program no longer carries, so an
    ``nn.Module`` converted directly differs from its own ``.pt2`` in names; through this it
    converts to the same bytes."""
    require_extra("torch", "converting a PyTorch model")
    import torch

    buffer = io.BytesIO()
    example = torch.as_tensor(np.asarray(example, dtype=np.float32))
    torch.export.save(torch.export.export(_eval(module), (example,)), buffer)
    buffer.seek(0)
    return torch.export.load(buffer).module()


def _eval(module):
    """``module`` in inference mode. The module of a ``torch.export`` program raises
    NotImplementedError on ``eval()`` (torch 2.14): it keeps the mode it was exported in."""
    try:
        return module.eval()
    except NotImplementedError:
        return module


def _quantize(float_model: bytes, representative: np.ndarray) -> bytes:
    from ai_edge_litert.interpreter import Interpreter
    from ai_edge_quantizer import quantizer, recipe

    rules = recipe.static_wi8_ai8()
    dense = copy.deepcopy(rules[0])
    dense["operation"] = "FULLY_CONNECTED"
    dense["op_config"]["weight_tensor_config"]["granularity"] = "TENSORWISE"
    signatures = Interpreter(model_content=float_model).get_signature_list()
    (key, signature), = signatures.items()
    (name,) = signature["inputs"]
    # ai-edge-quantizer prints its size summary on stdout and a tqdm bar on stderr.
    with captured_native_stderr(), contextlib.redirect_stdout(io.StringIO()):
        job = quantizer.Quantizer(bytearray(float_model), rules + [dense])
        calibrated = job.calibrate({key: [{name: row[np.newaxis]} for row in representative]})
        quantized = job.quantize(calibrated).quantized_model
    return bytes(quantized)
