"""The model array writer: a ``.tflite``'s bytes in, C++ source text out.

Follows TFLM's ``generate_cc_arrays.py`` convention: the ``.cc`` defines
``alignas(16) const unsigned char <name>[]`` and ``const unsigned int <name>_len``, the
header declares both ``extern``. A ``const`` at namespace scope has internal linkage in
C++, so the ``.cc`` includes its own header: the ``extern`` declaration seen first gives
the definitions external linkage, and the linker finds them from other files.

Nothing here touches the disk; the caller writes the returned text. The file layout is
in the ``library/model_data.*.j2`` templates; this module makes the initializer, the one
part too large for a template loop.
"""

from __future__ import annotations

import re

import numpy as np

from edgetf.codegen.c_names import c_identifier

#: Bytes per line of the array initializer (as ``xxd -i``).
BYTES_PER_LINE = 12

#: Alignment of the model array: TFLM reads the flatbuffer in place and needs it
#: 16-byte aligned (``generate_cc_arrays.py`` uses the same).
MODEL_ALIGNMENT = 16

# An #include "..." path: no quotes, backslashes, spaces or line breaks; relative,
# without "..", so that the generated library stays self-contained.
_INCLUDE_PATH = re.compile(r"[A-Za-z0-9_+.-]+(/[A-Za-z0-9_+.-]+)*\Z")

# Each byte as " 0xNN," is exactly this many characters.
_CHARS_PER_BYTE = 6
_LINE_CHARS = BYTES_PER_LINE * _CHARS_PER_BYTE


def length_name(name: str) -> str:
    """The length constant's identifier for array ``name`` (``g_model`` -> ``g_model_len``)."""
    return c_identifier(c_identifier(name) + "_len")


def _array_body(data: bytes) -> str:
    """The initializer's lines: ``    0x1c, 0x00, ...,`` with 12 bytes each.

    ``bytes.hex`` and ``str.replace`` run in C, which makes this about twice as fast as
    joining a precomputed table of 256 ``" 0xNN,"`` strings byte by byte (and both beat
    ``xxd -i``; see ``benchmarks/model_array.py``). Every byte takes exactly six
    characters, so lines are fixed-width slices of one string.
    """
    flat = " 0x" + data.hex(" ").replace(" ", ", 0x") + ","
    return "\n".join(
        "   " + flat[start : start + _LINE_CHARS] for start in range(0, len(flat), _LINE_CHARS)
    )


def model_array_source(data: bytes, name: str, header: str) -> str:
    """The ``.cc`` that defines the model array ``name`` (and ``name_len``) from ``data``.

    ``name`` goes through :func:`~edgetf.codegen.c_names.c_identifier` (so does the header's,
    in :func:`model_array_header`: give both the same ``name``). ``header`` is the
    path the ``.cc`` includes, relative, as in ``#include "model_data.h"``.
    Raises ``ValueError`` for empty ``data`` (a zero-length array is not valid C++;
    an empty model is a bug upstream) or an unusable ``header`` path.
    """
    from edgetf.codegen.render import render

    if not data:
        raise ValueError("model data is empty: a zero-length C++ array is invalid")
    if not _INCLUDE_PATH.match(header) or ".." in header.split("/"):
        raise ValueError(
            f"header {header!r} is not a relative include path of letters, digits, "
            "'_', '+', '-', '.' and '/'"
        )
    return render("library/model_data.cc.j2", header=header, alignment=MODEL_ALIGNMENT,
                  array=c_identifier(name), length=length_name(name), size=len(data),
                  body=_array_body(bytes(data)))


def model_array_header(name: str, length: int, guard: str) -> str:
    """The header that declares the model array ``name`` and ``name_len`` ``extern``.

    ``length`` (bytes) only goes into a comment: code sizes buffers from ``name_len``.
    ``guard`` goes through :func:`~edgetf.codegen.c_names.c_identifier`; use
    :func:`~edgetf.codegen.c_names.c_include_guard` to make one from the file name.
    """
    from edgetf.codegen.render import render

    if length <= 0:
        raise ValueError(f"model length must be > 0, got {length}")
    ident = c_identifier(name)
    return render("library/model_data.h.j2", guard=c_identifier(guard),
                  alignment=MODEL_ALIGNMENT, array=ident, length=length_name(name),
                  summary=f"{ident}: the .tflite model, {length} bytes")


#: Values per line of the initializer of a golden-vector (or other number) array.
VALUES_PER_LINE = 16


def c_values(values: np.ndarray) -> str:
    """The initializer lines for a flat array of numbers, C++ literals of its type.

    Integers are written in decimal; ``float32`` values as the shortest scientific
    literal that reads back as the same float (``1.e-01f``), infinities and NaN through
    ``std::numeric_limits`` (the including file needs ``<limits>``).
    """
    flat = np.asarray(values).reshape(-1)
    if flat.dtype.kind == "f":
        items = [c_float_literal(v) for v in flat.astype(np.float32)]
    elif flat.dtype.kind == "b":
        items = ["true" if v else "false" for v in flat]
    elif flat.dtype == np.int64:
        items = [f"INT64_C({int(v)})" for v in flat]
    else:
        items = [str(int(v)) for v in flat]
    return "\n".join("    " + ", ".join(items[i : i + VALUES_PER_LINE]) + ","
                     for i in range(0, len(items), VALUES_PER_LINE))


def c_float_literal(value: np.float32) -> str:
    if np.isnan(value):
        return "std::numeric_limits<float>::quiet_NaN()"
    if np.isinf(value):
        return ("-" if value < 0 else "") + "std::numeric_limits<float>::infinity()"
    return np.format_float_scientific(value, unique=True) + "f"
