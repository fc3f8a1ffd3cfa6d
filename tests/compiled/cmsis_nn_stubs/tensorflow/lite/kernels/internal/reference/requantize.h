/* Stand-in for TFLM's reference/requantize.h (declaration only). */
#ifndef EDGETF_TEST_TFLM_REQUANTIZE_H
#define EDGETF_TEST_TFLM_REQUANTIZE_H

#include <stdint.h>

namespace tflite {
namespace reference_ops {

template <typename input_type, typename output_type>
void Requantize(const input_type* input_data, int32_t size,
                int32_t effective_scale_multiplier, int32_t effective_scale_shift,
                int32_t input_zeropoint, int32_t output_zeropoint, output_type* output_data);

}  // namespace reference_ops
}  // namespace tflite

#endif
