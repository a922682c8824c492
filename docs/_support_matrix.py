"""mkdocs hook: fill ``docs/support.md`` from the backends' own declarations.

The page holds the marker ``<!-- support-matrix -->``; at build time it is replaced by
tables generated from :func:`netstatlib.backends.available`, so the matrix cannot drift
from what the backends declare (``tests/test_backend_selection.py`` checks the output).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import attrs

# Document the checked-out code, not whatever netstatlib is installed (as mkdocstrings'
# `paths: [.]` does for the API reference).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netstatlib.backends import HINTS, QUERIES, available
from netstatlib.backends._capabilities import RECORD_TYPES

MARKER = "<!-- support-matrix -->"

_TITLES = {
    "connections": "`connections()` / `listening()`",
    "routes": "`routes()`",
    "interface_stats": "`interface_stats()`",
    "protocol_stats": "`protocol_stats()`",
}


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render() -> str:
    """The support matrix as Markdown: queries and socket tables, the hints of a socket
    query each backend uses, then one table of fields per query."""
    backends = available()
    header = ["", *(f"`{info.name}`" for info in backends)]
    rule = ["---"] * len(header)
    lines = ["## Queries", "", _row(header), _row(rule)]
    for query in QUERIES:
        cells = ["yes" if info.capabilities.supports(query) else "-" for info in backends]
        lines.append(_row([_TITLES[query], *cells]))
    lines.append(
        _row(["owning processes", *("yes" if i.capabilities.processes else "-" for i in backends)])
    )
    tables = sorted(
        {table for info in backends for table in info.capabilities.tables},
        key=lambda t: (t[0].value, t[1].value),
    )
    for protocol, family in tables:
        label = f"{protocol.value} sockets, {family.name}"
        cells = ["yes" if (protocol, family) in i.capabilities.tables else "-" for i in backends]
        lines.append(_row([label, *cells]))
    lines += ["", "## Socket query hints", ""]
    lines.append(
        "What each backend does with a socket query besides answering it (see "
        "[Writing a backend](writing-a-backend.md#what-a-socket-query-offers)). Every "
        "backend gives the same rows; the query functions apply the whole query to what "
        "comes back."
    )
    lines += ["", _row(header), _row(rule)]
    for hint, meaning in HINTS.items():
        cells = ["yes" if hint in i.capabilities.hints else "-" for i in backends]
        lines.append(_row([f"`{hint}`: {meaning}", *cells]))
    lines += ["", "## Fields", ""]
    lines.append(
        "A field marked `-` is always `None` from that backend; `yes` means the backend "
        "fills it where it applies (a listener still has no peer)."
    )
    for query in QUERIES:
        record = RECORD_TYPES[query]
        lines += ["", f"### {record.__name__} ({_TITLES[query]})", "", _row(header), _row(rule)]
        for field in attrs.fields(record):
            cells = ["yes" if i.capabilities.supports(query, field.name) else "-" for i in backends]
            lines.append(_row([f"`{field.name}`", *cells]))
    lines += ["", "## Notes", ""]
    lines += [f"- **`{info.name}`**: {info.capabilities.notes}" for info in backends]
    return "\n".join(lines) + "\n"


def on_page_markdown(markdown: str, **_: Any) -> str:
    """mkdocs hook: replace the marker with the generated tables."""
    if MARKER in markdown:
        return markdown.replace(MARKER, render())
    return markdown
