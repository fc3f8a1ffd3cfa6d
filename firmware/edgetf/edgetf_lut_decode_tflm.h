// The TFLM_DECODE custom operator for boards whose TFLM has no DECODE kernel (the
// Nano 33 BLE's Chirale_TensorFLowLite 2.0.0, a TFLM of 2023). Only for LUT-compressed
// tensors (decode type 0); the decoding itself is edgetf_lut_decode.h's.
//
// The generated op_resolver.h of such a board defines EDGETF_OWN_DECODE, includes this
// header and registers the operator with
//   resolver.AddCustom("TFLM_DECODE", edgetf::LutDecodeRegistration());
// Boards whose TFLM has DECODE (esp-tflite-micro 1.4.0, tflite-micro since 2025) call
// resolver.AddDecode() instead and never compile this operator.
#ifndef EDGETF_LUT_DECODE_TFLM_H_
#define EDGETF_LUT_DECODE_TFLM_H_

#include "edgetf_library.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"

namespace edgetf {
inline namespace EDGETF_LIBRARY_NS {

// TfLiteRegistration in the TFLM of 2023, TFLMRegistration since: whatever this
// TFLM's RegisterOp returns, which is what its MicroMutableOpResolver::AddCustom takes.
using DecodeRegistration = decltype(tflite::micro::RegisterOp(nullptr, nullptr, nullptr));

// The operator's registration (one static object; AddCustom copies it).
DecodeRegistration* LutDecodeRegistration();

}  // namespace EDGETF_LIBRARY_NS
}  // namespace edgetf

#endif  // EDGETF_LUT_DECODE_TFLM_H_
