// edgetf's arithmetic for TFLM's signal-library ops (the audio front end's custom ops
// SignalWindow ... SignalFilterBankLog), for boards whose TFLM has no signal kernels
// (the Nano 33 BLE's Chirale_TensorFlowLite 2.0.0, a TFLM of 2023). Written here from
// what TFLM's kernels compute (signal/src and signal/micro/kernels, tflite-micro
// 90b983c, and the kissfft v130 fixed-point FFT its RFFT runs); every result is meant to
// be bit-exact with them, including where they wrap or saturate, and
// tests/codegen/test_signal_kernels.py checks that op by op against the tflite-micro
// wheel's interpreter.
//
// No TFLM header is needed here (the C++ standard library only), so the host tests build
// this part alone; edgetf_signal_tflm.cc registers the ops over it.
//
// The formats, as TFLM's kernels use them:
// * window: int16 samples times int16 weights, shifted right, saturated to int16;
// * FFT auto-scale: shifts the frame left by the headroom of its largest magnitude (as
//   TFLM finds it, see FftAutoScale) and returns that shift;
// * RFFT (float, the motion front end's): kissfft's float FFT, every product and sum
//   rounded to float in kissfft's order (never fused into a multiply-add);
// * RFFT: int16 in, fft_length / 2 + 1 complex int16 out. kissfft's fixed-point FFT
//   halves each radix-2 stage's inputs and quarters each radix-4 stage's (by multiplying
//   with 16383 or 8191 in Q15), so the output is the DFT divided by fft_length, rounded
//   at every stage; the real-FFT split halves once more and again at its end;
// * energy: re^2 + im^2 as uint32, for bins [start, end) only;
// * filter bank: uint32 energies into uint64 channels through int16 weights, each bin
//   shared by two neighbouring channels (weight to one, "unweight" to the next);
// * square root: rounded to nearest, of each uint64 channel, shifted right by the
//   auto-scale's shift;
// * spectral subtraction: a per-channel noise estimate (state between frames) smoothed
//   in fixed point, subtracted, floored at a fraction of the signal;
// * PCAN: a gain from a piecewise-quadratic table of the noise estimate, then a
//   compressive "shrink";
// * log: natural log in fixed point (a log2 with a 128-segment correction table, times
//   ln 2 in Q16), scaled, saturated to int16.
#ifndef EDGETF_SIGNAL_H_
#define EDGETF_SIGNAL_H_

#include <cstddef>
#include <cstdint>

#include "edgetf_library.h"

namespace edgetf {
inline namespace EDGETF_LIBRARY_NS {
namespace signal {

struct Cpx16 {
  int16_t re;
  int16_t im;
};

struct CpxF {
  float re;
  float im;
};

// --- SignalWindow -----------------------------------------------------------------
// out[i] = saturate16((in[i] * window[i]) >> shift), for `count` samples.
void ApplyWindow(const int16_t* in, const int16_t* window, int count, int shift,
                 int16_t* out);

// --- SignalFftAutoScale -----------------------------------------------------------
// Scales `count` samples up by the headroom of the largest magnitude and returns the
// shift. Reproduces TFLM's search exactly: the running maximum is an int16, so a sample
// of -32768 stores -32768 in it and the search then continues from there.
int32_t FftAutoScale(const int16_t* in, int count, int16_t* out);

// --- SignalRfft (int16) -----------------------------------------------------------
// The FFT's tables and work buffer live in caller-provided memory (the TFLM wrapper's
// persistent arena buffer). Lengths: powers of two from 8 to 32768.
struct Rfft;
bool RfftLengthSupported(int32_t fft_length);
// Bytes RfftMake needs for `fft_length` (0 when the length is not supported).
std::size_t RfftBytes(int32_t fft_length);
// Builds the tables in `memory` (RfftBytes(fft_length) bytes, 4-byte aligned);
// nullptr when the length is not supported or the memory too small.
Rfft* RfftMake(int32_t fft_length, void* memory, std::size_t bytes);
// One frame: `frame` holds fft_length samples (the caller zero-pads), `out` gets
// fft_length / 2 + 1 complex values.
void RfftApply(Rfft* fft, const int16_t* frame, Cpx16* out);

// --- SignalRfft (float) -----------------------------------------------------------
// kissfft's float real FFT (TFLM's RfftFloatApply), same lengths and memory contract.
struct RfftFloat;
std::size_t RfftFloatBytes(int32_t fft_length);
RfftFloat* RfftFloatMake(int32_t fft_length, void* memory, std::size_t bytes);
void RfftFloatApply(RfftFloat* fft, const float* frame, CpxF* out);

// --- SignalEnergy -----------------------------------------------------------------
// out[i] = re^2 + im^2 for i in [start, end); other entries are left as they were.
void Energy(const Cpx16* spectrum, int start, int end, uint32_t* out);

// --- SignalFilterBank -------------------------------------------------------------
struct FilterBankTables {
  int32_t channels;
  // channels + 1 entries each (entry 0 only feeds channel 1's "unweights").
  const int16_t* frequency_starts;
  const int16_t* weight_starts;
  const int16_t* widths;
  const int16_t* weights;
  const int16_t* unweights;
  int32_t weight_count;  // entries of weights and unweights
};
// Whether every bin and weight the tables name lies inside `bins` energies and the
// weight arrays (TFLM does not check; edgetf refuses instead of reading out of bounds).
bool FilterBankTablesFit(const FilterBankTables& tables, int32_t bins);
// out[c] for c in [0, channels).
void FilterBank(const FilterBankTables& tables, const uint32_t* energy, uint64_t* out);

// --- SignalFilterBankSquareRoot ---------------------------------------------------
// Square root rounded to nearest (at most 0xFFFF below 2^32, 0xFFFFFFFF above), then
// shifted right by `shift`.
uint32_t RoundedSqrt64(uint64_t value);
void FilterBankSquareRoot(const uint64_t* in, int count, int32_t shift, uint32_t* out);

// --- SignalFilterBankSpectralSubtraction ------------------------------------------
struct SpectralSubtractionOptions {
  int32_t channels;
  uint32_t smoothing;            // Q(spectral_subtraction_bits), even channels
  uint32_t one_minus_smoothing;
  uint32_t alternate_smoothing;  // odd channels
  uint32_t alternate_one_minus_smoothing;
  uint32_t min_signal_remaining;
  uint32_t smoothing_bits;
  uint32_t spectral_subtraction_bits;
  bool clamping;
};
// Updates `noise` (channels values, zero after a reset) and writes `out`.
void SpectralSubtraction(const SpectralSubtractionOptions& options, const uint32_t* in,
                         uint32_t* noise, uint32_t* out);

// --- SignalPCAN -------------------------------------------------------------------
// The gain table must have kPcanLutEntries entries.
constexpr int kPcanLutEntries = 125;
void Pcan(const uint32_t* in, const uint32_t* noise, const int16_t* gain_lut,
          int32_t snr_shift, int count, uint32_t* out);

// --- SignalFilterBankLog ----------------------------------------------------------
// Natural log of x (x >= 2) in Q16 times out_scale / 2^16, rounded (TFLM's Log32).
uint32_t ScaledLog(uint32_t x, uint32_t out_scale);
void FilterBankLog(const uint32_t* in, int count, int32_t output_scale,
                   int32_t correction_bits, int16_t* out);

}  // namespace signal
}  // namespace EDGETF_LIBRARY_NS
}  // namespace edgetf

#endif  // EDGETF_SIGNAL_H_
