/* Stand-in for TFLM's reference Dequantize (int8 to float): the double scale times the
 * value less the zero point, stored as float; written here. */
#ifndef EDGETF_TEST_REFERENCE_DEQUANTIZE_H
#define EDGETF_TEST_REFERENCE_DEQUANTIZE_H

#include <cstdint>

#include "tensorflow/lite/kernels/internal/types.h"

namespace tflite {
namespace reference_ops {

inline void Dequantize(const DequantizationParams &params, const RuntimeShape &input_shape,
                       const int8_t *input, const RuntimeShape &output_shape, float *output) {
  (void)output_shape;
  for (int i = 0; i < input_shape.FlatSize(); ++i) {
    output[i] = static_cast<float>(params.scale * (input[i] - params.zero_point));
  }
}

}  // namespace reference_ops
}  // namespace tflite

#endif
