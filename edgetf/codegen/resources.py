"""Where the Jinja templates and the hand-written firmware sources are.

In a wheel they are inside the package (``edgetf/_bundled/``, put there by
``pyproject.toml``'s force-include); in a source checkout or an editable install they
are the repository's ``templates/`` and ``firmware/`` folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent
_CHECKOUT = _PACKAGE.parent


def resource_dir(kind: str) -> Path:
    """The ``templates`` or ``firmware`` folder this installation ships."""
    if kind not in ("templates", "firmware"):
        raise ValueError(f"unknown resource folder {kind!r}")
    for candidate in (_PACKAGE / "_bundled" / kind, _CHECKOUT / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"edgetf's {kind}/ folder is missing from this installation ({_PACKAGE}); "
        "reinstall edgetf")


#: Runtime files only one runtime's library ships (``emit-firmware --runtime``); every
#: other file under ``firmware/`` goes into both.
_ONLY_IN = {
    "edgetf/edgetf_runtime.cc": "tflm",
    "edgetf/edgetf_lut_decode.cc": "tflm",  # in a compiled library only with tables
    "edgetf/edgetf_lut_decode.h": "tflm",
    "edgetf/edgetf_lut_decode_tflm.cc": "tflm",
    "edgetf/edgetf_lut_decode_tflm.h": "tflm",
    "edgetf/edgetf_compiled_runtime.cc": "compiled",
    # The signal ops (edgetf's own, for boards whose TFLM lacks them, registered through
    # op_resolver.h) and the front end run on TFLM's interpreter: the compiled program has
    # no signal op and no op resolver, and a library with a front end keeps TFLM.
    "edgetf/edgetf_signal.cc": "tflm",
    "edgetf/edgetf_signal.h": "tflm",
    "edgetf/edgetf_signal_tflm.cc": "tflm",
    "edgetf/edgetf_signal_tflm.h": "tflm",
    "edgetf/edgetf_impulse.cc": "tflm",
    "edgetf/edgetf_impulse.h": "tflm",
    "edgetf/edgetf_recognize.h": "tflm",
}


#: edgetf's LUT decoder without its TFLM operator: what a compiled program that stores
#: look-up tables calls (:mod:`edgetf.compiled.lut_weights`).
_DECODER = ("edgetf/edgetf_lut_decode.cc", "edgetf/edgetf_lut_decode.h")


def firmware_sources(runtime: str = "tflm", decoder: bool = False) -> dict[str, bytes]:
    """The hand-written runtime files of a ``runtime`` (``"tflm"`` or ``"compiled"``)
    library, by path relative to ``firmware/`` (sorted); ``decoder``: with edgetf's LUT
    decoder (a compiled program that decodes look-up tables)."""
    root = resource_dir("firmware")
    files = {path.relative_to(root).as_posix(): path
             for path in sorted(root.rglob("*"))
             if path.is_file() and path.suffix in (".h", ".cc")}
    return {name: path.read_bytes() for name, path in files.items()
            if _ONLY_IN.get(name, runtime) == runtime or (decoder and name in _DECODER)}
