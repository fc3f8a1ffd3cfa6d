"""What each board's TFLM build or optimized kernels get wrong or refuse, although TFLM's
reference kernels (and so edgetf's measurements and golden vectors) accept it.

Shared by ``emit-firmware`` (refuse or warn before writing anything) and ``inspect``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edgetf.tflite.model import TfliteModel
from edgetf.tflite.ops import is_signal_op

if TYPE_CHECKING:
    from edgetf.targets.boards import Board


#: The signal ops edgetf's own kernels run (firmware/edgetf/edgetf_signal_tflm.h), with
#: the function that returns each one's registration: the audio front end's nine.
EDGETF_SIGNAL_REGISTRATIONS: dict[str, str] = {
    f"CUSTOM:Signal{name}": f"edgetf::Signal{name}Registration()" for name in (
        "Window", "FftAutoScale", "Rfft", "Energy", "FilterBank", "FilterBankSquareRoot",
        "FilterBankSpectralSubtraction", "FilterBankLog")}
EDGETF_SIGNAL_REGISTRATIONS["CUSTOM:SignalPCAN"] = "edgetf::SignalPcanRegistration()"
#: FFT lengths edgetf's int16 and float RFFTs compute (edgetf_signal.h RfftLengthSupported).
EDGETF_RFFT_LENGTHS = range(3, 16)  # powers of two: 8 ... 32768


#: Builtin kernels of Chirale_TensorFLowLite 2.0.0 (46da2f9) that exist but lack a type
#: current TFLM's take: op -> (which tensor decides, the types its kernel computes). Read
#: from its kernels (cast.cpp's output switch, cmsis_nn/add.cpp, div.cpp) after
#: micro_speech's audio front end failed at Invoke on a Cortex-M4 under QEMU (2026-12):
#: "Output type UINT32 (16) not supported." (CAST), "Type INT32 (2) not supported." (ADD).
_CHIRALE_TYPES: dict[str, tuple[str, frozenset[str]]] = {
    "CAST": ("output", frozenset({"int8", "int16", "int32", "float32"})),
    "ADD": ("output", frozenset({"int8", "int16", "float32"})),
    "DIV": ("output", frozenset({"int8", "float32"})),
}


def _missing_types(model: TfliteModel, board: Board) -> list[str]:
    if board.tflm_source.name != "spaziochirale/Chirale_TensorFLowLite":
        return []
    found = []
    graph = model.main
    for op in graph.operators:
        if op.name not in _CHIRALE_TYPES or not op.outputs:
            continue
        _, types = _CHIRALE_TYPES[op.name]
        dtype = graph.tensors[op.outputs[0]].dtype
        if dtype not in types:
            found.append(f"{op.name} (op {op.index}) to {dtype}: {board.tflm_source.name} "
                         f"{board.tflm_source.version}'s kernel computes "
                         f"{', '.join(sorted(types))} only; use --board esp32")
    return found


def board_missing_kernels(model: TfliteModel, board: Board) -> list[str]:
    """Ops current TFLM runs that the board's TFLM has no kernel for at all, each entry
    with the board's reason. Not a matter of numbers: the generated resolver would not
    compile, so emit-firmware refuses these even when forced.

    TFLM's signal library (the audio front end's ``CUSTOM:Signal*`` ops) came to TFLM in
    late 2023: current tflite-micro and esp-tflite-micro 1.4.0 register all of it;
    Chirale_TensorFLowLite 2.0.0's TFLM of 2023 has no ``signal/`` folder and no
    ``AddWindow()``... in its ``micro_mutable_op_resolver.h``. There edgetf's own
    kernels run the audio front end's nine ops (``signal_kernels="edgetf"``), with an
    int16 or float32 RFFT (the ``spectral`` front end's) of a power-of-two length.
    """
    gaps = _missing_types(model, board)
    signal = [name for name in model.op_names() if is_signal_op(name)]
    if board.signal_kernels == "tflm" or not signal:
        return gaps
    library = f"{board.tflm_source.name.split('/')[-1]} {board.tflm_source.version}"
    fix = "use --board esp32 (esp-tflite-micro 1.4.0 registers them all)"
    if board.signal_kernels == "none":
        return [f"{', '.join(signal)}: {library} has no signal kernels (its TFLM "
                f"predates TFLM's signal library); {fix}", *gaps]
    found = gaps
    others = [name for name in signal if name not in EDGETF_SIGNAL_REGISTRATIONS]
    if others:
        found.append(f"{', '.join(others)}: {library} has no signal kernels and edgetf's own "
                     "cover the audio front end's nine ops only (SignalWindow ... "
                     f"SignalFilterBankLog); {fix}")
    for op in model.main.operators:
        if op.custom_code != "SignalRfft" or not op.inputs or not op.outputs:
            continue
        dtype = model.main.tensors[op.inputs[0]].dtype
        shape = model.main.tensors[op.outputs[0]].shape
        length = shape[-1] - 2 if shape else 0
        if dtype not in ("int16", "float32") or \
                length not in {1 << k for k in EDGETF_RFFT_LENGTHS}:
            found.append(f"CUSTOM:SignalRfft (op {op.index}) is a {dtype} FFT of {length} "
                         f"points; edgetf's kernel for {library} computes int16 and float32 "
                         f"FFTs of a power of two from 8 to 32768 points only; {fix}")
    return found


def board_limitations(model: TfliteModel, board: Board) -> list[str]:
    """What the board's TFLM or its optimized kernels get wrong or refuse although TFLM's
    reference kernels (and so edgetf's measurements and golden vectors) accept it: each
    entry names the op and why (:func:`board_missing_kernels` first). emit-firmware refuses
    these unless forced (and the missing kernels even then).

    Found by running generated libraries on a Cortex-M4 under QEMU (2026-11):

    - CMSIS-NN (tflite-micro main): FULLY_CONNECTED fails in Prepare on per-channel
      weights unless the input is int8 (``kernels/cmsis_nn/fully_connected.cc``:
      "is_per_channel ... input->type == kTfLiteInt8 ... was not true"), so an int16x8
      model from a current converter cannot allocate.
    - Chirale_TensorFLowLite 2.0.0 (TFLM of 2023): its only FULLY_CONNECTED kernel takes
      one multiplier from the first channel's scale, so per-channel weights (what TF 2.x
      converters write for Dense layers) give wrong outputs with no error: a lone Dense
      layer was off on 42 of 64 outputs; per-tensor weights matched bit for bit.
    """
    found = board_missing_kernels(model, board)
    graph = model.main
    for op in graph.operators:
        if op.name != "FULLY_CONNECTED" or len(op.inputs) < 2 or min(op.inputs[:2]) < 0:
            continue
        data, weights = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
        if weights.quantization is None or len(weights.quantization.scales) <= 1:
            continue
        if board.kernels == "CMSIS-NN" and data.dtype != "int8":
            found.append(f"FULLY_CONNECTED (op {op.index}) has {data.dtype} input with "
                         f"per-channel weights, which {board.kernels}'s kernel refuses at init")
        elif not board.per_channel_fully_connected:
            found.append(f"FULLY_CONNECTED (op {op.index}) has per-channel weights, which "
                         f"{board.tflm_source.spec}'s kernel computes with the first "
                         "channel's scale only (wrong outputs, no error); make the model "
                         f"with edgetf train-quantize --board {board.id} (it converts Dense "
                         "layers with per-tensor weights for this board), or convert with "
                         "converter._experimental_disable_per_channel_quantization_for_dense"
                         "_layers = True")
    return found


def board_warnings(model: TfliteModel, quantization: str, board: Board) -> list[str]:
    """Where the board's kernels were measured to compute other numbers than current
    TFLM's reference kernels, so that its self-test may report FAIL."""
    found = sorted(set(model.op_names()) & set(board.divergent_ops))
    if quantization in board.divergent_quantizations:
        found.append(f"{quantization} quantization")
    return [f"{', '.join(found)} on the {board.id}: {board.divergence_note}"] if found else []
