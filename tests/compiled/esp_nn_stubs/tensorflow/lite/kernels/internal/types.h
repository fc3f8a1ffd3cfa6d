/* Stand-in for the few TFLM types (tensorflow/lite/kernels/internal/types.h) that the
 * compiled ESP-NN program hands to TFLM's reference kernels, written here for the tests. */
#ifndef EDGETF_TEST_TFLITE_TYPES_H
#define EDGETF_TEST_TFLITE_TYPES_H

#include <cstdint>

namespace tflite {

class RuntimeShape {
 public:
  RuntimeShape(int count, const int32_t *dims) : size_(count), flat_(1) {
    for (int i = 0; i < count; ++i) flat_ *= dims[i];
  }
  int DimensionsCount() const { return size_; }
  int FlatSize() const { return flat_; }

 private:
  int size_;
  int flat_;
};

struct QuantizationParams {
  int32_t zero_point = 0;
  double scale = 0.0;
};

struct DequantizationParams {
  double scale;
  int32_t zero_point;
};

}  // namespace tflite

#endif
