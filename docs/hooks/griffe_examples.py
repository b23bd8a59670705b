"""Griffe extension for the API reference (mkdocs.yml: ``extensions:`` of mkdocstrings).

The zoo's docstrings title their doctest blocks ``Example:`` (singular). Griffe's Google
parser only knows ``Examples:``; a singular title becomes a generic admonition whose
``>>>`` lines are rendered as Markdown block quotes. This extension renames the section
title before the docstring is parsed, so the blocks render as code, and shows Sphinx roles
(``:func:`load```) as code (``load``) instead of as literal text. The source is unchanged.
"""

import re

import griffe

_TITLE = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)
_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|data|mod|exc|obj):`~?([^`]+)`")


class ExampleSections(griffe.Extension):
    def on_instance(self, *, obj, **kwargs):
        docstring = getattr(obj, "docstring", None)
        if docstring is None:
            return
        if "Example:" in docstring.value:
            docstring.value = _TITLE.sub(r"\1Examples:", docstring.value)
        if ":`" in docstring.value:
            docstring.value = _ROLE.sub(r"`\1`", docstring.value)
