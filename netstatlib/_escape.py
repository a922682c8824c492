"""The one escaping of text netstatlib shows to people: tables, the command, error messages.

Process names, UNIX socket paths, interface names, counter names of a capture, host
names from DNS and the lines a parser quotes come from other users or other machines.
Written to a terminal as they are, an escape sequence in one of them could retitle,
clear or rewrite the screen, a carriage return could hide what came before it, a
newline could fake a row or a log line, and a bidirectional override could show
``txt.exe`` for ``exe.txt``. :func:`safe_text` shows each such character as Python
writes it in a string literal instead, so what is printed is always one line of
visible characters. This module imports nothing, so that the errors can use it too.
"""

from __future__ import annotations

__all__ = ["safe_text"]


def safe_text(text: str) -> str:
    """``text`` with every character that is not printable written as its escape.

    Not printable (``str.isprintable``) are the control characters (C0, DEL, C1: ``\\x1b``,
    ``\\r``, ``\\x07``, ``\\x00``, ``\\x9b``), the line and paragraph separators, the
    format characters (bidirectional overrides and isolates ``\\u202e``, zero-width
    joiners), unassigned and private-use code points, and the surrogate escapes that
    stand for bytes that are not UTF-8 (``\\udcff``); each is written as ``repr`` writes
    it. Every other character, of any script, is kept: ``vx-é`` stays ``vx-é``.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
