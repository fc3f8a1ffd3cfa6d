"""Builtin options of the ops edgetf generates code for or counts the cost of, decoded
from their flatbuffer tables (enums as schema names)."""

from __future__ import annotations

from edgetf.tflite.flatbuffer import Table

_PADDING = {0: "SAME", 1: "VALID"}
_ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}
_WEIGHTS_FORMATS = {0: "DEFAULT", 1: "SHUFFLED4x16INT8"}


# Builtin op -> the BuiltinOptions union type its options table must have (schema order).
_OPTIONS_TYPE = {
    "CONV_2D": 1,
    "DEPTHWISE_CONV_2D": 2,
    "AVERAGE_POOL_2D": 5,
    "MAX_POOL_2D": 5,
    "FULLY_CONNECTED": 8,
    "SOFTMAX": 9,
    "ADD": 11,
    "RESHAPE": 17,
    "MUL": 21,
    "TRANSPOSE_CONV": 49,
    "BATCH_MATMUL": 101,
}


def decode_options(name: str, op: Table) -> dict:
    """Decode the builtin options edgetf uses; enums come back as their schema names."""
    kind = op.scalar(3, "<B", "builtin_options_type")
    # TFLM ignores options of the wrong union type (the accessor returns null), so do we.
    if _OPTIONS_TYPE.get(name) != kind or (t := op.table(4, "builtin_options")) is None:
        return {}

    def enum(slot: int, names: dict, field_name: str) -> str:
        value = t.scalar(slot, "<b", field_name)
        return names.get(value, f"UNKNOWN_{value}")

    def i32(slot: int, field_name: str, default: int = 0) -> int:
        return t.scalar(slot, "<i", field_name, default)

    if name == "FULLY_CONNECTED":
        return {
            "fused_activation": enum(0, _ACTIVATIONS, "fused_activation_function"),
            "weights_format": enum(1, _WEIGHTS_FORMATS, "weights_format"),
            "keep_num_dims": bool(t.scalar(2, "<B", "keep_num_dims")),
        }
    if name == "SOFTMAX":
        return {"beta": t.scalar(0, "<f", "beta", 0.0)}
    if name == "RESHAPE":
        new_shape = t.numbers(0, "i", "new_shape")
        return {} if new_shape is None else {"new_shape": new_shape}
    if name in ("ADD", "MUL"):
        return {"fused_activation": enum(0, _ACTIVATIONS, "fused_activation_function")}
    if name == "BATCH_MATMUL":
        return {"adj_x": bool(t.scalar(0, "<B", "adj_x")),
                "adj_y": bool(t.scalar(1, "<B", "adj_y"))}
    # Convolutions (transposed too) and pools share padding, stride_w, stride_h in slots 0..2.
    opts = {
        "padding": enum(0, _PADDING, "padding"),
        "stride_w": i32(1, "stride_w"),
        "stride_h": i32(2, "stride_h"),
    }
    if name == "CONV_2D":
        opts["fused_activation"] = enum(3, _ACTIVATIONS, "fused_activation_function")
        opts["dilation_w"] = i32(4, "dilation_w_factor", 1)
        opts["dilation_h"] = i32(5, "dilation_h_factor", 1)
    elif name == "DEPTHWISE_CONV_2D":
        opts["depth_multiplier"] = i32(3, "depth_multiplier")
        opts["fused_activation"] = enum(4, _ACTIVATIONS, "fused_activation_function")
        opts["dilation_w"] = i32(5, "dilation_w_factor", 1)
        opts["dilation_h"] = i32(6, "dilation_h_factor", 1)
    elif name == "TRANSPOSE_CONV":
        opts["fused_activation"] = enum(3, _ACTIVATIONS, "fused_activation_function")
    else:  # AVERAGE_POOL_2D, MAX_POOL_2D
        opts["filter_w"] = i32(3, "filter_width")
        opts["filter_h"] = i32(4, "filter_height")
        opts["fused_activation"] = enum(5, _ACTIVATIONS, "fused_activation_function")
    return opts
