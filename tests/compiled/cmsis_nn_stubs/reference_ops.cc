// Definitions of the stand-in TFLM reference kernels (tensorflow/lite/... beside this
// file) that compute TFLM's int8 reference arithmetic, written here for the test: the
// generated program runs on the host and is compared with the oracle and with the golden
// vectors. TFLM's own headers are used on the real builds.
#include <cmath>
#include <cstdint>

#include "tensorflow/lite/kernels/internal/reference/dequantize.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/add.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/fully_connected.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/mul.h"
#include "tensorflow/lite/kernels/internal/reference/quantize.h"
#include "tensorflow/lite/kernels/internal/reference/requantize.h"

extern "C" int32_t reference_requantize(int32_t x, int32_t multiplier, int32_t shift);
extern "C" int32_t reference_scale_down(int32_t x, int32_t multiplier, int32_t shift);

namespace {

int32_t Clamp(int32_t x, int32_t lo, int32_t hi) { return x < lo ? lo : (x > hi ? hi : x); }

// Shapes extended to 4-D at the front; a dimension of 1 broadcasts.
struct Shape4 {
  int32_t d[4];
  explicit Shape4(const tflite::RuntimeShape& s) {
    const int pad = 4 - s.DimensionsCount();
    for (int i = 0; i < 4; ++i) d[i] = i < pad ? 1 : s.Dims(i - pad);
  }
  int Index(const int* at) const {
    int index = 0;
    for (int i = 0; i < 4; ++i) index = index * d[i] + (d[i] == 1 ? 0 : at[i]);
    return index;
  }
};

template <typename T, typename F>
void Broadcast(const tflite::RuntimeShape& s1, const T* a, const tflite::RuntimeShape& s2,
               const T* b, const tflite::RuntimeShape& so, T* out, F f) {
  const Shape4 x(s1), y(s2), o(so);
  int at[4];
  int n = 0;
  for (at[0] = 0; at[0] < o.d[0]; ++at[0])
    for (at[1] = 0; at[1] < o.d[1]; ++at[1])
      for (at[2] = 0; at[2] < o.d[2]; ++at[2])
        for (at[3] = 0; at[3] < o.d[3]; ++at[3]) out[n++] = f(a[x.Index(at)], b[y.Index(at)]);
}

}  // namespace

namespace tflite {
namespace reference_integer_ops {

void FullyConnectedPerChannel(const FullyConnectedParams& p, const int32_t* multiplier,
                              const int* shift, const RuntimeShape&, const int8_t* input,
                              const RuntimeShape& filter_shape, const int8_t* filter,
                              const RuntimeShape&, const int32_t* bias,
                              const RuntimeShape& output_shape, int8_t* output) {
  const int batches = output_shape.Dims(0), units = output_shape.Dims(1);
  const int depth = filter_shape.Dims(filter_shape.DimensionsCount() - 1);
  for (int b = 0; b < batches; ++b) {
    for (int u = 0; u < units; ++u) {
      int32_t acc = 0;
      for (int d = 0; d < depth; ++d) {
        acc += filter[u * depth + d] * (input[b * depth + d] + p.input_offset);
      }
      if (bias != nullptr) acc += bias[u];
      acc = reference_requantize(acc, multiplier[u], shift[u]) + p.output_offset;
      output[b * units + u] = static_cast<int8_t>(
          Clamp(acc, p.quantized_activation_min, p.quantized_activation_max));
    }
  }
}

void BroadcastAdd4DSlow(const ArithmeticParams& p, const RuntimeShape& s1, const int8_t* a,
                        const RuntimeShape& s2, const int8_t* b, const RuntimeShape& so,
                        int8_t* out) {
  Broadcast(s1, a, s2, b, so, out, [&p](int8_t x, int8_t y) {
    const int32_t one = reference_scale_down((x + p.input1_offset) * (1 << p.left_shift),
                                             p.input1_multiplier, p.input1_shift);
    const int32_t two = reference_scale_down((y + p.input2_offset) * (1 << p.left_shift),
                                             p.input2_multiplier, p.input2_shift);
    const int32_t sum = reference_scale_down(one + two, p.output_multiplier, p.output_shift);
    return static_cast<int8_t>(Clamp(sum + p.output_offset, p.quantized_activation_min,
                                     p.quantized_activation_max));
  });
}

template <typename T>
void BroadcastMul4DSlow(const ArithmeticParams& p, const RuntimeShape& s1, const T* a,
                        const RuntimeShape& s2, const T* b, const RuntimeShape& so, T* out) {
  Broadcast(s1, a, s2, b, so, out, [&p](T x, T y) {
    const int32_t product = (x + p.input1_offset) * (y + p.input2_offset);
    const int32_t scaled = reference_requantize(product, p.output_multiplier, p.output_shift);
    return static_cast<T>(Clamp(scaled + p.output_offset, p.quantized_activation_min,
                                p.quantized_activation_max));
  });
}
template void BroadcastMul4DSlow<int8_t>(const ArithmeticParams&, const RuntimeShape&,
                                         const int8_t*, const RuntimeShape&, const int8_t*,
                                         const RuntimeShape&, int8_t*);

}  // namespace reference_integer_ops

namespace reference_ops {

template <typename InputT, typename OutputT>
void AffineQuantize(const QuantizationParams& p, const RuntimeShape& shape, const InputT* in,
                    const RuntimeShape&, OutputT* out) {
  for (int i = 0; i < shape.FlatSize(); ++i) {
    const int32_t q = static_cast<int32_t>(std::round(in[i] / static_cast<float>(p.scale)));
    out[i] = static_cast<OutputT>(Clamp(q + p.zero_point, -128, 127));
  }
}
template void AffineQuantize<float, int8_t>(const QuantizationParams&, const RuntimeShape&,
                                            const float*, const RuntimeShape&, int8_t*);

template <typename input_type, typename output_type>
void Requantize(const input_type* in, int32_t size, int32_t multiplier, int32_t shift,
                int32_t input_zero_point, int32_t output_zero_point, output_type* out) {
  for (int32_t i = 0; i < size; ++i) {
    const int32_t q = reference_requantize(in[i] - input_zero_point, multiplier, shift);
    out[i] = static_cast<output_type>(Clamp(q + output_zero_point, -128, 127));
  }
}
template void Requantize<int8_t, int8_t>(const int8_t*, int32_t, int32_t, int32_t, int32_t,
                                         int32_t, int8_t*);
template void Requantize<int16_t, int8_t>(const int16_t*, int32_t, int32_t, int32_t, int32_t,
                                          int32_t, int8_t*);

template <typename InputT, typename OutputT>
void Dequantize(const DequantizationParams& p, const RuntimeShape& shape, const InputT* in,
                const RuntimeShape&, OutputT* out) {
  for (int i = 0; i < shape.FlatSize(); ++i) {
    out[i] = static_cast<OutputT>(p.scale * (static_cast<int32_t>(in[i]) - p.zero_point));
  }
}
template void Dequantize<int8_t, float>(const DequantizationParams&, const RuntimeShape&,
                                        const int8_t*, const RuntimeShape&, float*);

}  // namespace reference_ops
}  // namespace tflite
