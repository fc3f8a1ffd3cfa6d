"""The ``audio`` front end as a TFLite graph of TFLM signal ops: one window of int16
samples in, one frame of int8 features out.

The graph is the one TFLM's micro_speech example converts from TensorFlow
(``audio_preprocessor_int8.tflite``), with the same state kept between invocations (the
noise estimate and PCAN smoothing live in the kernels: one interpreter per stream, reset
between clips), and the same bytes out, but two of its steps rewritten so that
Chirale 2.0.0 (the Nano's TFLM, whose CAST cannot write uint32 and whose ADD and DIV
take no int32) runs it too, one graph for every board::

    SignalWindow -> RESHAPE -> SignalFftAutoScale -> SignalRfft -> SignalEnergy
    -> SignalFilterBank -> SignalFilterBankSquareRoot
    -> SignalFilterBankSpectralSubtraction (noise_reduction) -> SignalPCAN (pcan)
    -> SignalFilterBankLog -> CAST, MINIMUM, MAXIMUM, GATHER (int8)

- micro_speech zeroes the energy bins outside the filter bank (CAST, STRIDED_SLICE,
  CONCATENATION, CAST back to uint32); edgetf does not: SignalFilterBank multiplies
  every bin outside ``[start_index, end_index)`` it reads by a zero weight and unweight
  (audio_tables.filter_bank), so those bins never reach the output.
- micro_speech's int8 scaling of the log-mel values (0 to about 670),
  ``clamp((v * 256 + 333) // 666 - 128, -128, 127)`` in int32 CAST, MUL, ADD, DIV, ADD,
  MINIMUM, MAXIMUM, CAST (666 being ``round(25.6 * 26)``), is here a clamp of ``v`` to
  ``0 .. 663`` and a lookup in a 664-byte table of that formula; both tails give the
  same int8 for each of the 65,536 int16 inputs in the TFLM interpreter
  (tests/features/test_audio_int8_tail.py).
"""

from __future__ import annotations

import numpy as np

from edgetf.base.errors import ConfigError
from edgetf.features.audio_config import AudioConfig
from edgetf.features.audio_tables import filter_bank, hann_window, pcan_gain_lut
from edgetf.tflite.writer import ModelWriter

# micro_speech's feature scaling (audio_preprocessor.py): 256 / round(25.6 * 26).
_VALUE_SCALE = 256
_VALUE_DIV = int(25.6 * 26 + 0.5)
# TFLM's PCAN wrapper (pcan_op.py) checks the SNR shift its parameters imply but then
# passes 6 whatever they are; the kernels and micro_speech's model use 6.
_PCAN_SNR_SHIFT = 6


def audio_graph(config: AudioConfig, *, source: str = "the config") -> bytes:
    """The front end's ``.tflite`` bytes: input ``[1, window_samples]`` int16, output
    ``[channels]`` int8."""
    c = config
    fft = c.fft_length
    spectrum = fft // 2 + 1
    try:
        bank = filter_bank(spectrum, c.sample_rate, c.channels, c.lower_hz, c.upper_hz,
                           scaling_bits=c.filter_bank_scaling_bits,
                           alignment=c.filter_bank_alignment,
                           block_size=c.filter_bank_block_size)
    except ValueError as e:
        raise ConfigError(f"{source}: [features.audio] {e}; change lower_hz / upper_hz"
                          ) from None
    w = ModelWriter(description="edgetf audio front end")
    n = c.window_samples
    frame = w.input("audio_frame", (1, n), "int16")

    windowed = w.tensor("signal_window", (1, n), "int16")
    w.custom("SignalWindow", [frame, w.constant("hann_window", hann_window(
        n, c.window_scaling_bits))], [windowed], {"shift": c.window_scaling_bits})
    flat = w.tensor("reshape", (n,), "int16")
    w.builtin("RESHAPE", [windowed, w.constant("shape", np.array([-1], np.int32))], [flat])
    scaled = w.tensor("signal_fft_auto_scale", (n,), "int16")
    shift = w.tensor("signal_fft_auto_scale_shift", (), "int32")
    w.custom("SignalFftAutoScale", [flat], [scaled, shift], {})
    rfft = w.tensor("signal_rfft", (fft + 2,), "int16")
    w.custom("SignalRfft", [scaled], [rfft], {"T": 7, "fft_length": fft})  # T: int16
    energy = w.tensor("signal_energy", (spectrum,), "uint32")
    w.custom("SignalEnergy", [rfft], [energy],
             {"end_index": bank.end_index, "start_index": bank.start_index})

    mel = w.tensor("signal_filter_bank", (c.channels,), "uint64")
    tables = [w.constant(f"filter_bank_{name}", getattr(bank, name)) for name in
              ("weights", "unweights", "frequency_starts", "weight_starts", "widths")]
    w.custom("SignalFilterBank", [energy, *tables], [mel], {"num_channels": c.channels})
    root = w.tensor("signal_filter_bank_square_root", (c.channels,), "uint32")
    w.custom("SignalFilterBankSquareRoot", [mel, shift], [root], {})
    signal = root
    if c.noise_reduction:
        signal = w.tensor("signal_filter_bank_spectral_subtraction", (c.channels,), "uint32")
        noise = w.tensor("noise_estimate", (c.channels,), "uint32")
        w.custom("SignalFilterBankSpectralSubtraction", [root], [signal, noise],
                 _spectral_subtraction_options(c))
        if c.pcan:
            lut = pcan_gain_lut(c.pcan_strength, c.pcan_offset,
                                c.smoothing_bits - c.correction_bits, c.pcan_gain_bits)
            gained = w.tensor("signal_pcan", (c.channels,), "uint32")
            w.custom("SignalPCAN", [signal, noise, w.constant("pcan_gain_lut", lut)],
                     [gained], {"snr_shift": _PCAN_SNR_SHIFT})
            signal = gained
    log = w.tensor("signal_filter_bank_log", (c.channels,), "int16")
    w.custom("SignalFilterBankLog", [signal], [log],
             {"input_correction_bits": c.correction_bits,
              "output_scale": 1 << c.log_scaling_bits})
    out = _to_int8(w, log, c.channels)
    return w.finish([out])


def _spectral_subtraction_options(c: AudioConfig) -> dict:
    one = 1 << c.spectral_subtraction_bits
    smoothing = int(c.even_smoothing * one)
    alternate = int((c.odd_smoothing or c.even_smoothing) * one)  # 0 turns it off
    return {
        "alternate_one_minus_smoothing": one - alternate,
        "alternate_smoothing": alternate,
        "clamping": c.clamping,
        "min_signal_remaining": int(c.min_signal_remaining * one),
        "num_channels": c.channels,
        "one_minus_smoothing": one - smoothing,
        "smoothing": smoothing,
        "smoothing_bits": c.smoothing_bits,
        "spectral_subtraction_bits": c.spectral_subtraction_bits,
    }


def int8_table() -> np.ndarray:
    """micro_speech's scaling of each log-mel value ``v`` in ``0 .. len - 1`` to int8; every
    ``v`` below 0 gives the first entry (-128), every one above the last (127)."""
    v = np.arange(1 << 15, dtype=np.int64)
    scaled = np.clip((v * _VALUE_SCALE + _VALUE_DIV // 2) // _VALUE_DIV - 128, -128, 127)
    return scaled[:int(np.argmax(scaled == 127)) + 1].astype(np.int8)


def _to_int8(w: ModelWriter, log: int, channels: int) -> int:
    """micro_speech's scaling of log-mel values to the model's int8 input, as a clamp and
    a table lookup: int32 MINIMUM, MAXIMUM and int8 GATHER run on every board's TFLM,
    where micro_speech's int32 ADD and DIV do not run on Chirale 2.0.0."""
    table = int8_table()

    def step(op: str, name: str, a: int, b: int) -> int:
        out = w.tensor(name, (channels,), "int32")
        w.builtin(op, [a, b], [out])
        return out

    value = w.tensor("log_int32", (channels,), "int32")
    w.builtin("CAST", [log], [value])
    value = step("MINIMUM", "clipped_high", value,
                 w.constant("last_index", np.array(len(table) - 1, np.int32)))
    value = step("MAXIMUM", "clipped", value, w.constant("zero", np.array(0, np.int32)))
    out = w.tensor("features", (channels,), "int8")
    w.builtin("GATHER", [w.constant("int8_table", table), value], [out], axis=0)
    return out
