/* Stand-in for TFLM's reference/quantize.h (declaration only). */
#ifndef EDGETF_TEST_TFLM_QUANTIZE_H
#define EDGETF_TEST_TFLM_QUANTIZE_H

#include "tensorflow/lite/kernels/internal/types.h"

namespace tflite {
namespace reference_ops {

template <typename InputT, typename OutputT>
void AffineQuantize(const QuantizationParams& op_params, const RuntimeShape& input_shape,
                    const InputT* input_data, const RuntimeShape& output_shape,
                    OutputT* output_data);

}  // namespace reference_ops
}  // namespace tflite

#endif
