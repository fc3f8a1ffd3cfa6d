/* Stand-in for TFLM's reference/integer_ops/mul.h (declaration only). */
#ifndef EDGETF_TEST_TFLM_MUL_H
#define EDGETF_TEST_TFLM_MUL_H

#include "tensorflow/lite/kernels/internal/types.h"

namespace tflite {
namespace reference_integer_ops {

template <typename T>
void BroadcastMul4DSlow(const ArithmeticParams& params, const RuntimeShape& input1_shape,
                        const T* input1_data, const RuntimeShape& input2_shape,
                        const T* input2_data, const RuntimeShape& output_shape,
                        T* output_data);

}  // namespace reference_integer_ops
}  // namespace tflite

#endif
