// The models the fake tflite::MicroInterpreter (tensorflow/lite/micro/micro_interpreter.h)
// knows: each generated library's model array, its ops, its inputs' and outputs' types
// and sizes, and rows of inputs with the outputs the real TFLM interpreter gave for them.
// A test registers them before it calls any library. For host checks only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "tensorflow/lite/c/common.h"

namespace edgetf_stub {

struct FakeTensor {
  TfLiteType type;
  std::size_t bytes;
};

struct FakeModel {
  const void* array;  // the library's model array (what it passes to tflite::GetModel)
  const char* const* ops;
  std::size_t op_count;
  const FakeTensor* inputs;
  std::size_t input_count;
  const FakeTensor* outputs;
  std::size_t output_count;
  // `rows` rows, each the bytes of every input (or output) back to back.
  const uint8_t* input_rows;
  const uint8_t* output_rows;
  std::size_t rows;
};

void RegisterModel(const FakeModel* model);

// How many times Invoke found its input among the recorded rows, and how many not.
std::size_t PlayedBack();
std::size_t Unknown();

}  // namespace edgetf_stub
