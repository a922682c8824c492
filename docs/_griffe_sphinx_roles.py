"""Griffe extension for the API reference: render netstatlib's Sphinx-style docstrings.

The docstrings use reST roles (``:class:`Table```, ``:meth:`parse```) and ``::`` before
literal blocks. mkdocstrings renders Markdown, where those come out as raw text. This
extension rewrites each role into a Markdown cross-reference (``[`Table`][netstatlib.Table]``)
when it names something the reference page documents, and into a plain code span
otherwise (``os.fsencode``), turns a trailing ``::`` into ``:``, fences ``>>>`` lines as
``pycon`` code and drops ``# doctest:`` directives. It only changes what the docs show;
the source is untouched.

Loaded by ``mkdocs.yml`` (``plugins.mkdocstrings.handlers.python.options.extensions``).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import griffe

# The modules docs/reference.md renders with ``:::``; their exports get anchors. A name
# exported by two of them links to the first (``F``: ``netstatlib.F``).
PUBLIC_MODULES = (
    "netstatlib",
    "netstatlib.audits",
    "netstatlib.backends",
    "netstatlib.filters",
    "netstatlib.parsers.procfs",
    "netstatlib.parsers.sockdiag",
    "netstatlib.parsers.windows",
)

_ROLE = re.compile(r":(?:class|func|meth|attr|mod|data|exc|obj):`(?P<target>[^`]+)`")
_LITERAL_MARKER = re.compile(r"(?<=\S)::$", re.MULTILINE)
_DOCTEST_DIRECTIVE = re.compile(r"[ \t]*# doctest:[^\n]*$", re.MULTILINE)
_DOCTEST_BLOCK = re.compile(r"^(?:>>> .*\n?)+", re.MULTILINE)


class SphinxRoles(griffe.Extension):
    """Rewrite reST roles into Markdown cross-references once the package is loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.path != "netstatlib":
            return
        anchors: set[str] = {"netstatlib.parsers"}  # rendered too, without members
        by_canonical: dict[str, str] = {}
        by_short: dict[str, str] = {}
        for module_path in PUBLIC_MODULES:
            module = pkg if module_path == "netstatlib" else pkg[module_path[len("netstatlib.") :]]
            anchors.add(module_path)
            by_canonical[module.path] = module_path
            for name in module.exports or ():
                if not isinstance(name, str) or name.startswith("_") or name not in module.members:
                    continue
                member = module.members[name]
                self._register(
                    member, f"{module_path}.{name}", name, anchors, by_canonical, by_short
                )
        for obj in self._objects(pkg):
            docstring = obj.docstring
            if docstring is None:
                continue
            scope = obj if obj.is_class or obj.parent is None else obj.parent
            context = by_canonical.get(scope.path, "")
            link = functools.partial(
                _link,
                context=context,
                anchors=anchors,
                by_canonical=by_canonical,
                by_short=by_short,
            )
            rewrite = functools.partial(_markdown, link=link)
            docstring.value = rewrite(docstring.value)
            # An extension that ran earlier (griffe-fieldz, listing a record's fields)
            # may have parsed the docstring already: rewrite the parsed sections too.
            if "parsed" in vars(docstring):
                for section in docstring.parsed:
                    if isinstance(section.value, str):
                        section.value = rewrite(section.value)
                    elif isinstance(section.value, list):
                        for item in section.value:
                            if isinstance(getattr(item, "description", None), str):
                                item.description = rewrite(item.description)

    def _register(
        self,
        member: griffe.Object | griffe.Alias,
        public: str,
        short: str,
        anchors: set[str],
        by_canonical: dict[str, str],
        by_short: dict[str, str],
    ) -> None:
        anchors.add(public)
        by_short.setdefault(short, public)
        try:
            target = member.final_target if isinstance(member, griffe.Alias) else member
        except griffe.AliasResolutionError:
            return
        by_canonical.setdefault(target.path, public)
        if target.is_class:
            for child_name in target.members:
                if not child_name.startswith("_"):
                    anchors.add(f"{public}.{child_name}")
                    by_short.setdefault(f"{short}.{child_name}", f"{public}.{child_name}")

    def _objects(self, obj: griffe.Object) -> list[griffe.Object]:
        found = [obj]
        for member in obj.members.values():
            if isinstance(member, griffe.Alias):
                continue
            if member.is_module or member.is_class:
                found.extend(self._objects(member))
            else:
                found.append(member)
        return found


def _markdown(text: str, *, link: Any) -> str:
    """``text`` with its reST roles, literal markers and doctest blocks as Markdown."""
    text = _ROLE.sub(link, text)
    text = _LITERAL_MARKER.sub(":", text)
    text = _DOCTEST_DIRECTIVE.sub("", text)
    return _DOCTEST_BLOCK.sub(_fenced, text)


def _fenced(match: re.Match[str]) -> str:
    return f"```pycon\n{match[0].rstrip()}\n```\n"


def _link(
    match: re.Match[str],
    *,
    context: str,
    anchors: set[str],
    by_canonical: dict[str, str],
    by_short: dict[str, str],
) -> str:
    """The Markdown for one role: a cross-reference when the target is documented."""
    target = match["target"]
    shorten = target.startswith("~")
    name = target.lstrip("~.").removesuffix("()")
    label = name.rsplit(".", 1)[-1] if shorten else name
    candidates = [name, by_canonical.get(name, ""), by_short.get(name, "")]
    if context:
        candidates.append(f"{context}.{name}")
    for candidate in candidates:
        if candidate in anchors:
            return f"[`{label}`][{candidate}]"
    return f"`{label}`"
