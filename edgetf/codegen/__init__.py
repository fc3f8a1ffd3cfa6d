"""Code generation for ``emit-firmware``: templates, golden vectors, the project's files.

Bytes and plain values in, ``{relative path: bytes}`` out; nothing here writes to disk
(:mod:`edgetf.codegen.emit_firmware` does, all at once).
"""
