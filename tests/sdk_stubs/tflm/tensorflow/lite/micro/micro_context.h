// Stub of the MicroContext calls edgetf_lut_decode_tflm.cc makes (names and signatures
// of tensorflow/lite/micro/micro_context.h, 2023 and today). For host checks only.
#pragma once
#include "tensorflow/lite/c/common.h"

namespace tflite {

class MicroContext {
 public:
  virtual ~MicroContext() = default;
  virtual void* AllocatePersistentBuffer(size_t bytes) = 0;
  virtual TfLiteTensor* AllocateTempInputTensor(const TfLiteNode* node, int index) = 0;
  virtual TfLiteTensor* AllocateTempOutputTensor(const TfLiteNode* node, int index) = 0;
  virtual void DeallocateTempTfLiteTensor(TfLiteTensor* tensor) = 0;
};

inline MicroContext* GetMicroContext(const struct TfLiteContext* context) {
  return reinterpret_cast<MicroContext*>(context->impl_);
}

}  // namespace tflite
