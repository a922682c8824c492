"""Windows command output: ``netstat`` (``-a``, ``-n``, ``-o``, ``-b``, ``-q``, ``-r``,
``-e``, ``-s``) and ``route print``, from any Windows version and in any language.

Pure functions: text (or bytes) in, records out. They run on any OS, so a capture pasted
into a ticket is as useful as a live host::

    from netstatlib.parsers import windows

    rows = windows.parse_connections(open("netstat-ano.txt", "rb").read())

Every parser takes ``str`` or ``bytes``; bytes are decoded by :func:`decode` (UTF-16
with a byte order mark as PowerShell's ``>`` writes it, UTF-8, or the console's OEM code
page; ``encoding=`` overrides), CRLF and LF alike. Malformed text raises
:class:`~netstatlib.ParseError` with the line number and line. ``docs/windows.md`` gives
the rules.
"""

from ._win_connections import ELEVATION_MESSAGES, is_elevation_refusal, parse_connections
from ._win_routes import WindowsInterface, parse_interface_list, parse_routes
from ._win_services import service_port
from ._win_stats import parse_interface_stats, parse_protocol_stats
from ._wintext import OEM_CODE_PAGES, decode

__all__ = [
    "ELEVATION_MESSAGES",
    "OEM_CODE_PAGES",
    "WindowsInterface",
    "decode",
    "is_elevation_refusal",
    "parse_connections",
    "parse_interface_list",
    "parse_interface_stats",
    "parse_protocol_stats",
    "parse_routes",
    "service_port",
]
