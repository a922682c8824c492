"""Text handling shared by the Windows parsers: decoding, lines, numbers.

Windows command output reaches a parser in many shapes: the console's OEM code page
(``cp437``, ``cp850``, ``cp866``, ``cp936``/GBK, ...) when ``netstat`` writes to a pipe,
UTF-16LE with a byte order mark when PowerShell redirects it (``netstat -ano > f``), UTF-8
when another program transcoded it, CRLF or LF line ends. :func:`decode` turns any of
those into ``str``; :func:`lines` splits it.
"""

from __future__ import annotations

import codecs
import unicodedata

from .._errors import ParseError, UsageError

__all__ = ["OEM_CODE_PAGES", "decode", "lines", "number"]

# The OEM code pages a Windows console uses, most common first (GetOEMCP(): 437 United
# States, 850 Western Europe, 852 Central Europe, 866 Cyrillic, 857 Turkish, 936
# Simplified Chinese (GBK), 950 Traditional Chinese (Big5), 932 Japanese, 949 Korean).
# Without an encoding= argument, undecodable-as-UTF-8 bytes are tried in each and the
# most plausible text wins (see _plausibility()).
OEM_CODE_PAGES: tuple[str, ...] = (
    "cp437",
    "cp850",
    "cp852",
    "cp866",
    "cp857",
    "gbk",
    "big5",
    "cp932",
    "cp949",
)
"""The OEM code pages a Windows console writes in, most common first: ``cp437`` (United
States), ``cp850`` (Western Europe), ``cp852`` (Central Europe), ``cp866`` (Cyrillic),
``cp857`` (Turkish), ``gbk`` (936, Simplified Chinese), ``big5`` (950, Traditional
Chinese), ``cp932`` (Japanese), ``cp949`` (Korean). Bytes that are neither UTF-16 nor
UTF-8 and come without an ``encoding=`` are decoded in the one of these under which
they read most like words."""


def _looks_utf16(data: bytes) -> str | None:
    """``utf-16-le``/``utf-be`` for BOM-less UTF-16 text (one NUL in every ASCII pair)."""
    sample = data[:400]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) // 2
    if odd >= half * 0.6 and even == 0:
        return "utf-16-le"
    if even >= half * 0.6 and odd == 0:
        return "utf-16-be"
    return None


def _script(char: str) -> str:
    """A coarse script name for a non-ASCII letter: LATIN, CYRILLIC, CJK, HANGUL, ..."""
    name = unicodedata.name(char, "")
    word = name.split(" ", 1)[0]
    if word in ("HIRAGANA", "KATAKANA", "CJK", "HALFWIDTH", "FULLWIDTH", "IDEOGRAPHIC"):
        return "CJK"
    return word


def _plausibility(text: str) -> int:
    """How much ``text`` looks like words of one language rather than mojibake.

    Decoding with the wrong code page turns letters into box-drawing characters and
    symbols (GBK ``活动连接`` read as cp850 is ``╗ε╢»┴¼╜╙``) or glues letters of two
    scripts into one word (cp850 ``État`` read as GBK is ``怲at``). Each word made only of
    letters of one script scores its non-ASCII letters; any other word containing
    non-ASCII characters costs twice their number.
    """
    score = 0
    for word in text.split():
        foreign = [char for char in word if ord(char) > 127]
        if not foreign:
            continue
        scripts = {_script(char) for char in foreign if char.isalpha()}
        letters_only = all(char.isalpha() or char in "\u2019'" for char in foreign)
        ascii_letters = any(char.isascii() and char.isalpha() for char in word)
        mixed = len(scripts) > 1 or (ascii_letters and scripts - {"LATIN", "CYRILLIC"})
        if letters_only and not mixed:
            score += len(foreign)
        else:
            score -= 2 * len(foreign)
    return score


def _guess_code_page(data: bytes) -> str:
    best, best_score = OEM_CODE_PAGES[0], None
    for encoding in OEM_CODE_PAGES:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text)
        if best_score is None or score > best_score:
            best, best_score = encoding, score
    return best


def decode(
    data: str | bytes,
    encoding: str | None = None,
    *,
    source: str = "<string>",
    code_page: str | None = None,
) -> str:
    """The text of a Windows command's output, given as ``str`` or ``bytes``.

    For ``bytes``: ``encoding`` if given; else the byte order mark (UTF-16LE/BE, UTF-8);
    else UTF-16 recognised by its NUL bytes; else UTF-8 if the bytes are valid UTF-8;
    else ``code_page`` (the console's OEM code page, when the caller knows it: the
    Windows backend does) or, not knowing it, the code page in :data:`OEM_CODE_PAGES`
    under which the text reads most like words (see ``docs/windows.md``). A ``str`` is
    returned as it is, without a leading BOM. Undecodable bytes under an explicit ``encoding`` raise
    :class:`~netstatlib.ParseError`; an unknown encoding name raises
    :class:`~netstatlib.UsageError`.
    """
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise UsageError(f"expected str or bytes, not {type(data).__name__}")
    data = bytes(data)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(f"unknown encoding {encoding!r}") from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"not valid {encoding}: {exc.reason}", source=source) from exc
        return text[1:] if text.startswith("\ufeff") else text
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(name)
            except UnicodeDecodeError as exc:
                raise ParseError(
                    f"starts with a {name} byte order mark but is not {name}: {exc.reason}",
                    source=source,
                ) from exc
    utf16 = _looks_utf16(data)
    if utf16 is not None:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if code_page is not None:
        try:
            return data.decode(code_page)
        except (UnicodeDecodeError, LookupError):
            pass
    return data.decode(_guess_code_page(data))


def lines(text: str) -> list[str]:
    """Split on LF, CRLF or a lone CR, keeping every other character of each line.

    ``str.splitlines`` would also split on form feeds, ``\\x1c``-``\\x1e`` and U+2028,
    which can sit inside a program or host name; only line ends split here.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def number(text: str) -> int:
    """A decimal number of ASCII digits (``int()`` also takes ``+1``, ``1_0``, non-ASCII)."""
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"expected a number, got {text!r}")
    return int(text)
