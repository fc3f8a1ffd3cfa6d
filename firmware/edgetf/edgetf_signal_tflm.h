// TFLM operators for the audio front end's signal ops (SignalWindow ... SignalFilterBankLog)
// over edgetf's arithmetic (edgetf_signal.h), for boards whose TFLM has no signal kernels
// (the Nano 33 BLE's Chirale_TensorFlowLite 2.0.0, a TFLM of 2023).
//
// The generated op_resolver.h of such a board defines EDGETF_OWN_SIGNAL, includes this
// header and registers each op the model has under TFLM's custom name, e.g.
//   resolver.AddCustom("SignalRfft", edgetf::SignalRfftRegistration());
// Boards whose TFLM has the signal library (esp-tflite-micro 1.4.0, tflite-micro since
// late 2023) call resolver.AddRfft()... instead and never compile these operators.
#ifndef EDGETF_SIGNAL_TFLM_H_
#define EDGETF_SIGNAL_TFLM_H_

#include "edgetf_library.h"
#include "tensorflow/lite/micro/kernels/kernel_util.h"

namespace edgetf {
inline namespace EDGETF_LIBRARY_NS {

// TfLiteRegistration in the TFLM of 2023, TFLMRegistration since (see
// edgetf_lut_decode_tflm.h).
using SignalRegistration = decltype(tflite::micro::RegisterOp(nullptr, nullptr, nullptr));

// Each returns one static object (AddCustom copies it).
SignalRegistration* SignalWindowRegistration();
SignalRegistration* SignalFftAutoScaleRegistration();
SignalRegistration* SignalRfftRegistration();
SignalRegistration* SignalEnergyRegistration();
SignalRegistration* SignalFilterBankRegistration();
SignalRegistration* SignalFilterBankSquareRootRegistration();
SignalRegistration* SignalFilterBankSpectralSubtractionRegistration();
SignalRegistration* SignalPcanRegistration();
SignalRegistration* SignalFilterBankLogRegistration();

}  // namespace EDGETF_LIBRARY_NS
}  // namespace edgetf

#endif  // EDGETF_SIGNAL_TFLM_H_
