// A fake tflite::MicroInterpreter with the members edgetf_runtime.cc calls (names and
// signatures of tensorflow/lite/micro/micro_interpreter.h). It runs no kernel: it plays
// back outputs recorded by the real TFLM interpreter in Python for given inputs of models
// registered with fake_interpreter.h, and writes a recognisable wrong pattern for any
// other input. What it checks for real: that a library passes its own model array, its
// own resolver (every op of the model registered), its own arena, and copies inputs and
// compares outputs where the runtime says it does. For host checks only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "tensorflow/lite/c/common.h"
#include "tensorflow/lite/micro/micro_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

namespace edgetf_stub {
struct FakeModel;
}

namespace tflite {

class MicroInterpreter {
 public:
  MicroInterpreter(const Model* model, const MicroOpResolver& resolver, uint8_t* arena,
                   size_t arena_size);
  TfLiteStatus AllocateTensors();
  TfLiteStatus Invoke();
  TfLiteStatus Reset();
  TfLiteTensor* input(size_t index);
  TfLiteTensor* output(size_t index);
  size_t inputs_size() const;
  size_t outputs_size() const;
  size_t arena_used_bytes() const;

 private:
  static constexpr int kMaxTensors = 8;
  const edgetf_stub::FakeModel* model_;
  const MicroOpResolver& resolver_;
  uint8_t* arena_;
  size_t arena_size_;
  size_t used_ = 0;
  TfLiteTensor inputs_[kMaxTensors] = {};
  TfLiteTensor outputs_[kMaxTensors] = {};
};

}  // namespace tflite
