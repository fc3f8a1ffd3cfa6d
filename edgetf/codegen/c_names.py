"""C and C++ names, string literals and comment text: the one module every generator uses.

Anything that came from outside edgetf (a model's file name, a label, a tensor name)
goes through one of these functions before it lands in generated C++:

- :func:`c_identifier`: any text -> a valid identifier that is not reserved in C11,
  C17, C23 or C++17 and does not collide with a standard macro.
- :func:`c_string_literal`: any text -> a double-quoted literal whose bytes are the
  text's UTF-8, pure ASCII, with no trigraph and no ``/*`` or ``*/`` (so it is safe
  inside a comment too).
- :func:`c_comment_text`: any text -> one line of ASCII that is safe inside both
  ``/* ... */`` and ``// ...``.
- :func:`c_include_guard`: a header's file name -> its include guard.

All are pure and deterministic: the same text always gives the same output.
(emlearn's ``cgen.py`` is the model: one small shared helper, not escaping
scattered across generators.)
"""

from __future__ import annotations

import re

#: C11/C17 keywords (ISO/IEC 9899:2018, 6.4.1) and the C23 additions.
C_KEYWORDS: frozenset[str] = frozenset(
    """
    auto break case char const continue default do double else enum extern float for
    goto if inline int long register restrict return short signed sizeof static struct
    switch typedef union unsigned void volatile while
    _Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn
    _Static_assert _Thread_local
    alignas alignof bool constexpr false nullptr static_assert thread_local true typeof
    typeof_unqual _BitInt _Decimal128 _Decimal32 _Decimal64
    """.split()
)

#: C++17 keywords and alternative tokens (ISO/IEC 14882:2017, [lex.key] tables 5 and 6),
#: plus the C++20 keywords, so that generated code stays valid when built as C++20.
CPP_KEYWORDS: frozenset[str] = frozenset(
    """
    alignas alignof asm auto bool break case catch char char16_t char32_t class const
    constexpr const_cast continue decltype default delete do double dynamic_cast else
    enum explicit export extern false float for friend goto if inline int long mutable
    namespace new noexcept nullptr operator private protected public register
    reinterpret_cast return short signed sizeof static static_assert static_cast struct
    switch template this thread_local throw true try typedef typeid typename union
    unsigned using virtual void volatile wchar_t while
    and and_eq bitand bitor compl not not_eq or or_eq xor xor_eq
    char8_t concept consteval constinit co_await co_return co_yield requires
    """.split()
)

#: Not keywords, but names a generated file must not define either: macros and globals
#: of the standard headers generated code includes (``<cstdio>``, ``<cstddef>``,
#: ``<cassert>``, ``<cerrno>``, ``<cstdarg>``, ``<csetjmp>``, ``<complex.h>``,
#: ``<iso646.h>``...), ``main``, and the namespaces the generated C++ uses.
AVOIDED_NAMES: frozenset[str] = frozenset(
    """
    main NULL EOF errno assert offsetof stdin stdout stderr setjmp va_arg va_copy
    va_end va_start complex imaginary noreturn I
    std tflite
    """.split()
)

RESERVED_NAMES: frozenset[str] = C_KEYWORDS | CPP_KEYWORDS | AVOIDED_NAMES

#: Prefix for identifiers that would otherwise start with a digit or an underscore, or
#: would be empty.
IDENTIFIER_PREFIX = "x"

_NOT_IDENTIFIER_CHAR = re.compile(r"[^A-Za-z0-9_]")
_UNDERSCORES = re.compile(r"_{2,}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def c_identifier(name: str) -> str:
    """``name`` as a valid C/C++ identifier that no standard reserves.

    Every character outside ``[A-Za-z0-9_]`` (non-ASCII included) becomes ``_`` and runs
    of ``_`` collapse to one, so ``"my-model.tflite"`` -> ``"my_model_tflite"``. Then:

    - a name that would start with a digit or ``_`` gets :data:`IDENTIFIER_PREFIX` in
      front (``"1st"`` -> ``"x1st"``, ``"_Foo"`` -> ``"x_Foo"``). C++ reserves every
      name containing ``__`` or starting with ``_`` + an uppercase letter, and both
      languages reserve names starting with ``_`` at global scope, where model arrays
      live; collapsing and prefixing rules out all three;
    - an empty result becomes ``"x"``;
    - a keyword of C11/C23/C++17/C++20 or a name in :data:`AVOIDED_NAMES` gets a ``_``
      appended (``"int"`` -> ``"int_"``, ``"class"`` -> ``"class_"``).

    Different inputs can map to the same identifier (``"a-b"`` and ``"a.b"``); a
    generator that needs several names must check they are distinct.
    """
    ident = _UNDERSCORES.sub("_", _NOT_IDENTIFIER_CHAR.sub("_", name))
    if not ident or ident[0] == "_" or ident[0].isdigit():
        ident = IDENTIFIER_PREFIX + ident
    if ident in RESERVED_NAMES:
        ident += "_"
    return ident


def is_c_identifier(name: str) -> bool:
    """Whether ``name`` is already what :func:`c_identifier` would make of it."""
    return bool(_IDENTIFIER.match(name)) and c_identifier(name) == name


def c_include_guard(file_name: str) -> str:
    """The include guard for a header: ``"model_data.h"`` -> ``"EDGETF_MODEL_DATA_H_"``.

    The ``EDGETF_`` prefix keeps guards clear of users' and libraries' own guards and
    of reserved names (an upper-cased identifier could otherwise be ``NULL``).
    """
    return c_identifier(f"edgetf_{file_name}_").upper()


def _literal_escape_table() -> list[str]:
    """How each byte is written inside a literal before the pair rules in
    :func:`c_string_literal` are applied."""
    named = {
        ord("\\"): "\\\\",
        ord('"'): '\\"',
        ord("\n"): "\\n",
        ord("\r"): "\\r",
        ord("\t"): "\\t",
    }
    table = []
    for byte in range(256):
        if byte in named:
            table.append(named[byte])
        elif 0x20 <= byte < 0x7F:
            table.append(chr(byte))
        else:
            # Always three octal digits: an octal escape ends after at most three
            # digits, so a digit that follows can never be swallowed (a hex escape
            # such as "\xe9" + "a" would read as one escape, "\xe9a").
            table.append(f"\\{byte:03o}")
    return table


_LITERAL_ESCAPES = _literal_escape_table()

# Raw pairs that must not appear in a literal's text: "??" starts a trigraph ("??="
# is "#", "??/" is "\\" and would escape the closing quote) under -trigraphs or C++
# before C++17; "/*" and "*/" would open or close a comment if a generator ever writes
# the literal inside one. The second character of such a pair is written as an
# escape, which keeps the bytes the same.
_PAIR_ESCAPES = {("?", "?"): "\\?", ("*", "/"): "\\057", ("/", "*"): "\\052"}


def c_string_literal(text: str) -> str:
    """``text`` as a double-quoted C/C++ string literal holding its UTF-8 bytes.

    The result is pure ASCII and safe whatever ``text`` holds: ``\\`` and ``"`` are
    escaped, ``\\n``, ``\\r`` and ``\\t`` use their named escapes, every other control
    byte and every non-ASCII byte (of the UTF-8 encoding) is a three-digit octal escape,
    and no ``??`` (trigraph), ``/*`` or ``*/`` appears unescaped, so the literal can
    also sit inside a comment. NUL is kept (``"\\000"``): C code reading the literal as
    a C string stops there; use ``sizeof(literal) - 1`` for the full length.
    Surrogates that cannot be encoded (lone ``\\udc80``) raise ``UnicodeEncodeError``.
    """
    parts = ['"']
    previous = ""  # last character written, escapes included ("\\?" ends in "?")
    for byte in text.encode("utf-8"):
        piece = _LITERAL_ESCAPES[byte]
        if len(piece) == 1:
            piece = _PAIR_ESCAPES.get((previous, piece), piece)
        parts.append(piece)
        previous = piece[-1]
    parts.append('"')
    return "".join(parts)


def c_comment_text(text: str) -> str:
    """``text`` as one line of ASCII safe inside ``/* ... */`` and after ``//``.

    - Line breaks, tabs and other whitespace runs (Unicode's included) become one
      space; the ends are trimmed.
    - Other control characters and every non-ASCII character are written as ``<U+XXXX>``
      (the generated files stay ASCII, and GCC's ``-Wbidi-chars`` has nothing to see).
    - ``*/`` and ``/*`` get a space between the two characters (one would end the
      comment, the other trips ``-Wcomment``); ``??`` becomes ``? ?`` (no trigraph).
    - A trailing backslash gets a ``.`` after it, so a ``//`` comment cannot continue
      onto the next line.
    """
    chars: list[str] = []
    for char in " ".join(text.split()):
        if " " <= char < "\x7f":
            if chars and (chars[-1][-1], char) in _PAIR_ESCAPES:
                chars.append(" ")
            chars.append(char)
        else:
            chars.append(f"<U+{ord(char):04X}>")
    comment = "".join(chars).strip()
    if comment.endswith("\\"):
        comment += "."
    return comment
