// The TFLM_DECODE custom operator over edgetf's LUT decoder (see
// edgetf_lut_decode_tflm.h). Compiled to nothing unless the generated op_resolver.h
// (or the build) defines EDGETF_OWN_DECODE: on boards whose TFLM has its own DECODE
// kernel this file must not register a second one.
//
// The operator's contract is TFLM's (kernels/decode.cc, tflite-micro 90b983c): inputs
// are (encoded, ancillary) pairs, one output per pair, each output an ordinary arena
// tensor that Eval fills. It compiles against the MicroContext API of the TFLM of 2023
// and of today: AllocatePersistentBuffer, AllocateTempInput/OutputTensor,
// DeallocateTempTfLiteTensor in Prepare; tflite::micro::GetEvalInput/Output in Eval.
//
// Memory: Prepare keeps one 8-byte lut::Plan per output (one AllocatePersistentBuffer,
// made before any temporary tensor, so it can never land on them) and three temporary
// TfLiteTensors per output; Eval allocates nothing. (TFLM's own DECODE keeps a pointer
// per output plus a DecodeStateLut object each, allocated while the temporaries live.)
#include "op_resolver.h"

#if defined(EDGETF_OWN_DECODE)

#include <cstddef>
#include <cstdint>

#include "edgetf_lut_decode.h"
#include "edgetf_lut_decode_tflm.h"
#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/micro_context.h"
#include "tensorflow/lite/micro/micro_log.h"

namespace edgetf {
inline namespace EDGETF_LIBRARY_NS {
namespace {

// The element size of the types TFLM's DECODE decodes to; 0 for the others.
std::size_t ValueBytes(TfLiteType type) {
  switch (type) {
    case kTfLiteBool:
    case kTfLiteInt8: return 1;
    case kTfLiteInt16: return 2;
    case kTfLiteInt32:
    case kTfLiteFloat32: return 4;
    case kTfLiteInt64: return 8;
    default: return 0;
  }
}

std::size_t ElementCount(const TfLiteIntArray* dims) {
  std::size_t count = 1;
  for (int i = 0; i < dims->size; ++i) {
    if (dims->data[i] < 0) return 0;
    count *= static_cast<std::size_t>(dims->data[i]);
  }
  return count;
}

bool IsConstant(const TfLiteTensor* tensor) {
  return tensor->allocation_type == kTfLiteMmapRo;
}

// Checks one (encoded, ancillary) -> output triple and makes its plan.
TfLiteStatus PrepareOutput(const TfLiteTensor* encoded, const TfLiteTensor* ancillary,
                           const TfLiteTensor* output, int index, lut::Plan* plan) {
  if (encoded == nullptr || ancillary == nullptr || output == nullptr) {
    MicroPrintf("TFLM_DECODE output %d: cannot read its tensors", index);
    return kTfLiteError;
  }
  if (!IsConstant(encoded) || !IsConstant(ancillary)) {
    MicroPrintf("TFLM_DECODE output %d: encoded and ancillary tensors must be constant",
                index);
    return kTfLiteError;
  }
  if (IsConstant(output) || output->dims == nullptr) {
    MicroPrintf("TFLM_DECODE output %d: the output must be an arena tensor", index);
    return kTfLiteError;
  }
  lut::TensorFacts facts = {};
  facts.indices = static_cast<const uint8_t*>(encoded->data.data);
  facts.index_bytes = encoded->bytes;
  facts.ancillary = static_cast<const uint8_t*>(ancillary->data.data);
  facts.ancillary_bytes = ancillary->bytes;
  facts.elements = ElementCount(output->dims);
  facts.value_bytes = ValueBytes(output->type);
  facts.channels = 1;
  facts.quantized_dimension = 0;
  facts.rank = output->dims->size;
  if (output->quantization.type == kTfLiteAffineQuantization &&
      output->quantization.params != nullptr) {
    const TfLiteAffineQuantization* quantization =
        static_cast<const TfLiteAffineQuantization*>(output->quantization.params);
    facts.channels = quantization->scale != nullptr ? quantization->scale->size : 0;
    facts.quantized_dimension = quantization->quantized_dimension;
  }
  const lut::Status status = lut::MakePlan(facts, plan);
  if (status != lut::kOk) {
    MicroPrintf("TFLM_DECODE output %d: %s", index, lut::StatusText(status));
    return kTfLiteError;
  }
  return kTfLiteOk;
}

TfLiteStatus Prepare(TfLiteContext* context, TfLiteNode* node) {
  const int outputs = node->outputs == nullptr ? 0 : node->outputs->size;
  const int inputs = node->inputs == nullptr ? 0 : node->inputs->size;
  if (outputs < 1 || inputs != 2 * outputs) {
    MicroPrintf("TFLM_DECODE: %d inputs for %d outputs (two per output needed)", inputs,
                outputs);
    return kTfLiteError;
  }
  tflite::MicroContext* const micro_context = tflite::GetMicroContext(context);
  lut::Plan* const plans = static_cast<lut::Plan*>(micro_context->AllocatePersistentBuffer(
      sizeof(lut::Plan) * static_cast<std::size_t>(outputs)));
  if (plans == nullptr) return kTfLiteError;
  node->user_data = plans;
  for (int k = 0; k < outputs; ++k) {
    TfLiteTensor* const encoded = micro_context->AllocateTempInputTensor(node, 2 * k);
    TfLiteTensor* const ancillary = micro_context->AllocateTempInputTensor(node, 2 * k + 1);
    TfLiteTensor* const output = micro_context->AllocateTempOutputTensor(node, k);
    const TfLiteStatus status = PrepareOutput(encoded, ancillary, output, k, &plans[k]);
    if (encoded != nullptr) micro_context->DeallocateTempTfLiteTensor(encoded);
    if (ancillary != nullptr) micro_context->DeallocateTempTfLiteTensor(ancillary);
    if (output != nullptr) micro_context->DeallocateTempTfLiteTensor(output);
    if (status != kTfLiteOk) return status;
  }
  return kTfLiteOk;
}

TfLiteStatus Eval(TfLiteContext* context, TfLiteNode* node) {
  const lut::Plan* const plans = static_cast<const lut::Plan*>(node->user_data);
  const int outputs = node->outputs->size;
  for (int k = 0; k < outputs; ++k) {
    const TfLiteEvalTensor* const encoded = tflite::micro::GetEvalInput(context, node, 2 * k);
    const TfLiteEvalTensor* const ancillary =
        tflite::micro::GetEvalInput(context, node, 2 * k + 1);
    TfLiteEvalTensor* const output = tflite::micro::GetEvalOutput(context, node, k);
    if (encoded == nullptr || ancillary == nullptr || output == nullptr ||
        output->data.data == nullptr) {
      MicroPrintf("TFLM_DECODE output %d: tensors missing at Eval", k);
      return kTfLiteError;
    }
    lut::Decode(plans[k], static_cast<const uint8_t*>(encoded->data.data),
                static_cast<const uint8_t*>(ancillary->data.data), ElementCount(output->dims),
                output->data.data);
  }
  return kTfLiteOk;
}

}  // namespace

DecodeRegistration* LutDecodeRegistration() {
  static DecodeRegistration registration = tflite::micro::RegisterOp(nullptr, Prepare, Eval);
  return &registration;
}

}  // namespace EDGETF_LIBRARY_NS
}  // namespace edgetf

#endif  // EDGETF_OWN_DECODE
