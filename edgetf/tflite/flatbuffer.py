"""Bounds-checked reads of a flatbuffer, with a budget on the work a file can cause.

Every offset, length and string is checked against the buffer before it is read, and the
total amount decoded is capped at a small multiple of the file size, so a corrupt or
hostile file raises :class:`~edgetf.base.errors.TfliteFormatError` quickly instead of
crashing, hanging or exhausting memory.
"""

from __future__ import annotations

import re
import struct
from typing import NoReturn

from edgetf.base.errors import TfliteFormatError

ROOT = "the model"  # how errors name the root table
REDO = "the file is incomplete or damaged, copy or export it again"
REEXPORT = "export the model again with the TFLite converter"
# Control characters and bidi overrides in a name, a custom op code or a description:
# printed by inspect and in error messages, an escape sequence from a hostile file would
# drive the user's terminal, so they become U+FFFD (generated C escapes text anyway).
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class Buffer:
    """Bounds-checked reads from the file, with a budget on the total work done.

    A legitimate file decodes each byte about once; a crafted one can point many
    tables at one large vector. The budget (bytes decoded) stops that amplification.
    """

    def __init__(self, data: memoryview, source: str) -> None:
        self.data = data
        self.size = len(data)
        self.source = source
        self.budget = 4 * self.size + (1 << 16)

    def fail(self, problem: str, fix: str = REEXPORT) -> NoReturn:
        raise TfliteFormatError(f"{self.source}: {problem}; {fix}")

    def check(self, pos: int, length: int, what: str) -> None:
        if pos < 0 or pos + length > self.size:
            self.fail(
                f"truncated: {what} points past the end of the file"
                f" (offset {pos + length} > size {self.size})",
                REDO,
            )

    def spend(self, amount: int, what: str) -> None:
        self.budget -= amount
        if self.budget < 0:
            self.fail(f"corrupt: {what} makes the file decode to far more data than it holds")

    def unpack(self, fmt: str, pos: int, what: str):
        self.check(pos, struct.calcsize(fmt), what)
        return struct.unpack_from(fmt, self.data, pos)

    def follow(self, pos: int, what: str) -> int:
        """Target of the 32-bit forward offset stored at ``pos``."""
        (offset,) = self.unpack("<I", pos, what)
        if offset == 0 or offset >= 1 << 31:
            self.fail(f"corrupt: {what} has an invalid offset ({offset})")
        self.check(pos + offset, 4, what)
        return pos + offset

    def table(self, pos: int, what: str) -> Table:
        self.spend(4, what)
        (soffset,) = self.unpack("<i", pos, what)
        vtable = pos - soffset
        vt_len, tb_len = self.unpack("<HH", vtable, f"{what} vtable")
        if vt_len < 4 or vt_len % 2 or tb_len < 4:
            self.fail(f"corrupt: {what} has an invalid vtable ({vt_len}, {tb_len} bytes)")
        self.check(vtable, vt_len, f"{what} vtable")
        self.check(pos, tb_len, what)
        return Table(self, pos, vtable, vt_len, tb_len, what)

    def vector(self, pos: int, item_size: int, what: str) -> tuple[int, int]:
        """``(start, count)`` of the vector whose length prefix is at ``pos``."""
        (count,) = self.unpack("<I", pos, what)
        start = pos + 4
        if count * item_size > self.size - start:  # a short file, or a garbage count
            self.fail(
                f"truncated or corrupt: {what} claims {count} entries, which end past the"
                f" end of the file (offset {start + count * item_size} > size {self.size})",
                REDO,
            )
        return start, count


class Table:
    """One flatbuffer table: field lookup by vtable slot, with schema defaults."""

    __slots__ = ("buf", "pos", "vtable", "vt_len", "tb_len", "what")

    def __init__(self, buf: Buffer, pos: int, vtable: int, vt_len: int, tb_len: int, what: str):
        self.buf, self.pos, self.vtable = buf, pos, vtable
        self.vt_len, self.tb_len, self.what = vt_len, tb_len, what

    def _field(self, slot: int, width: int, name: str) -> int | None:
        entry = 4 + 2 * slot
        if entry >= self.vt_len:
            return None
        (offset,) = struct.unpack_from("<H", self.buf.data, self.vtable + entry)
        if offset == 0:
            return None
        if offset + width > self.tb_len:
            self.buf.fail(f"corrupt: {self.what} field '{name}' lies outside its table")
        return self.pos + offset

    def scalar(self, slot: int, fmt: str, name: str, default=0):
        pos = self._field(slot, struct.calcsize(fmt), name)
        return default if pos is None else struct.unpack_from(fmt, self.buf.data, pos)[0]

    def _target(self, slot: int, name: str) -> int | None:
        pos = self._field(slot, 4, name)
        return None if pos is None else self.buf.follow(pos, f"{self.what} {name}")

    def table(self, slot: int, name: str) -> Table | None:
        target = self._target(slot, name)
        return None if target is None else self.buf.table(target, f"{self.what} {name}")

    def tables(self, slot: int, name: str, item: str) -> list[Table]:
        """A vector of tables; each is described as e.g. "subgraph 0 tensor 3" in errors."""
        target = self._target(slot, name)
        if target is None:
            return []
        start, count = self.buf.vector(target, 4, f"{self.what} {name}")
        prefix = "" if self.what == ROOT else f"{self.what} "
        items = []
        for i in range(count):
            what = f"{prefix}{item} {i}"
            items.append(self.buf.table(self.buf.follow(start + 4 * i, what), what))
        return items

    def numbers(self, slot: int, code: str, name: str) -> tuple | None:
        """A vector of scalars (struct code ``code``), None when absent."""
        target = self._target(slot, name)
        if target is None:
            return None
        size = struct.calcsize(code)
        start, count = self.buf.vector(target, size, f"{self.what} {name}")
        self.buf.spend(count * size, f"{self.what} {name}")
        return struct.unpack_from(f"<{count}{code}", self.buf.data, start)

    def raw(self, slot: int, name: str, string: bool = False) -> bytes | None:
        """A ``[ubyte]`` vector, or a string's bytes (which must end in a NUL)."""
        target = self._target(slot, name)
        if target is None:
            return None
        what = f"{self.what} {name}"
        start, count = self.buf.vector(target, 1, what)
        if string:
            self.buf.check(start, count + 1, what)
            if self.buf.data[start + count] != 0:
                self.buf.fail(f"corrupt: {what} is not NUL-terminated")
        self.buf.spend(count, what)
        return bytes(self.buf.data[start : start + count])

    def string(self, slot: int, name: str) -> str | None:
        data = self.raw(slot, name, string=True)
        if data is None:
            return None
        return UNPRINTABLE.sub("\ufffd", data.decode("utf-8", errors="replace"))


def checked_indices(buf: Buffer, values, limit: int, what: str, noun: str = "tensor",
                    optional=False):
    """Indices into a table of ``limit`` entries, each checked (-1 allowed if ``optional``).

    The interpreters index arrays with these without checking; a bad one is the classic
    way a corrupt model crashes TFLM, so it is caught here.
    """
    for i, value in enumerate(values or ()):
        if not (0 <= value < limit or (optional and value == -1)):
            buf.fail(f"corrupt: {what} {i} refers to {noun} {value}, but there are {limit}")
    return tuple(values or ())

