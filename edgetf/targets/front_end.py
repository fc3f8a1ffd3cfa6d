"""What a feature front end (a graph of TFLM signal ops run beside the model, see
``edgetf.codegen.impulse``) adds to a library on one board: its graph's verdict (planned
arena, the board's kernels) and the RAM and flash of :class:`FrontEndLoad`.

One function, read by ``emit-firmware``, ``inspect`` and ``train-quantize``'s per-board
figures, so that they cannot disagree about a library with a front end.
"""

from __future__ import annotations

from edgetf.targets.boards import Board
from edgetf.targets.firmware_contract import MAX_RAW_GOLDEN_BYTES, FrontEndLoad, front_end_load
from edgetf.targets.footprint import kernel_code
from edgetf.targets.prepared import PreparedModel
from edgetf.targets.verdict import Verdict, board_verdict


def raw_golden_count(requested: int, clip_samples: int) -> int:
    """Raw int16 golden clips a library embeds: ``requested`` (``--golden``), at most
    :data:`MAX_RAW_GOLDEN_BYTES` of samples, at least one unless none were asked for."""
    if not requested:
        return 0
    return min(requested, max(1, MAX_RAW_GOLDEN_BYTES // (2 * clip_samples)))


def raw_golden_bytes(count: int, clip_samples: int, clip_frames: int, channels: int,
                     labels: int) -> int:
    """Flash of ``count`` raw golden vectors: int16 clip, int8 features, int8 scores."""
    return count * (2 * clip_samples + clip_frames * channels + labels)


def front_end_on_board(graph: PreparedModel, board: Board, *, window_samples: int,
                       clip_frames: int, channels: int, labels: int, history: int,
                       golden_bytes: int, model_ops: tuple[str, ...] = (),
                       what: str = "the audio front end") -> tuple[Verdict, FrontEndLoad]:
    """The front end's graph judged on ``board`` (stored as is) and what it adds: its
    arena, the window, the ring of ``clip_frames`` frames and the recognizer's history in
    RAM; the graph, its kernels (those ``model_ops`` do not already bring) and the raw
    golden vectors in flash (``what`` names the front end in a refusal). Where the board's
    TFLM cannot run the graph, the load carries why, and the model's verdict refuses the
    library."""
    verdict = board_verdict(graph, board, "off")
    problems: tuple[str, ...] = ()
    if verdict.missing_kernels or verdict.problems:
        reason = "; ".join(verdict.missing_kernels or verdict.problems)
        problems = (f"{what}: {reason}",)
    code = sum(kernel_code(name, board) for name in set(graph.model.op_names()) - set(model_ops))
    return verdict, front_end_load(verdict.arena.bytes, window_samples, clip_frames, channels,
                                   labels, history, len(graph.data), code, golden_bytes,
                                   problems)
