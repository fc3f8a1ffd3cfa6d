"""Code generation for ``emit-firmware``: templates, golden vectors, the project's files,
and the impulse (:mod:`.impulse`: a front end emitted with the model, raw samples in).

Bytes and plain values in, ``{relative path: bytes}`` out; nothing here writes to disk
(:mod:`edgetf.codegen.emit_firmware` does, all at once).
"""
