/* Stand-in for TFLM's reference/dequantize.h (declaration only). */
#ifndef EDGETF_TEST_TFLM_DEQUANTIZE_H
#define EDGETF_TEST_TFLM_DEQUANTIZE_H

#include "tensorflow/lite/kernels/internal/types.h"

namespace tflite {
namespace reference_ops {

template <typename InputT, typename OutputT>
void Dequantize(const DequantizationParams& op_params, const RuntimeShape& input_shape,
                const InputT* input_data, const RuntimeShape& output_shape,
                OutputT* output_data);

}  // namespace reference_ops
}  // namespace tflite

#endif
