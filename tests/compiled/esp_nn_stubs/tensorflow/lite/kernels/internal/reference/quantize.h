/* Stand-in for TFLM's reference AffineQuantize (float to int8): the value divided by the
 * scale in float, rounded half away from zero, plus the zero point, clamped; written here. */
#ifndef EDGETF_TEST_REFERENCE_QUANTIZE_H
#define EDGETF_TEST_REFERENCE_QUANTIZE_H

#include <cmath>
#include <cstdint>

#include "tensorflow/lite/kernels/internal/types.h"

namespace tflite {
namespace reference_ops {

inline void AffineQuantize(const QuantizationParams &params, const RuntimeShape &input_shape,
                           const float *input, const RuntimeShape &output_shape,
                           int8_t *output) {
  (void)output_shape;
  for (int i = 0; i < input_shape.FlatSize(); ++i) {
    const int32_t q = static_cast<int32_t>(std::round(input[i] / static_cast<float>(params.scale)))
                      + params.zero_point;
    output[i] = static_cast<int8_t>(q < -128 ? -128 : (q > 127 ? 127 : q));
  }
}

}  // namespace reference_ops
}  // namespace tflite

#endif
