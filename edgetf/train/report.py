"""The run report: one dict for ``report.json`` and the same figures as terminal tables."""

from __future__ import annotations

import gzip

from rich import box
from rich.console import Console
from rich.table import Table

from edgetf.tflite.model import TfliteModel
from edgetf.tflm.compression import compression_unavailable, device_model, lut_choices
from edgetf.train.weight_stats import WeightStats


def gzipped_size(data: bytes) -> int:
    """Size after gzip -9 with a fixed timestamp: a proxy for how compressible weights are."""
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def sizes(int8_model: bytes, parsed: TfliteModel, float_model: bytes,
          layers: list[WeightStats] = ()) -> dict:
    """File sizes, the weights' bytes as int8 and as LUT weights (``layers``), and the
    int8 model as a board's flash stores it.

    ``lut_tflite_estimate`` is the int8 file with each weight tensor that a LUT makes
    smaller replaced by its LUT size; it leaves out the DECODE operators and their
    tensors. ``device_tflite`` is the real thing: what ``emit-firmware --compress auto``
    writes (LUT weights with their DECODE operators, no names) before any board's RAM or
    kernel-code limit; None where tflite-micro's compressor is not installed.
    """
    saved = sum(row.data_bytes - row.lut_bytes for row in layers if row.lut_bytes)
    device = device_size(int8_model, parsed)
    return {
        "float_tflite": len(float_model),
        "float_tflite_gz": gzipped_size(float_model),
        "int8_tflite": len(int8_model),
        "int8_tflite_gz": gzipped_size(int8_model),
        "int8_weights": sum(row.data_bytes for row in layers),
        "lut_weights_estimate": sum(row.lut_bytes or row.data_bytes for row in layers),
        "lut_tflite_estimate": len(int8_model) - saved,
        "device_tflite": device["bytes"] if device else None,
        "device_lut_tensors": device["lut_tensors"] if device else None,
    }


def device_size(int8_model: bytes, parsed: TfliteModel) -> dict | None:
    """``{"bytes", "lut_tensors"}`` of the device model (``parsed``: ``int8_model`` read),
    or None without the compressor."""
    if compression_unavailable():
        return None
    device = device_model(int8_model, parsed, lut_choices(parsed))
    return {"bytes": len(device.data), "lut_tensors": len(device.compressed_tensors)}


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.2f} %"


def fully_connected_text(fully_connected: dict) -> str:
    """How the Dense weights are quantized, and what per tensor cost where it was chosen."""
    text = fully_connected["weights"]
    if "per_channel_int8_litert" in fully_connected:
        text += (f" (for {', '.join(fully_connected['for_boards'])}): int8 "
                 f"{_pct(fully_connected['per_tensor_int8_litert'])}, per channel "
                 f"{_pct(fully_connected['per_channel_int8_litert'])} (LiteRT)")
    return text


def render_summary(report: dict, console: Console) -> None:
    """Accuracy, sizes and deployment facts, then the per-layer weight table."""
    accuracy = report["accuracy"]
    summary = Table(title="edgetf train-quantize", show_header=False, title_justify="left")
    summary.add_column("what", style="bold", ratio=1, overflow="fold")
    summary.add_column("value", justify="right", ratio=1, overflow="fold")
    distillation = report.get("distillation")
    if distillation:
        summary.add_row("teacher accuracy (float)", _pct(distillation["teacher_accuracy"]))
        if "student_alone_accuracy" in distillation:
            summary.add_row("student alone (float, Keras)",
                            _pct(distillation["student_alone_accuracy"]))
    if "float_torch" in accuracy:  # a PyTorch program (train-quantize --model model.pt2)
        summary.add_row("float accuracy (PyTorch)", _pct(accuracy["float_torch"]))
    else:
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
    if "lut_tflite_estimate" in size:
        summary.add_row("int8 weights → as LUT weights (estimate)",
                        f"{size['int8_weights']:,} B → {size['lut_weights_estimate']:,} B")
    device = size.get("device_tflite")
    if device:
        summary.add_row("int8 as the board stores it (LUT weights, no names)",
                        f"{device:,} B ({size['device_lut_tensors']} LUT tensors; "
                        f"{device / size['int8_tflite']:.0%} of the .tflite)")
    elif "lut_tflite_estimate" in size:
        summary.add_row(".tflite with LUT weights (estimate)",
                        f"≈ {size['lut_tflite_estimate']:,} B")
    summary.add_row("ops", ", ".join(report["ops"]))
    fully_connected = report.get("fully_connected") or {}
    if fully_connected.get("weights", "none") != "none":
        summary.add_row("FULLY_CONNECTED weights", fully_connected_text(fully_connected))
    arena = report["arena"]
    summary.add_row("TFLM arena (host, reference kernels)",
                    f"{arena['bytes']:,} B ({arena['method']})")
    for board, figures in (report.get("device") or {}).items():
        summary.add_row(f"on {board} (as emit-firmware)", device_text(figures))
    console.print(summary)

    # Short headers, no empty LUT column, and long cells folded rather than cut: it reads
    # at 80 columns.
    with_lut = any(row.get("lut_bytes_estimate") for row in report["layers"])
    layers = Table(title="int8 weights per layer", title_justify="left", box=box.SIMPLE_HEAD,
                   pad_edge=False, padding=(0, 1), collapse_padding=True,
                   caption="values: distinct int8 values; max/ch: the most in one output "
                   "channel" + ("; LUT B: estimated" if with_lut else ""),
                   caption_justify="left")
    for column in ("layer", "op", "shape", "zeros", "values", "max/ch", "bits", "int8 B",
                   *(("LUT B",) if with_lut else ())):
        layers.add_column(column, justify="left" if column in ("layer", "op") else "right",
                          overflow="fold", no_wrap=column != "layer")
    for row in report["layers"]:
        lut = row.get("lut_bytes_estimate")
        layers.add_row(
            row["layer"], row["op"], "x".join(str(d) for d in row["shape"]),
            f"{100 * row['sparsity']:.1f}%", str(row["distinct_values"]),
            str(row["max_distinct_per_channel"]) if row["per_channel"] else "tensor",
            str(row.get("weight_bits", "")), f"{row.get('data_bytes', 0):,}",
            *((f"{lut:,}" if lut else "—",) if with_lut else ()),
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


def device_text(figures: dict) -> str:
    """One board's figures in emit-firmware's words."""
    text = (f"arena {figures['arena_bytes']:,} B, flash ~{figures['flash_bytes'] // 1024} of "
            f"{figures['flash_budget'] // 1024} KB, RAM ~{figures['ram_bytes'] // 1024} of "
            f"{figures['ram_budget'] // 1024} KB")
    return text + ("" if figures["fits"] else f"; does not fit: {figures['why_not']}")
