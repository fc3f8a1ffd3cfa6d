"""Damaged ``.tflite`` files, made from valid ones: the fuzzer's mutations.

Shared by the suite's fuzz test (``tests/test_fuzz.py``) and the long run
(``benchmarks/fuzz.py``). Each mutant is a pure function of the seed models and one
``random.Random``, so a failing mutant is reproduced from its index alone.

Blind bit flips mostly land in weight bytes, which leave a valid model; the damage that
breaks readers lands in the few bytes that hold structure. So :func:`structure` walks a
valid model's flatbuffer (its own small walker over the TFLite schema's vtable slots,
deliberately independent of :mod:`edgetf.tflite.reader`, whose bugs it must not share)
and lists where the offsets, vtables, vector lengths, tensor shapes, buffer indices and
buffer offsets are; most mutations write absurd values exactly there.

Nothing here imports edgetf: it only makes bytes.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable
from dataclasses import dataclass

#: Fields the walker follows, by TFLite schema vtable slot (schema.fbs field order).
_MODEL = {"operator_codes": 1, "subgraphs": 2, "description": 3, "buffers": 4, "metadata": 6}
_SUBGRAPH = {"tensors": 0, "inputs": 1, "outputs": 2, "operators": 3, "name": 4}
_TENSOR = {"shape": 0, "type": 1, "buffer": 2, "name": 3, "quantization": 4,
           "shape_signature": 7}
_QUANTIZATION = {"scale": 2, "zero_point": 3, "quantized_dimension": 6}
_OPERATOR = {"opcode_index": 0, "inputs": 1, "outputs": 2, "builtin_options": 4}
_OPCODE = {"deprecated_builtin_code": 0, "custom_code": 1, "version": 2, "builtin_code": 3}
_BUFFER = {"data": 0, "offset": 1, "size": 2}


@dataclass(frozen=True)
class Site:
    """One structural field of a valid model: where it is, how wide, what it means."""

    kind: str
    pos: int
    fmt: str  # struct code of the stored value


@dataclass(frozen=True)
class Mutant:
    """One fuzz input: ``data`` for a file, or ``directory`` for a folder in its place."""

    kind: str
    detail: str
    data: bytes = b""
    directory: bool = False


class _Walk:
    """Collects :class:`Site` entries while walking a valid flatbuffer (no checks needed
    beyond not crashing: it only ever sees the test's own models)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.sites: list[Site] = []

    def add(self, kind: str, pos: int, fmt: str) -> None:
        if 0 <= pos and pos + struct.calcsize(fmt) <= len(self.data):
            self.sites.append(Site(kind, pos, fmt))

    def value(self, pos: int, fmt: str):
        return struct.unpack_from("<" + fmt, self.data, pos)[0]

    def table(self, pos: int, kind: str) -> dict[int, int]:
        """Slot -> absolute position of each present field of the table at ``pos``."""
        self.add(f"{kind} vtable offset", pos, "i")
        vtable = pos - self.value(pos, "i")
        self.add(f"{kind} vtable size", vtable, "H")
        self.add(f"{kind} table size", vtable + 2, "H")
        fields = {}
        for slot in range((self.value(vtable, "H") - 4) // 2):
            entry = vtable + 4 + 2 * slot
            self.add(f"{kind} vtable entry", entry, "H")
            offset = self.value(entry, "H")
            if offset:
                fields[slot] = pos + offset
        return fields

    def target(self, pos: int, kind: str) -> int:
        self.add(f"{kind} offset", pos, "I")
        return pos + self.value(pos, "I")

    def vector(self, pos: int, kind: str) -> tuple[int, int]:
        start = self.target(pos, kind)
        self.add(f"{kind} length", start, "I")
        return start + 4, self.value(start, "I")

    def tables(self, pos: int, kind: str) -> list[dict[int, int]]:
        start, count = self.vector(pos, f"{kind} vector")
        return [self.table(self.target(start + 4 * i, kind), kind) for i in range(count)]

    def numbers(self, pos: int, kind: str, fmt: str) -> None:
        start, count = self.vector(pos, f"{kind} vector")
        size = struct.calcsize(fmt)
        for i in range(count):
            self.add(kind, start + size * i, fmt)


def structure(data: bytes) -> list[Site]:
    """The structural fields of the valid TFLite flatbuffer ``data``."""
    walk = _Walk(data)
    model = walk.table(walk.target(0, "root table"), "model")
    if "description" in model:
        walk.vector(model[_MODEL["description"]], "string")
    for code in walk.tables(model[_MODEL["operator_codes"]], "operator code"):
        walk.add("builtin code", code.get(_OPCODE["builtin_code"], -1), "i")
        walk.add("deprecated builtin code", code.get(_OPCODE["deprecated_builtin_code"], -1),
                 "b")
    for buffer in walk.tables(model[_MODEL["buffers"]], "buffer"):
        if _BUFFER["data"] in buffer:
            walk.vector(buffer[_BUFFER["data"]], "buffer data")
        # Only in the >2 GB layout: data after the flatbuffer, at offset/size in the file.
        walk.add("buffer file offset", buffer.get(_BUFFER["offset"], -1), "Q")
        walk.add("buffer file size", buffer.get(_BUFFER["size"], -1), "Q")
    for graph in walk.tables(model[_MODEL["subgraphs"]], "subgraph"):
        walk.numbers(graph[_SUBGRAPH["inputs"]], "subgraph input", "i")
        walk.numbers(graph[_SUBGRAPH["outputs"]], "subgraph output", "i")
        for tensor in walk.tables(graph[_SUBGRAPH["tensors"]], "tensor"):
            if _TENSOR["shape"] in tensor:
                walk.numbers(tensor[_TENSOR["shape"]], "tensor shape", "i")
            if _TENSOR["shape_signature"] in tensor:
                walk.numbers(tensor[_TENSOR["shape_signature"]], "tensor shape", "i")
            walk.add("tensor type", tensor.get(_TENSOR["type"], -1), "b")
            walk.add("tensor buffer", tensor.get(_TENSOR["buffer"], -1), "I")
            if _TENSOR["name"] in tensor:
                walk.vector(tensor[_TENSOR["name"]], "string")
            if _TENSOR["quantization"] in tensor:
                q = walk.table(walk.target(tensor[_TENSOR["quantization"]], "quantization"),
                               "quantization")
                if _QUANTIZATION["scale"] in q:
                    walk.numbers(q[_QUANTIZATION["scale"]], "scale", "f")
                if _QUANTIZATION["zero_point"] in q:
                    walk.numbers(q[_QUANTIZATION["zero_point"]], "zero point", "q")
                walk.add("quantized dimension", q.get(_QUANTIZATION["quantized_dimension"], -1),
                         "i")
        for op in walk.tables(graph[_SUBGRAPH["operators"]], "operator"):
            walk.add("opcode index", op.get(_OPERATOR["opcode_index"], -1), "I")
            walk.numbers(op[_OPERATOR["inputs"]], "operator input", "i")
            walk.numbers(op[_OPERATOR["outputs"]], "operator output", "i")
            if _OPERATOR["builtin_options"] in op:
                options = walk.table(walk.target(op[_OPERATOR["builtin_options"]], "options"),
                                     "options")
                for pos in options.values():
                    walk.add("option", pos, "i")
    return walk.sites


def _absurd(rng: random.Random, site: Site, size: int) -> int | float:
    """A value for ``site`` that a careless reader or interpreter would trust."""
    fmt = site.fmt
    if fmt == "f":
        return rng.choice([float("nan"), float("inf"), float("-inf"), 0.0, -1.0, 1e-45,
                           3e38])
    if fmt == "b":
        return rng.choice([-128, -1, 0, 17, 30, 127, rng.randrange(-128, 128)])
    if fmt == "H":
        return rng.choice([0, 1, 2, 3, 4, 0x7FFF, 0x8000, 0xFFFF, rng.randrange(0x10000)])
    if fmt in ("Q", "q"):
        values = [0, 1, 2, size - 1, size, size + 1, 1 << 31, 1 << 40, (1 << 63) - 1,
                  rng.randrange(1 << 32)]
        values = [v for v in values if v >= 0] if fmt == "Q" else values + [-(1 << 63), -1]
        value = rng.choice(values)
        return value if fmt == "Q" else (value - (1 << 64) if value >= 1 << 63 else value)
    if site.kind == "tensor shape" or fmt == "i":
        value = rng.choice([0, -1, -2, 1, 3, 0x7FFFFFFF, -0x80000000, 1 << 16, 1 << 24,
                            46341, size, rng.randrange(-(1 << 31), 1 << 31)])
        return value
    value = rng.choice([0, 1, 2, 3, 4, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFC,
                        size - 4, size, size + 4, rng.randrange(1 << 32)])
    return value % (1 << 32)


def _write(data: bytearray, site: Site, value) -> None:
    struct.pack_into("<" + site.fmt, data, site.pos, value)


# --- the mutations -------------------------------------------------------------------
# Each takes (rng, seed name, seed bytes, its sites) and returns (detail, bytes or Mutant).


def _bit_flips(rng, data, sites):
    out = bytearray(data)
    flips = rng.randint(1, 8)
    for _ in range(flips):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return f"{flips} random bits", bytes(out)


def _structural_bit_flips(rng, data, sites):
    out = bytearray(data)
    flips = rng.randint(1, 8)
    for _ in range(flips):
        site = rng.choice(sites)
        width = struct.calcsize(site.fmt)
        out[site.pos + rng.randrange(width)] ^= 1 << rng.randrange(8)
    return f"{flips} bits in structural fields", bytes(out)


def _absurd_field(rng, data, sites):
    out = bytearray(data)
    count = rng.choice([1, 1, 1, 2, 3])
    chosen = [rng.choice(sites) for _ in range(count)]
    for site in chosen:
        _write(out, site, _absurd(rng, site, len(data)))
    return "absurd " + ", ".join(sorted({s.kind for s in chosen})), bytes(out)


def _by_kind(wanted: Callable[[str], bool]) -> Callable:
    """A mutation that writes absurd values into the sites whose kind is ``wanted``."""

    def mutate(rng, data, sites):
        chosen = [s for s in sites if wanted(s.kind)]
        if not chosen:
            return _absurd_field(rng, data, sites)
        out = bytearray(data)
        picked = rng.sample(chosen, min(len(chosen), rng.choice([1, 1, 2, 4])))
        for site in picked:
            _write(out, site, _absurd(rng, site, len(data)))
        return "absurd " + ", ".join(sorted({s.kind for s in picked})), bytes(out)

    return mutate


def _truncate(rng, data, sites):
    where = rng.choice(["header", "structure", "anywhere", "last byte", "near the end"])
    if where == "header":
        end = rng.randrange(0, 16)
    elif where == "structure":
        site = rng.choice(sites)
        end = site.pos + rng.randrange(struct.calcsize(site.fmt) + 1)
    elif where == "anywhere":
        end = rng.randrange(len(data))
    elif where == "last byte":
        end = len(data) - 1
    else:
        end = len(data) - rng.randint(2, 64)
    end = max(0, min(end, len(data) - 1))
    return f"truncated to {end} of {len(data)} bytes ({where})", data[:end]


def _insert_delete(rng, data, sites):
    pos = rng.randrange(len(data))
    if rng.random() < 0.5:
        count = rng.randint(1, 64)
        return f"{count} bytes deleted at {pos}", data[:pos] + data[pos + count:]
    junk = rng.randbytes(rng.randint(1, 64))
    return f"{len(junk)} bytes inserted at {pos}", data[:pos] + junk + data[pos:]


def _random_bytes(rng, data, sites):
    size = rng.choice([1, 4, 7, 8, 12, 64, 1024, 4096, rng.randint(1, 20000)])
    out = bytearray(rng.randbytes(size))
    identified = size >= 8 and rng.random() < 0.6
    if identified:
        out[4:8] = b"TFL3"
        if rng.random() < 0.5:  # a root offset that lands inside the file
            struct.pack_into("<I", out, 0, rng.randrange(8, max(9, size - 4)) & ~3)
    return f"{size} random bytes{' with TFL3' if identified else ''}", bytes(out)


def _header_only(rng, data, sites):
    out = bytearray(data[:8]) + bytearray(rng.choice([0, 4, 16, 64]))
    return f"the 8-byte header and {len(out) - 8} zero bytes", bytes(out)


def _zero_length(rng, data, sites):
    return "empty file", b""


_TEXTS = (
    b"# a text file, not a model\nlayers: 3\n",
    "\ufeffmodel,weights\n1,2\n\u00e9\U0001F600\n".encode(),
    b"<!DOCTYPE html><html><body>404 Not Found</body></html>\n",
    b"version https://git-lfs.github.com/spec/v1\noid sha256:0000\nsize 4288\n",
)


def _text_file(rng, data, sites):
    text = rng.choice(_TEXTS)
    return f"a text file ({text[:12]!r})", text


_MAGICS = (b"PK\x03\x04", b"\x89HDF\r\n\x1a\n", b"\x7fELF\x02\x01\x01\x00",
           b"\x93NUMPY\x01\x00", b"\x1f\x8b\x08\x00")


def _other_format(rng, data, sites):
    magic = rng.choice(_MAGICS)
    return f"another format's magic {magic[:4]!r}", magic + rng.randbytes(rng.randint(0, 256))


def _directory(rng, data, sites):
    return "a folder where the file should be", Mutant("directory", "", directory=True)


def _splice(rng, data, sites):
    a, b = sorted(rng.randrange(len(data)) for _ in range(2))
    chunk = data[a:b]
    pos = rng.randrange(len(data))
    out = bytearray(data)
    out[pos:pos + len(chunk)] = chunk
    return f"bytes {a}..{b} copied over offset {pos}", bytes(out[:len(data)])


#: name -> (weight, mutation). Structural damage dominates; see the module docstring.
MUTATIONS: dict[str, tuple[int, Callable]] = {
    "bit flips": (8, _bit_flips),
    "structural bit flips": (10, _structural_bit_flips),
    "absurd structural value": (14, _absurd_field),
    "absurd offsets and vtables": (8, _by_kind(
        lambda kind: kind.endswith((" offset", " vtable entry", " vtable size", " table size"))
        and not kind.startswith("buffer file"))),
    "absurd vector lengths": (6, _by_kind(lambda kind: kind.endswith(" length"))),
    "absurd tensor shape": (10, _by_kind(lambda kind: kind == "tensor shape")),
    "absurd buffer offset or index": (8, _by_kind(
        lambda kind: kind.startswith("buffer") or kind == "tensor buffer")),
    "absurd tensor index": (6, _by_kind(
        lambda kind: kind in ("operator input", "operator output", "subgraph input",
                              "subgraph output", "opcode index"))),
    "absurd quantization": (5, _by_kind(
        lambda kind: kind in ("scale", "zero point", "quantized dimension"))),
    "absurd op code, type or option": (4, _by_kind(
        lambda kind: kind in ("builtin code", "deprecated builtin code", "tensor type",
                              "option"))),
    "truncation": (12, _truncate),
    "insert or delete bytes": (4, _insert_delete),
    "splice": (3, _splice),
    "random bytes": (4, _random_bytes),
    "header only": (1, _header_only),
    "zero-length": (1, _zero_length),
    "text file": (1, _text_file),
    "other format": (1, _other_format),
    "directory": (1, _directory),
}


def mutant(seeds: dict[str, bytes], sites: dict[str, list[Site]], rng: random.Random,
           kind: str | None = None) -> Mutant:
    """One mutant of a seed model picked by ``rng``, of ``kind`` or one drawn by weight;
    ``sites`` is :func:`structure` of each seed."""
    names = list(MUTATIONS)
    kind = kind or rng.choices(names, weights=[MUTATIONS[n][0] for n in names])[0]
    seed = rng.choice(sorted(seeds))
    detail, made = MUTATIONS[kind][1](rng, seeds[seed], sites[seed])
    if isinstance(made, Mutant):
        return Mutant(kind, detail, made.data, made.directory)
    return Mutant(kind, f"{seed}: {detail}", made)


def mutants(seeds: dict[str, bytes], count: int, seed: int, start: int = 0) -> list[Mutant]:
    """Mutants ``start .. start + count - 1`` of run ``seed``; each depends on its index
    only, so a run can be split over processes and any one mutant made again. The first
    ``len(MUTATIONS)`` indices take one mutation each, in order, so that even a short run
    tries every kind."""
    sites = {name: structure(data) for name, data in seeds.items()}
    names = list(MUTATIONS)
    return [mutant(seeds, sites, random.Random(f"{seed}:{index}"),
                   names[index] if index < len(names) else None)
            for index in range(start, start + count)]
