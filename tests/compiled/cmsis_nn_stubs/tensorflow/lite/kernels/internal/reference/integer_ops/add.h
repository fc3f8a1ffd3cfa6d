/* Stand-in for TFLM's reference/integer_ops/add.h (declaration only). */
#ifndef EDGETF_TEST_TFLM_ADD_H
#define EDGETF_TEST_TFLM_ADD_H

#include "tensorflow/lite/kernels/internal/types.h"

namespace tflite {
namespace reference_integer_ops {

void BroadcastAdd4DSlow(const ArithmeticParams& params, const RuntimeShape& input1_shape,
                        const int8_t* input1_data, const RuntimeShape& input2_shape,
                        const int8_t* input2_data, const RuntimeShape& output_shape,
                        int8_t* output_data);

}  // namespace reference_integer_ops
}  // namespace tflite

#endif
