/* Stand-in for TFLM's kernels/internal/types.h: the shape class and parameter structs the
 * compiled program hands TFLM's reference kernels, with the member names of the TFLM in
 * Chirale_TensorFlowLite 2.0.0, written here (only the members the program sets). */
#ifndef EDGETF_TEST_TFLM_TYPES_H
#define EDGETF_TEST_TFLM_TYPES_H

#include <stdint.h>

namespace tflite {

class RuntimeShape {
 public:
  RuntimeShape(int dimensions_count, const int32_t* dims) : count_(dimensions_count) {
    for (int i = 0; i < count_ && i < 6; ++i) dims_[i] = dims[i];
  }
  int DimensionsCount() const { return count_; }
  int32_t Dims(int i) const { return dims_[i]; }
  int FlatSize() const {
    int size = 1;
    for (int i = 0; i < count_; ++i) size *= dims_[i];
    return size;
  }

 private:
  int count_;
  int32_t dims_[6] = {1, 1, 1, 1, 1, 1};
};

struct FullyConnectedParams {
  int32_t input_offset;
  int32_t weights_offset;
  int32_t output_offset;
  int32_t quantized_activation_min;
  int32_t quantized_activation_max;
};

struct ArithmeticParams {
  int32_t input1_offset;
  int32_t input2_offset;
  int32_t output_offset;
  int32_t output_multiplier;
  int output_shift;
  int left_shift;
  int32_t input1_multiplier;
  int input1_shift;
  int32_t input2_multiplier;
  int input2_shift;
  int32_t quantized_activation_min;
  int32_t quantized_activation_max;
};

struct QuantizationParams {
  int32_t zero_point;
  double scale;
};

struct DequantizationParams {
  double scale;
  int32_t zero_point;
};

}  // namespace tflite

#endif
