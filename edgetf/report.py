"""The run report: one dict for ``report.json`` and the same figures as terminal tables."""

from __future__ import annotations

import gzip

from rich.console import Console
from rich.table import Table


def gzipped_size(data: bytes) -> int:
    """Size after gzip -9 with a fixed timestamp: a proxy for how compressible weights are."""
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def sizes(int8_model: bytes, float_model: bytes) -> dict:
    return {
        "float_tflite": len(float_model),
        "float_tflite_gz": gzipped_size(float_model),
        "int8_tflite": len(int8_model),
        "int8_tflite_gz": gzipped_size(int8_model),
    }


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.2f} %"


def render_summary(report: dict, console: Console) -> None:
    """Accuracy, sizes and deployment facts, then the per-layer weight table."""
    accuracy = report["accuracy"]
    summary = Table(title="edgetf train-quantize", show_header=False, title_justify="left")
    summary.add_column("what", style="bold")
    summary.add_column("value", justify="right")
    summary.add_row("float accuracy (Keras)", _pct(accuracy["float_keras"]))
    if accuracy.get("compressed_float_keras") is not None:
        summary.add_row("float accuracy after prune/cluster (Keras)",
                        _pct(accuracy["compressed_float_keras"]))
    summary.add_row("int8 accuracy (LiteRT)", _pct(accuracy["int8_litert"]))
    summary.add_row("int8 accuracy (TFLM interpreter)", _pct(accuracy["int8_tflm"]))
    summary.add_row("top-1 agreement LiteRT vs TFLM", _pct(accuracy["tflm_litert_top1_agreement"]))
    size = report["sizes"]
    summary.add_row("float .tflite (gzipped)",
                    f"{size['float_tflite']:,} B ({size['float_tflite_gz']:,} B)")
    summary.add_row("int8 .tflite (gzipped)",
                    f"{size['int8_tflite']:,} B ({size['int8_tflite_gz']:,} B)")
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
        for skipped in step["skipped"]:
            console.print(
                f"[yellow]{step['step']}:[/yellow] left layer '{skipped['layer']}' "
                f"({skipped['type']}) alone: {skipped['reason']}", highlight=False,
            )
