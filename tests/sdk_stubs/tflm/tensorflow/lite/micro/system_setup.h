// Stub of tflite::InitializeTarget (tensorflow/lite/micro/system_setup.h). For host checks.
#pragma once

namespace tflite {
inline void InitializeTarget() {}
}  // namespace tflite
