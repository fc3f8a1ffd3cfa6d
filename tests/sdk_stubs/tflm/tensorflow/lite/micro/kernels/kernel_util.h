// Stub of the tflite::micro helpers edgetf_lut_decode_tflm.cc calls (names and
// signatures of tensorflow/lite/micro/kernels/kernel_util.h). For host checks only.
#pragma once
#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/micro_context.h"

namespace tflite {
namespace micro {

#ifdef EDGETF_STUB_TFLM_REGISTRATION
TFLMRegistration
#else
TfLiteRegistration
#endif
RegisterOp(void* (*init)(TfLiteContext* context, const char* buffer, size_t length),
           TfLiteStatus (*prepare)(TfLiteContext* context, TfLiteNode* node),
           TfLiteStatus (*invoke)(TfLiteContext* context, TfLiteNode* node),
           void (*free)(TfLiteContext* context, void* buffer) = nullptr);

const TfLiteEvalTensor* GetEvalInput(const TfLiteContext* context, const TfLiteNode* node,
                                     int index);
TfLiteEvalTensor* GetEvalOutput(const TfLiteContext* context, const TfLiteNode* node,
                                int index);

}  // namespace micro
}  // namespace tflite
