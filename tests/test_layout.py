"""The package layout is the architecture: folders in pipeline order, imports only downwards,
no import cycles, short modules. Read from the source (every import statement, also the ones
inside functions), so that a new module that breaks the order fails here, not in review."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "edgetf"

#: Folder -> the folders it may import (besides itself). The same table as docs/architecture.md's
#: "How the code is organised"; ``_version`` is a leaf every folder may read.
MAY_IMPORT: dict[str, set[str]] = {
    "base": set(),
    "tflite": {"base"},
    "tflm": {"base", "tflite"},
    "targets": {"base", "tflite", "tflm"},
    "compiled": {"base", "tflite", "tflm", "targets"},
    "data": {"base"},
    "compress": {"base", "tflite", "tflm", "data"},
    "features": {"base", "tflite", "tflm", "data"},
    "train": {"base", "tflite", "tflm", "targets", "data", "compress", "features"},
    "codegen": {"base", "tflite", "tflm", "targets", "compiled", "data", "features"},
    "analyze": {"base", "tflite", "tflm", "targets", "compiled", "data", "features", "codegen"},
    "tune": {"base", "tflite", "tflm", "targets", "compiled", "data", "compress", "features",
             "train", "codegen", "analyze"},
    "api": {"base", "tflite", "tflm", "targets", "compiled", "data", "compress", "features",
            "train", "codegen", "analyze", "tune"},
    "cli": {"base", "tflite", "tflm", "targets", "compiled", "data", "compress", "features",
            "train", "codegen", "analyze", "tune", "api"},
}
#: Modules at the package's top: the facade (``edgetf``, ``python -m edgetf``) may import
#: anything; ``_version`` imports nothing.
TOP_MODULES = {"edgetf", "edgetf.__main__", "edgetf._version"}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """The edgetf modules ``path`` imports (``from edgetf.x import y`` counts as
    ``edgetf.x.y`` when that is a module, else ``edgetf.x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("edgetf")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and (
                node.module == "edgetf" or node.module.startswith("edgetf.")):
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in MODULES else node.module)
    return found


def _folder(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in MAY_IMPORT else None


def test_every_folder_is_in_the_table_and_says_what_it_holds():
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders == set(MAY_IMPORT)
    for folder in folders:
        doc = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text()))
        assert doc and len(doc.splitlines()) <= 12, folder
    assert set(MODULES) - TOP_MODULES == {m for m in MODULES if _folder(m)}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_downwards(module):
    own = _folder(module)
    if module in TOP_MODULES:
        if module == "edgetf._version":
            assert not _imports(MODULES[module])
        return
    for imported in _imports(MODULES[module]):
        if imported == "edgetf._version" or imported == "edgetf":
            continue
        target = _folder(imported)
        assert target == own or target in MAY_IMPORT[own], (
            f"{module} imports {imported}: {own}/ may import {sorted(MAY_IMPORT[own])}")


def test_no_import_cycles_between_modules():
    graph = {m: {i for i in _imports(p) if i in MODULES and i != m} for m, p in MODULES.items()}
    # A package's __init__ importing its own modules (compress/) is how it offers them.
    for module in graph:
        graph[module] = {i for i in graph[module] if not module.startswith(i + ".")}
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for nxt in sorted(graph[module]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, " ; ".join(" -> ".join(c) for c in cycles)


def test_no_module_is_long():
    long = {m: n for m, p in MODULES.items()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these by concern: {long}"


def test_the_docs_name_every_folder():
    section = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for folder in MAY_IMPORT:
        assert f"`edgetf/{folder}/`" in section, folder
