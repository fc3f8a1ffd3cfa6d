"""C naming and escaping: hostile inputs, checked by rule and by the host C++ compiler."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from edgetf.codegen.c_names import (
    C_KEYWORDS,
    CPP_KEYWORDS,
    RESERVED_NAMES,
    c_comment_text,
    c_identifier,
    c_include_guard,
    c_string_literal,
    is_c_identifier,
)

HOSTILE = [
    "",
    "plain",
    'say "hi"',
    "back\\slash",
    "ends with backslash\\",
    "ends with backslash and space\\  ",
    "close */ comment",
    "open /* comment",
    "*/*/*//**/",
    "??= ??/ ??' ??( ??) ??! ??< ??> ??-",
    "???/",
    "line\nbreak\r\nand\ttab",
    "emoji \U0001f600 caf\u00e9 \u4e2d\u6587",
    "nul\x00byte",
    "bell\x07 esc\x1b del\x7f",
    "hex then digit \u00e9a \u00e91",
    "bidi \u202e reversed \u2066",
    "nbsp\u00a0and\u2028ls",
    "int",
    "class",
    "register",
    "_Bool",
    "__init__",
    "_Upper",
    "_lower",
    "1st layer",
    "9",
    "a--b..c",
    "NULL",
    "main",
    "\\u0041",
    "%d %s %n",
    "// not a comment",
    "'single' `back` $dollar @at",
]

IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
GXX = shutil.which("g++")
needs_gxx = pytest.mark.skipif(GXX is None, reason="g++ not found: compile checks need it")


def _compile(args: list[str]) -> None:
    """Run g++ with ``args``; on failure, fail the test showing the compiler's message."""
    result = subprocess.run([GXX, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _is_reserved(ident: str) -> bool:
    return (
        ident in RESERVED_NAMES
        or "__" in ident
        or ident.startswith("_")  # global-scope reservation, and "_" + uppercase
    )


@pytest.mark.parametrize("text", HOSTILE)
def test_identifier_is_valid_and_not_reserved(text):
    ident = c_identifier(text)
    assert IDENTIFIER_RE.match(ident)
    assert not _is_reserved(ident)
    assert c_identifier(text) == ident  # deterministic
    assert c_identifier(ident) == ident  # idempotent
    assert is_c_identifier(ident)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my-model.tflite", "my_model_tflite"),
        ("g_model", "g_model"),
        ("", "x"),
        ("int", "int_"),
        ("class", "class_"),
        ("register", "register_"),
        ("1st layer", "x1st_layer"),
        ("__init__", "x_init_"),
        ("_Upper", "x_Upper"),
        ("a--b..c", "a_b_c"),
        ("caf\u00e9", "caf_"),
        ("NULL", "NULL_"),
    ],
)
def test_identifier_examples(text, expected):
    assert c_identifier(text) == expected


def test_keyword_sets_are_complete_enough():
    for word in ("int", "register", "_Static_assert", "restrict", "_Generic"):
        assert word in C_KEYWORDS
    for word in ("class", "char16_t", "decltype", "noexcept", "xor_eq", "co_await"):
        assert word in CPP_KEYWORDS
    for word in C_KEYWORDS | CPP_KEYWORDS:
        expected = "x" + word if word.startswith("_") else word + "_"
        assert c_identifier(word) == expected


def test_include_guard():
    assert c_include_guard("model_data.h") == "EDGETF_MODEL_DATA_H_"
    assert c_include_guard("int") == "EDGETF_INT_"
    assert IDENTIFIER_RE.match(c_include_guard("\U0001f600 weird/path.hpp"))


@pytest.mark.parametrize("text", HOSTILE)
def test_string_literal_rules(text):
    literal = c_string_literal(text)
    assert literal.isascii()
    assert literal.startswith('"') and literal.endswith('"')
    body = literal[1:-1]
    for forbidden in ("??", "/*", "*/", "\n", "\r", "\t", "\x00"):
        assert forbidden not in body
    assert re.fullmatch(r'(?:[^"\\]|\\.)*', body)  # every quote and backslash escaped
    assert all(" " <= char < "\x7f" for char in body)


@pytest.mark.parametrize("text", HOSTILE)
def test_comment_text_rules(text):
    comment = c_comment_text(text)
    assert comment.isascii()
    for forbidden in ("*/", "/*", "??", "\n", "\r"):
        assert forbidden not in comment
    assert all(" " <= char < "\x7f" for char in comment)
    assert not comment.endswith("\\")
    assert comment == comment.strip()


def test_octal_escape_does_not_swallow_digits():
    assert c_string_literal("\u00e91") == '"\\303\\2511"'
    assert c_string_literal("\x001") == '"\\0001"'


def _cpp_program(texts: list[str]) -> str:
    idents = sorted({c_identifier(text) for text in texts})
    lines = ["#include <cstdio>", "#include <cstddef>", ""]
    for text in texts:
        lines.append(f"/* {c_comment_text(text)} */")
        lines.append(f"// {c_comment_text(text)}")
        # A literal in a comment must not close or confuse it either.
        lines.append(f"/* {c_string_literal(text)} */")
        lines.append(f"// {c_string_literal(text)}")
    lines.append("const char* all_literals[] = {")
    lines.extend(f"    {c_string_literal(text)}," for text in texts)
    lines.append("};")
    lines.append("struct Entry { const char* data; std::size_t size; };")
    lines.append("const Entry entries[] = {")
    lines.extend(
        f"    {{{c_string_literal(text)}, sizeof({c_string_literal(text)}) - 1}}," for text in texts
    )
    lines.append("};")
    lines.extend(f"int {ident} = {number};" for number, ident in enumerate(idents))
    lines.append("int main() {")
    lines.append("  (void)all_literals;")
    lines.append("  long sum = 0;")
    lines.extend(f"  sum += {ident};" for ident in idents)
    lines.append("  for (const Entry& entry : entries) {")
    lines.append('    std::printf("%zu:", entry.size);')
    lines.append("    std::fwrite(entry.data, 1, entry.size, stdout);")
    lines.append("  }")
    lines.append("  return sum == 0 ? 1 : 0;")
    lines.append("}")
    return "\n".join(lines) + "\n"


@needs_gxx
@pytest.mark.parametrize("std", ["c++17", "c++14"])
def test_generated_cpp_compiles_with_warnings_as_errors(tmp_path, std):
    # c++14 still has trigraphs (with -trigraphs): any that slipped through would warn.
    source = tmp_path / "names.cc"
    source.write_text(_cpp_program(HOSTILE), encoding="ascii")
    extra = ["-trigraphs"] if std == "c++14" else []
    _compile(
        [
            f"-std={std}",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-Wtrigraphs",
            "-fsyntax-only",
            *extra,
            str(source),
        ]
    )


@needs_gxx
def test_literals_round_trip_through_the_compiler(tmp_path):
    source = tmp_path / "names.cc"
    source.write_text(_cpp_program(HOSTILE), encoding="ascii")
    binary = tmp_path / "names"
    _compile(
        ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-Wtrigraphs", "-o", str(binary), str(source)]
    )
    output = subprocess.run([str(binary)], check=True, capture_output=True).stdout
    expected = b"".join(
        f"{len(text.encode('utf-8'))}:".encode() + text.encode("utf-8") for text in HOSTILE
    )
    assert output == expected
