"""TFLM's signal library (the audio front end's custom ops): what each kernel's Init and
Prepare allocate.

Read from ``signal/micro/kernels/*.cc`` at tflite-micro 90b983c2b3f1; esp-tflite-micro
1.4.0 (9fee33d) ships the same files (its ``signal/`` folder differs only by the tests),
so one entry serves the reference-64 table and the ESP tables, each at its own struct
sizes (:mod:`.layouts`: the params structs hold pointers). Custom ops get no builtin
params (``MicroAllocator`` hands Init the flexbuffer options instead), so every
allocation is Init's or Prepare's. None allocates during Eval.

Sizes that the options hold are read from the shapes, as the kernels' Prepare checks
them: RFFT's ``fft_length`` is ``2 * (output length / 2 - 1)`` (its output holds
``fft_length / 2 + 1`` complex values), FILTER_BANK's ``num_channels`` its output length.
Ops whose persistent state depends on options that the shapes do not give (Delay,
Framer, Stacker, OverlapAdd, Irfft) have no entry yet: a model with them falls back to
the host figure times the board's margin, and says so.
"""

from __future__ import annotations

from edgetf.targets.planner.kernels import Kernel, OpContext

_AT = "signal/micro/kernels/{} @90b983c2b3f1 (= esp-tflite-micro 1.4.0, 9fee33d)"
#: ``struct kiss_fft_state`` without its twiddles (third_party/kissfft/_kiss_fft_guts.h,
#: the kissfft that TFLM and esp-tflite-micro ship): ``int nfft, inverse,
#: factors[2 * MAXFACTORS]`` with MAXFACTORS 32; the same on every target.
_KISS_FFT_STATE_HEAD = 4 + 4 + 4 * 2 * 32
#: ``sizeof(kiss_fft_cpx)`` per RFFT type: two int16, int32 or float.
_KISS_CPX = {"int16": 4, "int32": 8, "float32": 8}


def kiss_fftr_bytes(fftr_state: int, fft_length: int, dtype: str) -> int:
    """``kiss_fftr_alloc``'s ``memneeded`` (third_party/kissfft/tools/kiss_fftr.c):
    the kiss_fftr_state (three pointers: ``fftr_state`` bytes), a complex FFT of half the length
    (``kiss_fft_alloc``: the state with its first twiddle, and ``nfft - 1`` more) and
    ``nfft * 3 / 2`` complex values (tmpbuf and super twiddles)."""
    cpx = _KISS_CPX[dtype]
    half = fft_length // 2
    return fftr_state + (_KISS_FFT_STATE_HEAD + cpx) + cpx * (half - 1) + \
        cpx * (half * 3 // 2)


def _fft_length(op: OpContext) -> int:
    return 2 * (op.output(0).shape[-1] // 2 - 1)


def _rfft_init(op: OpContext) -> None:
    """rfft.cc RfftInit<T>: the params struct, then the kiss_fftr state."""
    op.persistent(op.layout.size("TfLiteAudioFrontendRfftParams"))
    op.persistent(kiss_fftr_bytes(op.layout.size("kiss_fftr_state"), _fft_length(op),
                                  op.input(0).dtype))


def _rfft_prepare(op: OpContext) -> None:
    """rfft.cc RfftPrepare<T>: input, output; a work area of ``fft_length`` values."""
    op.temp_input(0)
    op.temp_output(0)
    op.scratch(_fft_length(op) * op.type_size(op.input(0).dtype))


def _filter_bank_init(op: OpContext) -> None:
    """filter_bank.cc FilterBankInit: the params, then ``num_channels + 1`` uint64s."""
    op.persistent(op.layout.size("TFLMSignalFilterBankParams"))
    op.persistent(8 * (op.output(0).shape[0] + 1))


def _spectral_subtraction_init(op: OpContext) -> None:
    """filter_bank_spectral_subtraction.cc Init: the params, then the noise estimate
    (``num_channels`` uint32s)."""
    op.persistent(op.layout.size("TFLMSignalSpectralSubtractionParams"))
    op.persistent(4 * op.output(0).shape[0])


def _reads(inputs: tuple[int, ...], outputs: tuple[int, ...]):
    """A Prepare that only reads tensors as temporaries, in the kernel's order."""
    def prepare(op: OpContext) -> None:
        for i in inputs:
            op.temp_input(i)
        for o in outputs:
            op.temp_output(o)
    return prepare


def _filter_bank_prepare(op: OpContext) -> None:
    """filter_bank.cc FilterBankPrepare: the six inputs one after the other (each freed,
    but the temp section is only reset after Prepare), then the output."""
    for i in range(6):
        op.temp_input(i)
    op.temp_output(0)


SIGNAL_KERNELS: dict[str, Kernel] = {
    "CUSTOM:SignalWindow": Kernel(_AT.format("window.cc"), None, "TFLMSignalWindowParams",
                                  _reads((0, 1), (0,))),
    # fft_auto_scale_kernel.cc has no Init; fft_auto_scale_common.cc FftAutoScalePrepare.
    "CUSTOM:SignalFftAutoScale": Kernel(_AT.format("fft_auto_scale_common.cc"), None, None,
                                        _reads((0,), (0, 1))),
    "CUSTOM:SignalRfft": Kernel(_AT.format("rfft.cc"), None, None, _rfft_prepare, _rfft_init),
    "CUSTOM:SignalEnergy": Kernel(_AT.format("energy.cc"), None, "TFLMSignalEnergyParams",
                                  _reads((0,), (0,))),
    "CUSTOM:SignalFilterBank": Kernel(_AT.format("filter_bank.cc"), None, None,
                                      _filter_bank_prepare, _filter_bank_init),
    # filter_bank_square_root.cc has no Init; filter_bank_square_root_common.cc Prepare.
    "CUSTOM:SignalFilterBankSquareRoot": Kernel(
        _AT.format("filter_bank_square_root_common.cc"), None, None, _reads((0, 1), (0,))),
    "CUSTOM:SignalFilterBankSpectralSubtraction": Kernel(
        _AT.format("filter_bank_spectral_subtraction.cc"), None, None, _reads((0,), (0, 1)),
        _spectral_subtraction_init),
    "CUSTOM:SignalPCAN": Kernel(_AT.format("pcan.cc"), None, "TfLitePcanParams",
                                _reads((0, 1, 2), (0,))),
    "CUSTOM:SignalFilterBankLog": Kernel(_AT.format("filter_bank_log.cc"), None,
                                         "TFLMSignalLogParams", _reads((0,), (0,))),
}


# --- edgetf's own signal kernels (firmware/edgetf/edgetf_signal_tflm.cc), for TFLMs
# without the signal library (Chirale 2.0.0 on the Nano 33 BLE). Their Init allocates the
# options struct (``EdgetfSignal*Params`` in the layout), the RFFT its tables and work
# buffer (edgetf_signal.h RfftBytes), the spectral subtraction its noise estimate; their
# Prepare reads the tensors as temporaries in the order below. No work area for the filter
# bank; the RFFT asks for a scratch frame only when its frames are shorter than the FFT.
_EDGETF_AT = "firmware/edgetf/edgetf_signal_tflm.cc (edgetf)"


def edgetf_rfft_bytes(op: OpContext) -> int:
    """RfftBytes / RfftFloatBytes: the tables' struct, then twiddles (N/2), split twiddles
    (N/4) and the work buffer (N/2), each a complex int16 (4 bytes) or float (8)."""
    return op.layout.size("EdgetfRfft") + _KISS_CPX[op.input(0).dtype] * (
        _fft_length(op) * 5 // 4)


def _edgetf_rfft_init(op: OpContext) -> None:
    op.persistent(op.layout.size("EdgetfSignalRfftParams"))
    op.persistent(edgetf_rfft_bytes(op))


def _edgetf_rfft_prepare(op: OpContext) -> None:
    op.temp_input(0)
    op.temp_output(0)
    if op.input(0).shape[-1] < _fft_length(op):
        op.scratch(op.type_size(op.input(0).dtype) * _fft_length(op))


def _edgetf_subtraction_init(op: OpContext) -> None:
    op.persistent(op.layout.size("EdgetfSignalSubtractionParams"))
    op.persistent(4 * op.output(0).shape[0])


def _edgetf(op_data: str | None, prepare, init=None) -> Kernel:
    return Kernel(_EDGETF_AT, None, op_data, prepare, init)


EDGETF_SIGNAL_KERNELS: dict[str, Kernel] = {
    "CUSTOM:SignalWindow": _edgetf("EdgetfSignalWindowParams", _reads((0, 1), (0,))),
    "CUSTOM:SignalFftAutoScale": _edgetf(None, _reads((0,), (0, 1))),
    "CUSTOM:SignalRfft": _edgetf(None, _edgetf_rfft_prepare, _edgetf_rfft_init),
    "CUSTOM:SignalEnergy": _edgetf("EdgetfSignalEnergyParams", _reads((0,), (0,))),
    "CUSTOM:SignalFilterBank": _edgetf("EdgetfSignalFilterBankParams",
                                       _reads((0, 1, 2, 3, 4, 5), (0,))),
    "CUSTOM:SignalFilterBankSquareRoot": _edgetf(None, _reads((0, 1), (0,))),
    "CUSTOM:SignalFilterBankSpectralSubtraction": _edgetf(
        None, _reads((0,), (0, 1)), _edgetf_subtraction_init),
    "CUSTOM:SignalPCAN": _edgetf("EdgetfSignalPcanParams", _reads((0, 1, 2), (0,))),
    "CUSTOM:SignalFilterBankLog": _edgetf("EdgetfSignalLogParams", _reads((0,), (0,))),
}
