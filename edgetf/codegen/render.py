"""The one Jinja environment every generated file is rendered with.

``StrictUndefined`` turns a missing value into an error instead of an empty string in
the C++; the filters route every piece of outside text through
:mod:`edgetf.codegen.c_names`, so templates never escape anything by hand.
"""

from __future__ import annotations

import functools

import jinja2

from edgetf.codegen.c_names import c_comment_text, c_identifier, c_string_literal
from edgetf.codegen.resources import resource_dir


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_dir("templates"))),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # C++, INI, YAML and Markdown: nothing here is HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["c_string"] = c_string_literal
    env.filters["c_comment"] = c_comment_text
    env.filters["c_ident"] = c_identifier
    return env


def render(template: str, **context) -> str:
    """Render ``template`` (a path under ``templates/``) with ``context``."""
    return environment().get_template(template).render(**context)
