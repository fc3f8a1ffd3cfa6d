"""``inspect``'s report for a person: rich tables of the model, its tensors, ops and the
per-board verdicts."""


from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from edgetf.analyze.inspect import FLASH_BASIS, Inspection
from edgetf.base.units import readable_ms
from edgetf.tflite.ops import tflm_method


def render_inspection(inspection: Inspection, console: Console) -> None:
    """The report as rich tables (the CLI prints them on stdout). Text from the model
    (names, paths, TFLM's messages) is escaped: a '[' in it is not rich markup."""
    d = inspection.to_dict()
    say = console.print

    def line(text: str, **options) -> None:
        # Unwrapped, whatever the path length or terminal width: people grep this.
        console.print(text, soft_wrap=True, **options)

    line(f"[bold]{escape(inspection.source)}[/bold]: {d['model_bytes']:,} bytes, "
         f"{len(inspection.cost.ops)} ops, sha256 {d['sha256'][:16]}…", highlight=False)
    line(f"quantization: [bold]{d['quantization']}[/bold], {d['quantization_note']}",
         highlight=False)
    if inspection.problems:
        line(f"[red]TFLM cannot run it[/red]: {escape('; '.join(inspection.problems))}",
             highlight=False)
    say(_tensor_table(inspection))
    say(_op_table(inspection))
    line(f"arena (host, TFLM reference kernels): {d['arena_bytes']:,} bytes, "
         f"{d['arena_method']} ({escape(d['arena_note'])}); each board's own below",
         highlight=False)
    line(f"flash (the .tflite as it is, no board): {d['flash_bytes']:,} bytes = file "
         f"{d['model_bytes']:,} + TFLM code {d['code_bytes']:,}, estimated ({FLASH_BASIS}); "
         "each board's below counts the model it stores", highlight=False)
    if any(t.compressed for t in inspection.lut):
        say(_lut_table(inspection))
    say(_board_table(inspection))
    if inspection.compiled:
        say(_runtime_table(inspection))
        refusals = dict.fromkeys(f.refusal for f in inspection.compiled.values() if f.refusal)
        for refusal in refusals:
            boards = ", ".join(b for b, f in inspection.compiled.items() if f.refusal == refusal)
            line(f"compiled runtime on {boards}: {escape(refusal)}", highlight=False)
    for verdict in inspection.boards.values():
        own = [p for p in verdict.problems if p not in inspection.problems]  # said above
        for note in (*own, *verdict.warnings):
            line(f"{verdict.board.id}: {escape(note)}", highlight=False)
        stored = verdict.stored
        if stored is not None and stored.device.stripped:
            line(f"{verdict.board.id} stores the model in {len(stored.device.data):,} of its "
                 f"{stored.device.original_bytes:,} bytes ({len(stored.device.compressed_tensors)} "
                 f"tensor(s) as look-up tables, arena {stored.arena_added:+,} bytes; "
                 "emit-firmware --compress off stores it as it is)", highlight=False)
        line(f"[dim]{verdict.board.id} arena: {escape(verdict.arena.basis)} For "
             f"{escape(verdict.board.tflm_versions)}.[/dim]", highlight=False)
        if verdict.latency.latency_ms is not None:
            line(f"[dim]{verdict.board.id} latency, an estimate: "
                 f"{escape(verdict.latency.basis)}[/dim]", highlight=False)


def _tensor_table(inspection: Inspection) -> Table:
    table = Table(title="Inputs and outputs", title_justify="left")
    for column in ("", "name", "shape", "type", "scale", "zero point"):
        table.add_column(column)
    rows = [("input", t) for t in inspection.inputs] + [("output", t) for t in inspection.outputs]
    for role, t in rows:
        table.add_row(role, escape(t.name), _shape(t.shape), t.dtype, _number(t.scale),
                      _number(t.zero_point))
    return table


def _op_table(inspection: Inspection) -> Table:
    table = Table(title="Ops (MACs: multiply-accumulates per inference)", title_justify="left")
    for column, justify in (("#", "right"), ("op", "left"), ("output", "left"),
                            ("options", "left"), ("parameters", "right"), ("MACs", "right"),
                            ("TFLM", "center")):
        table.add_column(column, justify=justify, no_wrap=column != "options")
    operators = inspection.model.main.operators
    for op in inspection.cost.ops:
        supported = tflm_method(op.name) is not None
        table.add_row(str(op.index), escape(op.name), _shape(op.output_shape),
                      _options(operators[op.index].options), f"{op.parameters:,}",
                      f"{op.macs:,}", "[green]yes[/green]" if supported else "[red]no[/red]")
    cost = inspection.cost
    table.add_section()
    table.add_row("", "total", "", f"{cost.weight_bytes:,} weight bytes",
                  f"{cost.parameters:,}", f"{cost.macs:,}", "")
    return table


def _lut_table(inspection: Inspection) -> Table:
    """The tensors emit-firmware --compress auto stores as look-up tables."""
    table = Table(title="Weights as look-up tables (emit-firmware --compress auto; lossless)",
                  title_justify="left")
    for column in ("tensor", "read by", "shape", "bits", "bytes", "stored", ""):
        table.add_column(column, justify="right" if column in ("bits", "bytes", "stored")
                         else "left")
    for t in inspection.lut:
        table.add_row(str(t.tensor), ", ".join(t.consumers), _shape(t.shape),
                      "-" if t.bits is None else str(t.bits), f"{t.bytes_before:,}",
                      f"{t.bytes_after:,}", "" if t.compressed else escape(t.reason or ""))
    return table


def _board_table(inspection: Inspection) -> Table:
    table = Table(title="Boards (estimates; KB = 1024 bytes, free = budget - use, "
                  "ms = latency of one inference)", title_justify="left")
    for column in ("board", "arena KB", "RAM KB", "free", "flash KB", "free", "fits", "ms"):
        table.add_column(column, justify="left" if column == "board" else "right",
                         no_wrap=True)
    for verdict in inspection.boards.values():
        fp = verdict.footprint
        latency = verdict.latency.latency_ms
        table.add_row(
            verdict.board.id, _kb(verdict.arena.bytes), _kb(fp.ram_bytes),
            _headroom(fp.ram_headroom), _kb(fp.flash_bytes), _headroom(fp.flash_headroom),
            "[green]yes[/green]" if verdict.fits else "[red]no[/red]",
            "-" if latency is None else f"~{readable_ms(latency)}")
    return table


def _runtime_table(inspection: Inspection) -> Table:
    """Each board's arena under TFLM and under the compiled runtime (emit-firmware
    --runtime), with the compiled plan's lower bound."""
    table = Table(title="Arena by runtime, bytes (compiled: emit-firmware --runtime compiled's "
                  "static plan; bound: the most bytes live at once; ratio: compiled/TFLM)",
                  title_justify="left")
    for column in ("board", "TFLM", "compiled", "bound", "ratio", "runs"):
        table.add_column(column, justify="left" if column == "board" else "right", no_wrap=True)
    for board_id, f in inspection.compiled.items():
        table.add_row(board_id, f"{f.tflm_arena_bytes:,}", _bytes(f.arena_bytes),
                      _bytes(f.lower_bound_bytes),
                      "-" if f.ratio is None else f"{f.ratio:.2f}",
                      "[green]yes[/green]" if f.available else "[red]no[/red]")
    return table


def _bytes(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def _kb(n: int) -> str:
    return f"{n / 1024:,.0f}"


def _headroom(n: int) -> str:
    colour = "green" if n >= 0 else "red"
    return f"[{colour}]{n / 1024:+,.0f}[/{colour}]"


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape) if shape else "scalar"


def _number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, tuple):
        return f"{len(value)} per-channel values"
    return f"{value:.6g}"


def _options(options: dict) -> str:
    """Options in a few characters: '3x3 /2 SAME relu' rather than a dict."""
    parts = []
    if "filter_h" in options:
        parts.append(f"{options['filter_h']}x{options['filter_w']}")
    if "stride_h" in options:
        parts.append(f"/{options['stride_h']}" if options["stride_h"] == options["stride_w"]
                     else f"/{options['stride_h']}x{options['stride_w']}")
    if options.get("dilation_h", 1) != 1 or options.get("dilation_w", 1) != 1:
        parts.append(f"dilation {options['dilation_h']}x{options['dilation_w']}")
    if "padding" in options:
        parts.append(options["padding"])
    if options.get("depth_multiplier", 1) != 1:
        parts.append(f"x{options['depth_multiplier']}")
    if options.get("fused_activation", "NONE") != "NONE":
        parts.append(options["fused_activation"].lower())
    return " ".join(parts)
