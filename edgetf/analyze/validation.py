"""What ``validate`` measured (:class:`Validation`) and its summary for a person: the rows
the terminal and the HTML report share, and the terminal tables."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Validation:
    """Everything ``validate`` measured; ``to_dict`` is its JSON form."""

    samples: int
    labels: tuple[str, ...]
    int8_accuracy: float | None
    tflm_accuracy: float | None
    tflm_litert_top1_agreement: float | None
    tflm_litert_bit_exact_rate: float | None
    tflm_litert_max_abs_difference: int | None
    confusion: list[list[int]] | None
    reference_accuracy: float | None = None
    reference_top1_agreement: float | None = None
    output_max_abs_error: float | None = None
    output_rmse: float | None = None
    reference_confusion: list[list[int]] | None = None
    error_histogram: dict | None = None
    """Signed int8 − reference output errors: ``edges`` (bins + 1) and ``counts``."""
    model_file: str = ""
    model_sha256: str = ""
    reference_file: str | None = None
    data: str = ""
    max_drop: float | None = None
    notes: list[str] = field(default_factory=list)
    streaming: dict | None = None
    """Audio runs: false activations per hour and miss rate against the threshold
    (:func:`edgetf.analyze.kws_calibration.calibrate`'s record)."""

    @property
    def accuracy_drop_points(self) -> float | None:
        if self.reference_accuracy is None or self.int8_accuracy is None:
            return None
        return 100.0 * (self.reference_accuracy - self.int8_accuracy)

    @property
    def gate_passed(self) -> bool | None:
        """Whether the ``--max-drop`` gate passes; None when no gate was asked for."""
        if self.max_drop is None or self.accuracy_drop_points is None:
            return None
        return self.accuracy_drop_points <= self.max_drop

    def to_dict(self) -> dict:
        data = {key: getattr(self, key) for key in self.__dataclass_fields__}
        data["labels"] = list(self.labels)
        data["accuracy_drop_points"] = self.accuracy_drop_points
        data["gate_passed"] = self.gate_passed
        return data



def summary_rows(result: Validation) -> list[tuple[str, str]]:
    """The headline figures as (measure, formatted value); the terminal tables and the
    HTML report show the same rows."""

    def percent(value):
        return "-" if value is None else f"{100 * value:.2f} %"

    def number(value):
        return "-" if value is None else f"{value:.4g}"

    drop = result.accuracy_drop_points
    difference = result.tflm_litert_max_abs_difference
    streaming = []
    if result.streaming is not None:
        at = result.streaming["at_threshold"]
        fa = at["false_activations_per_hour"]
        streaming = [
            (f"false activations / h (threshold {at['threshold']:.2f})",
             "-" if fa is None else f"{fa:.1f}"),
            (f"miss rate (threshold {at['threshold']:.2f})", percent(at["miss_rate"]))]
    return [
        ("int8 accuracy (LiteRT)", percent(result.int8_accuracy)),
        ("int8 accuracy (TFLM)", percent(result.tflm_accuracy)),
        ("reference accuracy", percent(result.reference_accuracy)),
        ("int8 - reference (points)", "-" if drop is None else f"{-drop:+.2f}"),
        ("top-1 agreement int8 / reference", percent(result.reference_top1_agreement)),
        ("output max abs error", number(result.output_max_abs_error)),
        ("output RMSE", number(result.output_rmse)),
        ("top-1 agreement TFLM / LiteRT", percent(result.tflm_litert_top1_agreement)),
        ("bit-exact TFLM / LiteRT", percent(result.tflm_litert_bit_exact_rate)),
        ("max difference TFLM / LiteRT (steps)", "-" if difference is None else str(difference)),
        *streaming,
    ]


def render_validation(result: Validation, console) -> None:
    """Tables for a person: accuracies and agreement, then the confusion matrix."""
    from rich.markup import escape
    from rich.table import Table

    summary = Table(title=f"Validation on {result.samples} test samples")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    for name, value in summary_rows(result):
        summary.add_row(name, value)
    console.print(summary)
    for note in result.notes:
        console.print(note)
    if result.confusion is not None:
        confusion = Table(title="Confusion matrix of the int8 model (rows: true, columns:"
                          " predicted)")
        confusion.add_column("")
        for label in result.labels:
            confusion.add_column(escape(label), justify="right")
        for label, row in zip(result.labels, result.confusion, strict=True):
            confusion.add_row(escape(label), *(str(count) for count in row))
        console.print(confusion)
    if result.streaming is not None:
        render_streaming(result.streaming, console)


def render_streaming(record: dict, console) -> None:
    """The threshold table of the streaming calibration, and how its streams were made."""
    from rich.markup import escape
    from rich.table import Table

    from edgetf.analyze.kws_calibration import THRESHOLD_COLUMNS, threshold_table

    chosen = f"{record['recognizer']['detection_threshold']:.2f}"
    table = Table(title=escape(
        f"Streaming: {record['background_hours'] * 60:.1f} min of background,"
        f" {record['keywords']} keywords ({', '.join(record['keyword_labels'])});"
        f" the config's threshold is {chosen}"))
    for index, name in enumerate(THRESHOLD_COLUMNS):
        table.add_column(name, justify="left" if index == 0 else "right")
    for row in threshold_table(record):
        table.add_row(*row, style="bold" if row[0] == chosen else None)
    console.print(table)
    console.print(escape(f"streams: {record['streams']}"))
