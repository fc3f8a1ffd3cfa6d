// Stub of what edgetf_runtime.cc uses from TFLM's flatbuffer schema: tflite::Model's
// version(), tflite::GetModel and TFLITE_SCHEMA_VERSION. For host checks only: a Model
// here is the address of a model array registered with the fake interpreter
// (fake_interpreter.h), never a parsed flatbuffer.
#pragma once
#include <cstdint>

#define TFLITE_SCHEMA_VERSION 3

namespace tflite {

struct Model {
  // TFLITE_SCHEMA_VERSION for an array registered with edgetf_stub::RegisterModel,
  // 0 for any other (so a library bound to the wrong array fails its init).
  uint32_t version() const;
};

inline const Model* GetModel(const void* buffer) { return static_cast<const Model*>(buffer); }

}  // namespace tflite
