// Stub of TFLM's op resolver base (tensorflow/lite/micro/micro_op_resolver.h): here it
// only answers whether an op was registered, for the fake interpreter's check that a
// library's resolver holds every op of its model. The MicroMutableOpResolver<N> the
// generated op_resolver.h uses is written by the test that needs it, from edgetf's table
// of TFLM's Add* methods (edgetf/tflite/ops.py), so the two cannot drift apart.
#pragma once

namespace tflite {

class MicroOpResolver {
 public:
  virtual ~MicroOpResolver() = default;
  virtual bool Registered(const char* op) const = 0;
};

}  // namespace tflite
