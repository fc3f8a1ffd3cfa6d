// The fake TFLM interpreter and the stubs' few definitions (see micro_interpreter.h and
// fake_interpreter.h). For host checks only.
#include "fake_interpreter.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "tensorflow/lite/micro/kernels/kernel_util.h"
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_log.h"

namespace edgetf_stub {
namespace {

constexpr int kMaxModels = 8;
const FakeModel* g_models[kMaxModels] = {};
int g_model_count = 0;
std::size_t g_played_back = 0;
std::size_t g_unknown = 0;

std::size_t RowBytes(const FakeTensor* tensors, std::size_t count) {
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < count; ++i) bytes += tensors[i].bytes;
  return bytes;
}

}  // namespace

void RegisterModel(const FakeModel* model) {
  if (g_model_count < kMaxModels) g_models[g_model_count++] = model;
}

const FakeModel* Find(const void* array) {
  for (int i = 0; i < g_model_count; ++i) {
    if (g_models[i]->array == array) return g_models[i];
  }
  return nullptr;
}

std::size_t PlayedBack() { return g_played_back; }
std::size_t Unknown() { return g_unknown; }

}  // namespace edgetf_stub

void MicroPrintf(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::printf("log: ");
  std::vprintf(format, args);
  std::printf("\n");
  va_end(args);
}

namespace tflite {

uint32_t Model::version() const {
  return edgetf_stub::Find(this) != nullptr ? TFLITE_SCHEMA_VERSION : 0;
}

namespace micro {
// edgetf's own TFLM_DECODE registers through these; the fake never runs kernels.
#ifdef EDGETF_STUB_TFLM_REGISTRATION
TFLMRegistration
#else
TfLiteRegistration
#endif
RegisterOp(void* (*init)(TfLiteContext*, const char*, size_t),
           TfLiteStatus (*prepare)(TfLiteContext*, TfLiteNode*),
           TfLiteStatus (*invoke)(TfLiteContext*, TfLiteNode*),
           void (*free)(TfLiteContext*, void*)) {
  decltype(RegisterOp(init, prepare, invoke, free)) registration = {};
  registration.init = init;
  registration.free = free;
  registration.prepare = prepare;
  registration.invoke = invoke;
  return registration;
}
const TfLiteEvalTensor* GetEvalInput(const TfLiteContext*, const TfLiteNode*, int) {
  return nullptr;
}
TfLiteEvalTensor* GetEvalOutput(const TfLiteContext*, const TfLiteNode*, int) {
  return nullptr;
}
}  // namespace micro

MicroInterpreter::MicroInterpreter(const Model* model, const MicroOpResolver& resolver,
                                   uint8_t* arena, size_t arena_size)
    : model_(edgetf_stub::Find(model)), resolver_(resolver), arena_(arena),
      arena_size_(arena_size) {}

TfLiteStatus MicroInterpreter::AllocateTensors() {
  if (model_ == nullptr) return kTfLiteError;
  for (std::size_t i = 0; i < model_->op_count; ++i) {
    if (!resolver_.Registered(model_->ops[i])) {
      MicroPrintf("Didn't find op for builtin opcode '%s'", model_->ops[i]);
      return kTfLiteError;
    }
  }
  if (model_->input_count > kMaxTensors || model_->output_count > kMaxTensors) {
    return kTfLiteError;
  }
  used_ = 0;
  auto place = [this](TfLiteTensor& tensor, const edgetf_stub::FakeTensor& spec) {
    const std::size_t start = (used_ + 15) & ~static_cast<std::size_t>(15);
    if (start + spec.bytes > arena_size_) return false;
    tensor.type = spec.type;
    tensor.bytes = spec.bytes;
    tensor.data.data = arena_ + start;
    used_ = start + spec.bytes;
    return true;
  };
  for (std::size_t i = 0; i < model_->input_count; ++i) {
    if (!place(inputs_[i], model_->inputs[i])) {
      MicroPrintf("Failed to allocate tail memory");
      return kTfLiteError;
    }
  }
  for (std::size_t i = 0; i < model_->output_count; ++i) {
    if (!place(outputs_[i], model_->outputs[i])) {
      MicroPrintf("Failed to allocate tail memory");
      return kTfLiteError;
    }
  }
  return kTfLiteOk;
}

TfLiteStatus MicroInterpreter::Invoke() {
  if (model_ == nullptr) return kTfLiteError;
  const std::size_t in_bytes = edgetf_stub::RowBytes(model_->inputs, model_->input_count);
  const std::size_t out_bytes = edgetf_stub::RowBytes(model_->outputs, model_->output_count);
  for (std::size_t row = 0; row < model_->rows; ++row) {
    const uint8_t* in = model_->input_rows + row * in_bytes;
    bool same = true;
    for (std::size_t i = 0; i < model_->input_count && same; ++i) {
      same = std::memcmp(inputs_[i].data.data, in, inputs_[i].bytes) == 0;
      in += inputs_[i].bytes;
    }
    if (!same) continue;
    const uint8_t* out = model_->output_rows + row * out_bytes;
    for (std::size_t o = 0; o < model_->output_count; ++o) {
      std::memcpy(outputs_[o].data.data, out, outputs_[o].bytes);
      out += outputs_[o].bytes;
    }
    ++edgetf_stub::g_played_back;
    return kTfLiteOk;
  }
  // An input nobody recorded: a wrong answer the self-test must notice.
  for (std::size_t o = 0; o < model_->output_count; ++o) {
    std::memset(outputs_[o].data.data, 0x5A, outputs_[o].bytes);
  }
  ++edgetf_stub::g_unknown;
  return kTfLiteOk;
}

TfLiteStatus MicroInterpreter::Reset() { return kTfLiteOk; }
TfLiteTensor* MicroInterpreter::input(size_t index) {
  return model_ != nullptr && index < model_->input_count ? &inputs_[index] : nullptr;
}
TfLiteTensor* MicroInterpreter::output(size_t index) {
  return model_ != nullptr && index < model_->output_count ? &outputs_[index] : nullptr;
}
size_t MicroInterpreter::inputs_size() const { return model_ ? model_->input_count : 0; }
size_t MicroInterpreter::outputs_size() const { return model_ ? model_->output_count : 0; }
size_t MicroInterpreter::arena_used_bytes() const { return used_; }

}  // namespace tflite
