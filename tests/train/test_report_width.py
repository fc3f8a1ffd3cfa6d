"""train-quantize's tables read at 80 columns: cells fold, nothing is cut to an ellipsis."""

from __future__ import annotations

from rich.console import Console

from edgetf.train.report import render_summary


def _report() -> dict:
    layers = [{"layer": f"conv2d_{i}", "op": "CONV_2D", "shape": [64, 3, 3, 32],
               "sparsity": 0.011, "distinct_values": 255, "max_distinct_per_channel": 190,
               "per_channel": True, "weight_bits": 8, "data_bytes": 18432}
              for i in range(8)]
    layers.append({"layer": "dense", "op": "FULLY_CONNECTED", "shape": [10, 64],
                   "sparsity": 0.009, "distinct_values": 162, "max_distinct_per_channel": 162,
                   "per_channel": False, "weight_bits": 8, "data_bytes": 640})
    return {
        "accuracy": {"float_keras": 0.9, "int8_litert": 0.89, "int8_tflm": 0.89,
                     "tflm_litert_top1_agreement": 1.0},
        "sizes": {"float_tflite": 318292, "float_tflite_gz": 292050, "int8_tflite": 96968,
                  "int8_tflite_gz": 78932},
        "ops": ["ADD", "AVERAGE_POOL_2D", "CONV_2D", "FULLY_CONNECTED", "SOFTMAX"],
        "arena": {"bytes": 56112, "method": "measured"},
        "fully_connected": {"weights": "per tensor", "for_boards": ["nano33ble"],
                            "per_tensor_int8_litert": 0.89, "per_channel_int8_litert": 0.9},
        "layers": layers, "steps": [],
    }


def test_tables_fold_at_80_columns():
    console = Console(record=True, width=80)
    render_summary(_report(), console)
    text = console.export_text()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    for whole in ("conv2d_7", "FULLY_CONNECTED", "64x3x3x32", "18,432", "max/ch"):
        assert whole in text, whole
    assert "per tensor (for nano33ble)" in " ".join(text.split())
