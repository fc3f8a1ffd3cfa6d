// edgetf: what the runtime (edgetf_runtime.cc) and the front end (edgetf_impulse.cc) of a
// library with a front end ask of each other. Internal: applications include
// <name>_inferencing.h.
#ifndef EDGETF_IMPULSE_H_
#define EDGETF_IMPULSE_H_

#include <cstdint>

#include "edgetf.h"
#include "edgetf_library.h"
#include "tensorflow/lite/micro/micro_interpreter.h"

namespace edgetf {
inline namespace EDGETF_LIBRARY_NS {

// The model's interpreter (nullptr before a successful <name>_init) and the library's
// microsecond clock: defined by edgetf_runtime.cc.
tflite::MicroInterpreter* ModelInterpreter();
uint32_t Micros();

// Defined by edgetf_impulse.cc. ImpulseInit sets up the front end's own interpreter and
// arena (idempotent). ImpulseSelfTest replays the raw-sample golden vectors through front
// end and model, then the first one through the streaming path; it returns the values
// that differ (or a negative edgetf_status) and records the first difference in
// `mismatch` when `*has_mismatch` is still false; its vectors are numbered from
// `first_vector`.
int ImpulseInit();
int ImpulseSelfTest(int first_vector, edgetf_mismatch* mismatch, bool* has_mismatch);
int ImpulseGoldenCount();

}  // namespace EDGETF_LIBRARY_NS
}  // namespace edgetf

#endif  // EDGETF_IMPULSE_H_
