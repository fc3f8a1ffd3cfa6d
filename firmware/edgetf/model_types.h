// edgetf: the types the generated model headers are written in.
//
// Hand-written and the same in every library. Kept apart from the runtime so that the
// generated headers (model_metadata.h, golden_vectors.h) compile with nothing but the
// C++ standard library: edgetf's tests compile them with -fsyntax-only where TFLM is
// not available.
#ifndef EDGETF_MODEL_TYPES_H_
#define EDGETF_MODEL_TYPES_H_

#include <cstddef>
#include <cstdint>

#include "edgetf.h"
#include "edgetf_library.h"

namespace edgetf {
inline namespace EDGETF_LIBRARY_NS {

// One model input or output, as the .tflite declares it.
struct TensorSpec {
  const char* name;       // the tensor's name in the model
  edgetf_type type;       // element type
  int rank;               // number of dimensions
  const int32_t* dims;    // `rank` dimensions
  std::size_t elements;   // product of the dimensions
  std::size_t bytes;      // elements times the element size
  float scale;            // quantization scale (0 for float tensors)
  int32_t zero_point;     // quantization zero point
};

// Golden data for one input or output: `vectors` runs of `elements` values each, of
// the TensorSpec's type, back to back.
struct GoldenTensor {
  const void* data;
  std::size_t elements;
};

}  // namespace EDGETF_LIBRARY_NS
}  // namespace edgetf

#endif  // EDGETF_MODEL_TYPES_H_
