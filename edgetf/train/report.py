"""The run report: one dict for ``report.json`` and the same figures as terminal tables."""

from __future__ import annotations

import gzip

from rich.console import Console
from rich.table import Table

from edgetf.tflite.reader import read_tflite
from edgetf.tflm.compression import compression_unavailable, device_model, lut_choices


def gzipped_size(data: bytes) -> int:
    """Size after gzip -9 with a fixed timestamp: a proxy for how compressible weights are."""
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def sizes(int8_model: bytes, float_model: bytes) -> dict:
    """File sizes, and the int8 model as a board's flash stores it (``int8_device``: LUT
    weights and no names, what ``emit-firmware --compress auto`` writes before any board's
    RAM limit; None where tflite-micro's compressor is not installed)."""
    device = device_size(int8_model)
    return {
        "float_tflite": len(float_model),
        "float_tflite_gz": gzipped_size(float_model),
        "int8_tflite": len(int8_model),
        "int8_tflite_gz": gzipped_size(int8_model),
        "int8_device": device["bytes"] if device else None,
        "int8_device_lut_tensors": device["lut_tensors"] if device else None,
    }


def device_size(int8_model: bytes) -> dict | None:
    """``{"bytes", "lut_tensors"}`` of the device model, or None without the compressor."""
    if compression_unavailable():
        return None
    model = read_tflite(int8_model)
    device = device_model(int8_model, model, lut_choices(model))
    return {"bytes": len(device.data), "lut_tensors": len(device.compressed_tensors)}


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.2f} %"


def render_summary(report: dict, console: Console) -> None:
    """Accuracy, sizes and deployment facts, then the per-layer weight table."""
    accuracy = report["accuracy"]
    summary = Table(title="edgetf train-quantize", show_header=False, title_justify="left")
    summary.add_column("what", style="bold")
    summary.add_column("value", justify="right")
    distillation = report.get("distillation")
    if distillation:
        summary.add_row("teacher accuracy (float)", _pct(distillation["teacher_accuracy"]))
        if "student_alone_accuracy" in distillation:
            summary.add_row("student alone (float, Keras)",
                            _pct(distillation["student_alone_accuracy"]))
    summary.add_row("float accuracy (Keras)" + (", distilled" if distillation else ""),
                    _pct(accuracy["float_keras"]))
    if accuracy.get("compressed_float_keras") is not None:
        summary.add_row("float accuracy after compression (Keras)",
                        _pct(accuracy["compressed_float_keras"]))
    summary.add_row("int8 accuracy (LiteRT)", _pct(accuracy["int8_litert"]))
    summary.add_row("int8 accuracy (TFLM interpreter)", _pct(accuracy["int8_tflm"]))
    summary.add_row("top-1 agreement LiteRT vs TFLM", _pct(accuracy["tflm_litert_top1_agreement"]))
    size = report["sizes"]
    summary.add_row("float .tflite (gzipped)",
                    f"{size['float_tflite']:,} B ({size['float_tflite_gz']:,} B)")
    summary.add_row("int8 .tflite (gzipped)",
                    f"{size['int8_tflite']:,} B ({size['int8_tflite_gz']:,} B)")
    if size.get("int8_device") is not None:
        summary.add_row("int8 as the board stores it",
                        f"{size['int8_device']:,} B ({size['int8_device_lut_tensors']} LUT "
                        f"tensors; {size['int8_device'] / size['int8_tflite']:.0%})")
    summary.add_row("ops", ", ".join(report["ops"]))
    arena = report["arena"]
    summary.add_row("TFLM arena", f"{arena['bytes']:,} B ({arena['method']})")
    console.print(summary)

    layers = Table(title="int8 weights per layer", title_justify="left")
    for column in ("layer", "op", "shape", "zeros", "distinct", "max distinct / channel"):
        layers.add_column(column, justify="left" if column in ("layer", "op") else "right")
    for row in report["layers"]:
        layers.add_row(
            row["layer"], row["op"], "x".join(str(d) for d in row["shape"]),
            f"{100 * row['sparsity']:.1f} %", str(row["distinct_values"]),
            str(row["max_distinct_per_channel"]) if row["per_channel"] else "per tensor",
        )
    console.print(layers)
    for step in report["steps"]:
        if step["step"] == "low_rank":
            _render_low_rank(step, console)
    for step in report["steps"]:
        for skipped in step["skipped"]:
            console.print(
                f"[yellow]{step['step']}:[/yellow] left layer '{skipped['layer']}' "
                f"({skipped['type']}) alone: {skipped['reason']}", highlight=False,
            )


def _render_low_rank(step: dict, console: Console) -> None:
    """Per factored layer: parameters before and after, rank, kept energy; then accuracy."""
    if not step["per_layer"]:
        console.print("low-rank: no layer factored (see the layers left alone below)",
                      highlight=False)
        return
    table = Table(title="low-rank factorization", title_justify="left")
    for column in ("layer", "matrix", "rank", "kept energy", "parameters", "factored"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    for row in step["per_layer"]:
        table.add_row(row["layer"], "x".join(str(d) for d in row["matrix"]), str(row["rank"]),
                      f"{100 * row['kept_energy']:.1f} %", f"{row['original_parameters']:,}",
                      f"{row['factored_parameters']:,}")
    console.print(table)
    results = step["results"]
    console.print(
        f"low-rank: {results['parameters_before']:,} → {results['parameters_after']:,} "
        f"parameters; float accuracy {_pct(results['accuracy_before'])} before, "
        f"{_pct(results['accuracy_after_svd'])} right after the SVD, "
        f"{_pct(results['accuracy_after_fine_tune'])} after fine-tuning", highlight=False)
