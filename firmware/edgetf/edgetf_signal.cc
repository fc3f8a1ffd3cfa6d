// edgetf's arithmetic for TFLM's signal-library ops; see edgetf_signal.h. Integer
// widths and the order of operations follow TFLM's kernels where they decide a result:
// int32 products truncated to int16 on store, uint32 shifts that wrap, arithmetic right
// shifts of negative int32 (as GCC and Clang compile them, on the host and the board).
#include "edgetf_signal.h"

#include <cmath>
#include <cstddef>
#include <cstdint>

// The float FFT must round every product and sum to float, as the host's build of TFLM
// does: GCC's GNU dialects contract a * b + c into one fused multiply-add by default where
// the core has one (the Cortex-M4F does), Clang within an expression. Off for the float
// functions below (GCC: per function; Clang: the standard pragma, for this file).
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#define EDGETF_NO_FP_CONTRACT
#elif defined(__GNUC__)
#define EDGETF_NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define EDGETF_NO_FP_CONTRACT
#endif

namespace edgetf {
inline namespace EDGETF_LIBRARY_NS {
namespace signal {
namespace {

constexpr int32_t kInt16Max = 32767;
constexpr int32_t kInt16Min = -32768;

// Bits needed to write x (0 for 0): floor(log2(x)) + 1.
int BitLength32(uint32_t x) {
  int bits = 0;
  while (x != 0) {
    x >>= 1;
    ++bits;
  }
  return bits;
}

int BitLength64(uint64_t x) {
  int bits = 0;
  if ((x >> 32) != 0) {
    bits = 32;
    x >>= 32;
  }
  return bits + BitLength32(static_cast<uint32_t>(x));
}

}  // namespace

// --- window and auto-scale ----------------------------------------------------------

void ApplyWindow(const int16_t* in, const int16_t* window, int count, int shift,
                 int16_t* out) {
  for (int i = 0; i < count; ++i) {
    const int32_t value = (static_cast<int32_t>(in[i]) * window[i]) >> shift;
    out[i] = static_cast<int16_t>(value > kInt16Max ? kInt16Max
                                  : value < kInt16Min ? kInt16Min : value);
  }
}

int32_t FftAutoScale(const int16_t* in, int count, int16_t* out) {
  // TFLM keeps the largest magnitude in an int16: -32768 negates to 32768, which is
  // stored back as -32768, and later samples are compared with that.
  int16_t largest = 0;
  for (int i = 0; i < count; ++i) {
    const int32_t value = in[i];
    if (value > largest) {
      largest = static_cast<int16_t>(value);
    } else if (-value > largest) {
      largest = static_cast<int16_t>(-value);
    }
  }
  // Headroom: 15 minus the bit length of the maximum, as an unsigned 32-bit word (a
  // negative maximum has all 32 bits; TFLM counts 0 as 32 bits long too).
  const uint32_t word = static_cast<uint32_t>(static_cast<int32_t>(largest));
  const int length = word == 0 ? 32 : BitLength32(word);
  int32_t shift = 16 - length - 1;
  if (shift < 0) shift = 0;
  for (int i = 0; i < count; ++i) {
    out[i] = static_cast<int16_t>(static_cast<int32_t>(in[i]) * (1 << shift));
  }
  return shift;
}

// --- RFFT -----------------------------------------------------------------------------
//
// kissfft's real FFT of N points: the N real samples, read as N/2 complex pairs (even
// samples real, odd imaginary), go through a complex FFT of M = N/2 points, which is
// then split into the real signal's spectrum with "super twiddles". The complex FFT is
// mixed-radix decimation in time with radix 4 stages first and one radix 2 stage last
// when M is not a power of 4 (kissfft's factoring: 4s, then 2s). The same butterflies
// serve both types (templates below); what differs is each type's arithmetic.
//
// int16 (kissfft's FIXED_POINT build):
// * twiddles: floor(0.5 + 32767 * cos/sin(phase)) computed in double;
// * complex products: each part (a*b - c*d or a*b + c*d in int32) rounded with
//   (x + 2^14) >> 15 and truncated to int16;
// * before each butterfly its inputs are scaled by 1/radix as a Q15 product with
//   32767 / radix (16383 or 8191), rounded the same way;
// * sums and differences are truncated to int16 when stored.
//
// float (kissfft's float build, TFLM's RfftFloatApply):
// * twiddles: (float) cos/sin(phase) of the same double phases;
// * complex products a.re*b.re - a.im*b.im and a.re*b.im + a.im*b.re, each product and
//   each sum rounded to float: never fused into a multiply-add (GCC contracts a*b + c
//   into one FMA by default in its GNU dialects on cores that have one, the Cortex-M4F
//   among them, which rounds once and so differs from the host's result);
// * no scaling before the butterflies; the real-FFT split halves with * 0.5 (exact).

namespace {

constexpr int kMaxStages = 16;
constexpr double kPi = 3.14159265358979323846264338327;

int16_t Q15Round(int32_t product) {
  return static_cast<int16_t>((product + (1 << 14)) >> 15);
}

Cpx16 Multiply(Cpx16 a, Cpx16 b) {
  Cpx16 m;
  m.re = Q15Round(static_cast<int32_t>(a.re) * b.re - static_cast<int32_t>(a.im) * b.im);
  m.im = Q15Round(static_cast<int32_t>(a.re) * b.im + static_cast<int32_t>(a.im) * b.re);
  return m;
}

Cpx16 Divide(Cpx16 a, int32_t radix) {
  const int32_t factor = kInt16Max / radix;
  Cpx16 d;
  d.re = Q15Round(static_cast<int32_t>(a.re) * factor);
  d.im = Q15Round(static_cast<int32_t>(a.im) * factor);
  return d;
}

Cpx16 Add(Cpx16 a, Cpx16 b) {
  return Cpx16{static_cast<int16_t>(a.re + b.re), static_cast<int16_t>(a.im + b.im)};
}

Cpx16 Sub(Cpx16 a, Cpx16 b) {
  return Cpx16{static_cast<int16_t>(a.re - b.re), static_cast<int16_t>(a.im - b.im)};
}

// a + b * -i and a + b * i (the radix-4 butterfly's odd outputs).
Cpx16 AddTimesMinusI(Cpx16 a, Cpx16 b) {
  return Cpx16{static_cast<int16_t>(a.re + b.im), static_cast<int16_t>(a.im - b.re)};
}

Cpx16 AddTimesI(Cpx16 a, Cpx16 b) {
  return Cpx16{static_cast<int16_t>(a.re - b.im), static_cast<int16_t>(a.im + b.re)};
}

void Unit(double phase, Cpx16* out) {
  *out = Cpx16{static_cast<int16_t>(std::floor(0.5 + kInt16Max * std::cos(phase))),
               static_cast<int16_t>(std::floor(0.5 + kInt16Max * std::sin(phase)))};
}

EDGETF_NO_FP_CONTRACT CpxF Multiply(CpxF a, CpxF b) {
  const float rr = a.re * b.re;
  const float ii = a.im * b.im;
  const float ri = a.re * b.im;
  const float ir = a.im * b.re;
  return CpxF{rr - ii, ri + ir};
}

CpxF Divide(CpxF a, int32_t) { return a; }  // kissfft's float C_FIXDIV does nothing

EDGETF_NO_FP_CONTRACT CpxF Add(CpxF a, CpxF b) { return CpxF{a.re + b.re, a.im + b.im}; }

EDGETF_NO_FP_CONTRACT CpxF Sub(CpxF a, CpxF b) { return CpxF{a.re - b.re, a.im - b.im}; }

EDGETF_NO_FP_CONTRACT CpxF AddTimesMinusI(CpxF a, CpxF b) {
  return CpxF{a.re + b.im, a.im - b.re};
}

EDGETF_NO_FP_CONTRACT CpxF AddTimesI(CpxF a, CpxF b) { return CpxF{a.re - b.im, a.im + b.re}; }

void Unit(double phase, CpxF* out) {
  *out = CpxF{static_cast<float>(std::cos(phase)), static_cast<float>(std::sin(phase))};
}

}  // namespace

// The tables of one FFT length, in caller memory: the struct, then twiddles (M), split
// twiddles (M / 2) and the complex FFT's output (M), each of complex values C.
template <typename C>
struct FftTables {
  int32_t length;  // N
  int32_t half;    // M = N / 2
  int32_t stages;
  int32_t radix[kMaxStages];  // outermost (last applied) first
  C* twiddles;                // M: exp(-2 pi i k / M)
  C* split;                   // M / 2: exp(-i pi ((k + 1) / M + 1/2))
  C* work;                    // M: the complex FFT's output
};

struct Rfft : FftTables<Cpx16> {};
struct RfftFloat : FftTables<CpxF> {};

namespace {

// Places the input where the butterflies expect it: the digit-reversed order of the
// mixed-radix decimation in time (each level takes every radix-th value of its input).
template <typename C>
void Load(const FftTables<C>& fft, int level, const C* in, int32_t stride, C* out) {
  const int32_t radix = fft.radix[level];
  int32_t block = 1;  // the length each branch of this level transforms
  for (int s = level + 1; s < fft.stages; ++s) block *= fft.radix[s];
  for (int32_t k = 0; k < radix; ++k) {
    if (level + 1 == fft.stages) {
      out[k] = in[k * stride];
    } else {
      Load(fft, level + 1, in + k * stride, stride * radix, out + k * block);
    }
  }
}

// Combines `radix` transforms of length `span` at `out` into one (stride: the twiddle
// step, the number of such blocks at this level).
template <typename C>
EDGETF_NO_FP_CONTRACT void Butterfly2(const FftTables<C>& fft, C* out, int32_t stride,
                                      int32_t span) {
  for (int32_t u = 0; u < span; ++u) {
    const C a = Divide(out[u], 2);
    const C b = Multiply(Divide(out[u + span], 2), fft.twiddles[u * stride]);
    out[u + span] = Sub(a, b);
    out[u] = Add(a, b);
  }
}

template <typename C>
EDGETF_NO_FP_CONTRACT void Butterfly4(const FftTables<C>& fft, C* out, int32_t stride,
                                      int32_t span) {
  for (int32_t u = 0; u < span; ++u) {
    C x0 = Divide(out[u], 4);
    const C y1 = Multiply(Divide(out[u + span], 4), fft.twiddles[u * stride]);
    const C y2 = Multiply(Divide(out[u + 2 * span], 4), fft.twiddles[2 * u * stride]);
    const C y3 = Multiply(Divide(out[u + 3 * span], 4), fft.twiddles[3 * u * stride]);
    const C d02 = Sub(x0, y2);
    x0 = Add(x0, y2);
    const C s13 = Add(y1, y3);
    const C d13 = Sub(y1, y3);
    out[u + 2 * span] = Sub(x0, s13);
    out[u] = Add(x0, s13);
    // Forward transform: the odd outputs rotate (y1 - y3) by -i and +i.
    out[u + span] = AddTimesMinusI(d02, d13);
    out[u + 3 * span] = AddTimesI(d02, d13);
  }
}

template <typename C>
EDGETF_NO_FP_CONTRACT void ComplexFft(const FftTables<C>& fft, const C* in, C* out) {
  Load(fft, 0, in, 1, out);
  // Innermost level first; a level's blocks are contiguous and tile the output.
  int32_t span = 1;
  for (int level = fft.stages - 1; level >= 0; --level) {
    const int32_t radix = fft.radix[level];
    int32_t blocks = 1;
    for (int s = 0; s < level; ++s) blocks *= fft.radix[s];
    for (int32_t b = 0; b < blocks; ++b) {
      C* block = out + b * radix * span;
      if (radix == 4) {
        Butterfly4(fft, block, blocks, span);
      } else {
        Butterfly2(fft, block, blocks, span);
      }
    }
    span *= radix;
  }
}

template <typename T>
std::size_t AlignUp(std::size_t n) {
  const std::size_t a = alignof(T);
  return (n + a - 1) / a * a;
}

template <typename T, typename C>
std::size_t TablesBytes(int32_t fft_length) {
  if (!RfftLengthSupported(fft_length)) return 0;
  const std::size_t half = static_cast<std::size_t>(fft_length) / 2;
  return AlignUp<T>(sizeof(T)) + sizeof(C) * (half + half / 2 + half);
}

template <typename T, typename C>
T* MakeTables(int32_t fft_length, void* memory, std::size_t bytes) {
  const std::size_t needed = TablesBytes<T, C>(fft_length);
  if (memory == nullptr || needed == 0 || bytes < needed ||
      reinterpret_cast<std::uintptr_t>(memory) % alignof(T) != 0) {
    return nullptr;
  }
  T* fft = static_cast<T*>(memory);
  fft->length = fft_length;
  fft->half = fft_length / 2;
  fft->stages = 0;
  for (int32_t rest = fft->half; rest > 1;) {
    const int32_t radix = rest % 4 == 0 ? 4 : 2;
    fft->radix[fft->stages++] = radix;
    rest /= radix;
  }
  C* tables = reinterpret_cast<C*>(static_cast<char*>(memory) + AlignUp<T>(sizeof(T)));
  fft->twiddles = tables;
  fft->split = tables + fft->half;
  fft->work = fft->split + fft->half / 2;
  const int32_t m = fft->half;
  for (int32_t k = 0; k < m; ++k) {
    Unit(-2 * kPi * k / m, &fft->twiddles[k]);
  }
  for (int32_t k = 0; k < m / 2; ++k) {
    Unit(-kPi * (static_cast<double>(k + 1) / m + .5), &fft->split[k]);
  }
  return fft;
}

}  // namespace

bool RfftLengthSupported(int32_t fft_length) {
  return fft_length >= 8 && fft_length <= 32768 && (fft_length & (fft_length - 1)) == 0;
}

std::size_t RfftBytes(int32_t fft_length) { return TablesBytes<Rfft, Cpx16>(fft_length); }

Rfft* RfftMake(int32_t fft_length, void* memory, std::size_t bytes) {
  return MakeTables<Rfft, Cpx16>(fft_length, memory, bytes);
}

void RfftApply(Rfft* fft, const int16_t* frame, Cpx16* out) {
  const int32_t m = fft->half;
  ComplexFft<Cpx16>(*fft, reinterpret_cast<const Cpx16*>(frame), fft->work);
  const Cpx16* z = fft->work;
  // DC and Nyquist from bin 0: the even samples' sum is its real part, the odd ones'
  // its imaginary part.
  const Cpx16 dc = Divide(z[0], 2);
  out[0] = Cpx16{static_cast<int16_t>(dc.re + dc.im), 0};
  out[m] = Cpx16{static_cast<int16_t>(dc.re - dc.im), 0};
  for (int32_t k = 1; k <= m / 2; ++k) {
    const Cpx16 a = Divide(z[k], 2);
    const Cpx16 b = Divide(Cpx16{z[m - k].re, static_cast<int16_t>(-z[m - k].im)}, 2);
    const Cpx16 sum = Add(a, b);
    const Cpx16 t = Multiply(Sub(a, b), fft->split[k - 1]);
    // Halved in int (no int16 truncation before the shift); at k = M/2 the second pair
    // of stores lands on the first, as in kissfft.
    out[k] = Cpx16{static_cast<int16_t>((sum.re + t.re) >> 1),
                   static_cast<int16_t>((sum.im + t.im) >> 1)};
    out[m - k] = Cpx16{static_cast<int16_t>((sum.re - t.re) >> 1),
                       static_cast<int16_t>((t.im - sum.im) >> 1)};
  }
}

std::size_t RfftFloatBytes(int32_t fft_length) {
  return TablesBytes<RfftFloat, CpxF>(fft_length);
}

RfftFloat* RfftFloatMake(int32_t fft_length, void* memory, std::size_t bytes) {
  return MakeTables<RfftFloat, CpxF>(fft_length, memory, bytes);
}

EDGETF_NO_FP_CONTRACT void RfftFloatApply(RfftFloat* fft, const float* frame, CpxF* out) {
  const int32_t m = fft->half;
  ComplexFft<CpxF>(*fft, reinterpret_cast<const CpxF*>(frame), fft->work);
  const CpxF* z = fft->work;
  const CpxF dc = z[0];
  out[0] = CpxF{dc.re + dc.im, 0.0f};
  out[m] = CpxF{dc.re - dc.im, 0.0f};
  for (int32_t k = 1; k <= m / 2; ++k) {
    const CpxF a = z[k];
    const CpxF b = CpxF{z[m - k].re, -z[m - k].im};
    const CpxF sum = Add(a, b);
    const CpxF t = Multiply(Sub(a, b), fft->split[k - 1]);
    // kissfft's HALF_OF: the float sum times 0.5 (exact); at k = M/2 the second pair of
    // stores lands on the first.
    const float re0 = sum.re + t.re;
    const float im0 = sum.im + t.im;
    const float re1 = sum.re - t.re;
    const float im1 = t.im - sum.im;
    out[k] = CpxF{re0 * 0.5f, im0 * 0.5f};
    out[m - k] = CpxF{re1 * 0.5f, im1 * 0.5f};
  }
}

// --- energy, filter bank, square root -------------------------------------------------

void Energy(const Cpx16* spectrum, int start, int end, uint32_t* out) {
  for (int i = start; i < end; ++i) {
    const int32_t re = spectrum[i].re;
    const int32_t im = spectrum[i].im;
    // TFLM sums in int32; the unsigned sum has the same bits without the overflow.
    out[i] = static_cast<uint32_t>(re * re) + static_cast<uint32_t>(im * im);
  }
}

bool FilterBankTablesFit(const FilterBankTables& t, int32_t bins) {
  if (t.channels < 1) return false;
  for (int32_t c = 0; c <= t.channels; ++c) {
    const int32_t width = t.widths[c];
    if (width == 0) continue;
    if (width < 0 || t.frequency_starts[c] < 0 || t.weight_starts[c] < 0 ||
        t.frequency_starts[c] + width > bins || t.weight_starts[c] + width > t.weight_count) {
      return false;
    }
  }
  return true;
}

void FilterBank(const FilterBankTables& t, const uint32_t* energy, uint64_t* out) {
  // Channel c collects its bins through `weights`; the same bins feed channel c + 1
  // through `unweights`. Entry 0 of the tables only feeds channel 1.
  uint64_t carried = 0;
  for (int32_t c = 0; c <= t.channels; ++c) {
    uint64_t own = carried;
    uint64_t next = 0;
    const int32_t bin0 = t.frequency_starts[c];
    const int32_t w0 = t.weight_starts[c];
    for (int32_t j = 0; j < t.widths[c]; ++j) {
      const uint64_t e = energy[bin0 + j];
      // A negative int16 weight converts to uint64 modulo 2^64, as in TFLM.
      own += static_cast<uint64_t>(static_cast<int64_t>(t.weights[w0 + j])) * e;
      next += static_cast<uint64_t>(static_cast<int64_t>(t.unweights[w0 + j])) * e;
    }
    if (c > 0) out[c - 1] = own;
    carried = next;
  }
}

uint32_t RoundedSqrt64(uint64_t value) {
  // Digit-by-digit square root: root = floor(sqrt(value)), rest = value - root^2.
  uint64_t rest = value;
  uint64_t root = 0;
  int top = BitLength64(value);
  top += top & 1;  // an even bit position
  for (int bit = top - 2; bit >= 0; bit -= 2) {
    const uint64_t trial = (root << (bit / 2 + 1)) + (uint64_t{1} << bit);
    if (rest >= trial) {
      rest -= trial;
      root += uint64_t{1} << (bit / 2);
    }
  }
  // Round to nearest: value > root^2 + root. TFLM's 32-bit root stops at 0xFFFF for
  // values below 2^32, its 64-bit one at 0xFFFFFFFF.
  const uint64_t cap = (value >> 32) == 0 ? 0xFFFFu : 0xFFFFFFFFu;
  if (rest > root && root != cap) ++root;
  return static_cast<uint32_t>(root);
}

void FilterBankSquareRoot(const uint64_t* in, int count, int32_t shift, uint32_t* out) {
  for (int i = 0; i < count; ++i) {
    const uint32_t root = RoundedSqrt64(in[i]);
    out[i] = (shift >= 0 && shift < 32) ? root >> shift : 0;
  }
}

// --- spectral subtraction and PCAN ----------------------------------------------------

void SpectralSubtraction(const SpectralSubtractionOptions& o, const uint32_t* in,
                         uint32_t* noise, uint32_t* out) {
  for (int32_t c = 0; c < o.channels; ++c) {
    const bool odd = (c & 1) != 0;
    const uint64_t weight_new = odd ? o.alternate_smoothing : o.smoothing;
    const uint64_t weight_old = odd ? o.alternate_one_minus_smoothing : o.one_minus_smoothing;
    const uint32_t signal = in[c] << o.smoothing_bits;  // wraps as in TFLM
    noise[c] = static_cast<uint32_t>((signal * weight_new + noise[c] * weight_old) >>
                                     o.spectral_subtraction_bits);
    uint32_t estimate = noise[c];
    if (estimate > signal) {
      estimate = signal;
      if (o.clamping) noise[c] = signal;
    }
    const uint32_t least = static_cast<uint32_t>(
        (static_cast<uint64_t>(in[c]) * o.min_signal_remaining) >> o.spectral_subtraction_bits);
    const uint32_t left = (signal - estimate) >> o.smoothing_bits;
    out[c] = left > least ? left : least;
  }
}

namespace {

constexpr int kSnrBits = 12;
constexpr int kPcanOutputBits = 6;

// The gain for a noise level: table entries 0..2 for levels 0..2; above, a quadratic
// per octave (three coefficients each, at 4 * octave - 6) in the level's top 10
// fractional bits.
int16_t PcanGain(uint32_t level, const int16_t* lut) {
  if (level <= 2) return lut[level];
  const int octave = BitLength32(level);
  const int16_t* coefficients = lut + 4 * octave - 6;
  const int32_t fraction =
      static_cast<int16_t>((octave < 11 ? level << (11 - octave) : level >> (octave - 11)) &
                           0x3FF);
  int32_t value = (static_cast<int32_t>(coefficients[2]) * fraction) >> 5;
  value += static_cast<int32_t>(static_cast<uint32_t>(coefficients[1]) << 5);
  value *= fraction;
  value = (value + (1 << 14)) >> 15;
  value += coefficients[0];
  return static_cast<int16_t>(value);
}

uint32_t PcanShrink(uint32_t snr) {
  if (snr < (2u << kSnrBits)) {
    return (snr * snr) >> (2 + 2 * kSnrBits - kPcanOutputBits);
  }
  return (snr >> (kSnrBits - kPcanOutputBits)) - (1u << kPcanOutputBits);
}

}  // namespace

void Pcan(const uint32_t* in, const uint32_t* noise, const int16_t* gain_lut,
          int32_t snr_shift, int count, uint32_t* out) {
  for (int i = 0; i < count; ++i) {
    // The int16 gain widens to uint32 modulo 2^32 (a negative table entry is huge).
    const uint32_t gain = static_cast<uint32_t>(static_cast<int32_t>(PcanGain(noise[i],
                                                                              gain_lut)));
    const uint64_t product = static_cast<uint64_t>(in[i]) * gain;
    const uint32_t snr =
        static_cast<uint32_t>(snr_shift >= 0 && snr_shift < 64 ? product >> snr_shift : 0);
    out[i] = PcanShrink(snr);
  }
}

// --- log --------------------------------------------------------------------------------

namespace {

// round(65536 * (log2(1 + k/128) - k/128)) for k = 0..128: how far log2 lies above the
// straight line between powers of two, at 129 points (tests check the formula).
constexpr uint16_t kLog2Correction[129] = {
    0, 224, 442, 654, 861, 1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646,
    2797, 2944, 3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368,
    4460, 4549, 4633, 4714, 4791, 4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326,
    5368, 5408, 5444, 5477, 5507, 5533, 5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640,
    5641, 5638, 5633, 5626, 5615, 5602, 5586, 5568, 5547, 5524, 5498, 5470, 5439, 5406,
    5370, 5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762, 4697,
    4630, 4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935, 3848, 3759, 3668, 3575,
    3481, 3384, 3286, 3186, 3084, 2981, 2875, 2768, 2659, 2549, 2437, 2323, 2207, 2090,
    1971, 1851, 1729, 1605, 1480, 1353, 1224, 1094, 963, 830, 695, 559, 421, 282, 142, 0};
constexpr int kQ16 = 16;
constexpr uint32_t kHalfQ16 = 1u << (kQ16 - 1);
constexpr uint64_t kLn2Q16 = 45426;  // round(65536 * ln 2)

}  // namespace

uint32_t ScaledLog(uint32_t x, uint32_t out_scale) {
  const int32_t exponent = BitLength32(x) - 1;
  // The mantissa's fraction in Q16, then the correction interpolated linearly between
  // the table's points (every 512 in Q16).
  int32_t fraction = static_cast<int32_t>(static_cast<int64_t>(x) - (int64_t{1} << exponent));
  if (exponent < kQ16) {
    fraction <<= kQ16 - exponent;
  } else {
    fraction >>= exponent - kQ16;
  }
  const int32_t segment = fraction >> (kQ16 - 7);
  const int32_t low = kLog2Correction[segment];
  const int32_t high = kLog2Correction[segment + 1];
  const int32_t within = fraction - segment * (1 << (kQ16 - 7));
  const uint32_t log2_fraction =
      static_cast<uint32_t>(fraction + low + (((high - low) * within) >> kQ16));
  const uint32_t log2_q16 = (static_cast<uint32_t>(exponent) << kQ16) + log2_fraction;
  const uint32_t ln_q16 = static_cast<uint32_t>((kLn2Q16 * log2_q16 + kHalfQ16) >> kQ16);
  return (out_scale * ln_q16 + kHalfQ16) >> kQ16;  // uint32 arithmetic, as in TFLM
}

void FilterBankLog(const uint32_t* in, int count, int32_t output_scale,
                   int32_t correction_bits, int16_t* out) {
  for (int i = 0; i < count; ++i) {
    const uint32_t scaled = in[i] << correction_bits;
    if (scaled > 1) {
      const uint32_t value = ScaledLog(scaled, static_cast<uint32_t>(output_scale));
      out[i] = static_cast<int16_t>(value < static_cast<uint32_t>(kInt16Max) ? value
                                                                              : kInt16Max);
    } else {
      out[i] = 0;
    }
  }
}

}  // namespace signal
}  // namespace EDGETF_LIBRARY_NS
}  // namespace edgetf
