/* Stand-in for TFLM's reference/integer_ops/fully_connected.h (declaration only; the
 * test's reference_ops.cc defines it). */
#ifndef EDGETF_TEST_TFLM_FULLY_CONNECTED_H
#define EDGETF_TEST_TFLM_FULLY_CONNECTED_H

#include "tensorflow/lite/kernels/internal/types.h"

namespace tflite {
namespace reference_integer_ops {

void FullyConnectedPerChannel(const FullyConnectedParams& params,
                              const int32_t* output_multiplier, const int* output_shift,
                              const RuntimeShape& input_shape, const int8_t* input_data,
                              const RuntimeShape& filter_shape, const int8_t* filter_data,
                              const RuntimeShape& bias_shape, const int32_t* bias_data,
                              const RuntimeShape& output_shape, int8_t* output_data);

}  // namespace reference_integer_ops
}  // namespace tflite

#endif
