"""Building a generated program that decodes look-up tables on the host: edgetf's decoder
(firmware/edgetf/edgetf_lut_decode.cc, as the library ships it) and the one macro it reads
from the library's generated ``edgetf_library.h``."""

from __future__ import annotations

from pathlib import Path

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware" / "edgetf"


def decodes(source: str) -> bool:
    return '#include "edgetf_lut_decode.h"' in source


def decoder_build(source: str, folder: Path) -> tuple[list[str], list[Path]]:
    """Extra compiler flags and C++ sources for ``source`` (none if it decodes nothing)."""
    if not decodes(source):
        return [], []
    (folder / "edgetf_library.h").write_text("#define EDGETF_LIBRARY_NS lut_test\n")
    return [f"-I{folder}", f"-I{FIRMWARE}"], [FIRMWARE / "edgetf_lut_decode.cc"]
