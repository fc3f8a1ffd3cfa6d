"""Reading a model file a user named, with one-line errors that say which argument to fix.

Shared by ``emit-firmware`` (``--model``) and ``inspect`` (``MODEL``): the bytes only;
whether they are a TFLite flatbuffer is :func:`edgetf.tflite.reader.read_tflite`'s job.
"""

from __future__ import annotations

from pathlib import Path

from edgetf.base.errors import ModelError


def read_model_file(path: Path, argument: str = "--model") -> bytes:
    """The bytes of ``path``; :class:`ModelError` naming ``argument`` when it is missing,
    a folder or unreadable."""
    path = Path(path)
    if path.is_dir():
        raise ModelError(f"{path}: is a folder; pass the .tflite file")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file; check the {argument} path") from None
    except OSError as error:
        raise ModelError(f"{path}: cannot be read ({error.strerror}); check the file") from None
