// edgetf's LUT decoder (see edgetf_lut_decode.h for the format). TFLM-independent.
#include "edgetf_lut_decode.h"

#include <cstring>

namespace edgetf {
inline namespace EDGETF_LIBRARY_NS {
namespace lut {
namespace {

constexpr std::size_t kSizeMax = static_cast<std::size_t>(-1);

// Reads the indices one after the other. `pending` holds the `bits` not yet consumed
// in its low bits; a byte is read only when the next index needs it, so exactly
// ceil(elements * bit_width / 8) bytes are read in all.
class IndexReader {
 public:
  IndexReader(const uint8_t* data, unsigned bit_width)
      : data_(data), bit_width_(bit_width), mask_((1u << bit_width) - 1u) {}

  uint32_t Next() {
    if (bits_ < bit_width_) {  // bit_width <= 7, so one byte is always enough
      pending_ = (pending_ << 8) | *data_++;
      bits_ += 8;
    }
    bits_ -= bit_width_;
    return (pending_ >> bits_) & mask_;
  }

 private:
  const uint8_t* data_;
  unsigned bit_width_;
  uint32_t mask_;
  uint32_t pending_ = 0;
  unsigned bits_ = 0;
};

// `T` is an unsigned integer of the value size: the values are copied, never
// converted, so int8/bool, int16, int32/float and int64 need one instance per size.
template <typename T>
inline void Put(uint8_t* out, std::size_t i, const uint8_t* table, uint32_t index) {
  T value;
  std::memcpy(&value, table + static_cast<std::size_t>(index) * sizeof(T), sizeof(T));
  std::memcpy(out + i * sizeof(T), &value, sizeof(T));
}

template <typename T>
void DecodeAs(const Plan& plan, const uint8_t* indices, const uint8_t* tables,
              std::size_t elements, uint8_t* out) {
  IndexReader reader(indices, plan.bit_width);
  const std::size_t table_bytes = static_cast<std::size_t>(plan.stride) * sizeof(T);
  if (plan.alternate_axis) {
    // Channel index cycles fastest: element i uses table i % channels.
    std::size_t channel = 0;
    for (std::size_t i = 0; i < elements; ++i) {
      Put<T>(out, i, tables + channel * table_bytes, reader.Next());
      if (++channel == plan.channels) channel = 0;
    }
    return;
  }
  // Axis 0: channel c owns elements [c * per_channel, (c + 1) * per_channel).
  const std::size_t per_channel = elements / plan.channels;
  std::size_t i = 0;
  for (std::size_t channel = 0; channel < plan.channels; ++channel) {
    const uint8_t* table = tables + channel * table_bytes;
    for (std::size_t end = i + per_channel; i < end; ++i) {
      Put<T>(out, i, table, reader.Next());
    }
  }
}

// int8 (the common case) without the memcpy detour.
template <>
void DecodeAs<uint8_t>(const Plan& plan, const uint8_t* indices, const uint8_t* tables,
                       std::size_t elements, uint8_t* out) {
  IndexReader reader(indices, plan.bit_width);
  const std::size_t stride = plan.stride;
  if (plan.alternate_axis) {
    const uint8_t* table = tables;
    const uint8_t* const end_of_tables = tables + plan.channels * stride;
    for (std::size_t i = 0; i < elements; ++i) {
      out[i] = table[reader.Next()];
      table += stride;
      if (table == end_of_tables) table = tables;
    }
    return;
  }
  const std::size_t per_channel = elements / plan.channels;
  for (std::size_t channel = 0; channel < plan.channels; ++channel) {
    const uint8_t* table = tables + channel * stride;
    for (std::size_t k = 0; k < per_channel; ++k) *out++ = table[reader.Next()];
  }
}

}  // namespace

const char* StatusText(Status status) {
  switch (status) {
    case kOk: return "ok";
    case kShortAncillary: return "ancillary tensor shorter than the 16-byte header";
    case kNotLut: return "decode type is not LUT (0)";
    case kBadHeaderVersion: return "decode header version is not 1";
    case kBadLutVersion: return "LUT version is not 1";
    case kBadBitWidth: return "index bit width is not 1..7";
    case kBadStride: return "value-table stride is 0";
    case kBadValueType: return "output type is not a 1, 2, 4 or 8-byte type";
    case kNoElements: return "output has no elements";
    case kBadChannels: return "output elements are not a whole number per channel";
    case kBadAxis: return "channel axis is neither 0 nor the last, or the header disagrees";
    case kShortValueTables: return "value tables shorter than channels x stride";
    case kExtraValueTables: return "value tables longer than channels x stride";
    case kShortIndices: return "encoded tensor shorter than elements x bit width";
    case kIndexPastTable: return "an index is past its value table (index >= stride)";
  }
  return "unknown status";
}

Status MakePlan(const TensorFacts& facts, Plan* plan) {
  const uint8_t* const header = facts.ancillary;
  if (header == nullptr || facts.ancillary_bytes < kHeaderBytes) return kShortAncillary;
  if (header[0] != kDecodeTypeLut) return kNotLut;
  if (header[1] != kHeaderVersion) return kBadHeaderVersion;
  if (header[4] != kLutVersion) return kBadLutVersion;
  const unsigned bit_width = header[5] & 0x07u;
  const unsigned header_axis = header[5] >> 4;
  const std::size_t stride = header[6];
  if (bit_width < 1 || bit_width > kMaxBitWidth) return kBadBitWidth;
  if (stride == 0) return kBadStride;
  const std::size_t value_bytes = facts.value_bytes;
  if (value_bytes != 1 && value_bytes != 2 && value_bytes != 4 && value_bytes != 8) {
    return kBadValueType;
  }
  if (facts.elements == 0) return kNoElements;
  const std::size_t channels = facts.channels;
  if (channels == 0 || channels > 0xFFFFFFFFu || facts.elements % channels != 0) {
    return kBadChannels;
  }
  // TFLM's rule (DecodeStateLut::Setup): the last axis with more than one channel is
  // the alternate axis; otherwise the quantized dimension must be 0.
  bool alternate = false;
  if (channels > 1 && facts.quantized_dimension == facts.rank - 1) {
    alternate = true;
  } else if (facts.quantized_dimension != 0) {
    return kBadAxis;
  }
  if (header_axis == kPerTensorAxis) {
    if (channels != 1) return kBadAxis;
  } else if (channels > 1 &&
             static_cast<int>(header_axis) != (alternate ? facts.rank - 1 : 0)) {
    return kBadAxis;
  }
  const std::size_t table_bytes = stride * value_bytes;
  if (channels > kSizeMax / table_bytes) return kShortValueTables;
  const std::size_t tables = channels * table_bytes;
  const std::size_t have = facts.ancillary_bytes - kHeaderBytes;
  if (have < tables) return kShortValueTables;
  if (have > tables) return kExtraValueTables;
  if (facts.elements > kSizeMax / bit_width) return kShortIndices;
  const std::size_t index_bytes = (facts.elements * bit_width + 7) / 8;
  if (facts.indices == nullptr || facts.index_bytes < index_bytes) return kShortIndices;
  IndexReader reader(facts.indices, bit_width);
  for (std::size_t i = 0; i < facts.elements; ++i) {
    if (reader.Next() >= stride) return kIndexPastTable;
  }
  plan->channels = static_cast<uint32_t>(channels);
  plan->bit_width = static_cast<uint8_t>(bit_width);
  plan->stride = static_cast<uint8_t>(stride);
  plan->alternate_axis = alternate ? 1 : 0;
  plan->value_bytes = static_cast<uint8_t>(value_bytes);
  return kOk;
}

void Decode(const Plan& plan, const uint8_t* indices, const uint8_t* ancillary,
            std::size_t elements, void* out) {
  const uint8_t* const tables = ancillary + kHeaderBytes;
  uint8_t* const bytes = static_cast<uint8_t*>(out);
  switch (plan.value_bytes) {
    case 1: DecodeAs<uint8_t>(plan, indices, tables, elements, bytes); break;
    case 2: DecodeAs<uint16_t>(plan, indices, tables, elements, bytes); break;
    case 4: DecodeAs<uint32_t>(plan, indices, tables, elements, bytes); break;
    case 8: DecodeAs<uint64_t>(plan, indices, tables, elements, bytes); break;
    default: break;  // MakePlan accepts no other size
  }
}

}  // namespace lut
}  // namespace EDGETF_LIBRARY_NS
}  // namespace edgetf
