"""The values filters compare with, read one way everywhere: ports and address families.

A port is read by one grammar whether it comes from a predicate (``F.local_port ==
"https"``), from an ss filter (``sport = :https``, ``dport = 0x1bb``) or from anywhere
else a filter takes one: a number from 0 to 65535, or a service name of the local
services database. A service name whose TCP and UDP ports differ is refused rather than
guessed (ss refuses it too). The only difference between the two languages is how a
number is written: ss reads C notation (``0x16``, ``026`` is octal), Python code plain
decimal digits.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["FAMILY_ALIASES", "c_number", "port_number"]

# The spellings of an address family accepted wherever one is asked for: routes(family=),
# F.family == ..., the query layer.
FAMILY_ALIASES: Mapping[object, socket.AddressFamily] = MappingProxyType(
    {
        socket.AF_INET: socket.AF_INET,
        socket.AF_INET6: socket.AF_INET6,
        socket.AF_UNIX: socket.AF_UNIX,
        4: socket.AF_INET,
        6: socket.AF_INET6,
        "inet": socket.AF_INET,
        "inet4": socket.AF_INET,
        "ipv4": socket.AF_INET,
        "inet6": socket.AF_INET6,
        "ipv6": socket.AF_INET6,
        "unix": socket.AF_UNIX,
    }
)

_PORT_MAX = 0xFFFF
_C_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")


def c_number(text: str) -> int | None:
    """An unsigned number as C's ``strtoul(text, NULL, 0)`` reads a whole word (hex with
    ``0x``, octal with a leading ``0``), or None."""
    if not _C_NUMBER.fullmatch(text):
        return None
    return int(text, 0) if text[:2].lower() == "0x" else int(text, 8 if text[0] == "0" else 10)


def port_number(value: object, *, c_notation: bool = False) -> int:
    """A port from an ``int``, a number written as text, or a service name.

    ``c_notation`` reads numbers as ss does (``0x16`` and ``026`` are 22); otherwise
    only ASCII decimal digits are a number. Anything else is looked up as a service name
    for TCP and for UDP. Raises :class:`TypeError` for a value that is neither an int
    nor a string (``True`` and ``22.5`` included) and :class:`ValueError`, with a
    sentence saying why, for a number out of range or a name that is no known service.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError("a port number or a service name")
    if isinstance(value, int):
        number: int | None = value
    elif c_notation:
        number = c_number(value)
    else:
        number = int(value) if value.isascii() and value.isdigit() else None
    if number is None:
        assert isinstance(value, str)
        return _service_port(value)
    if not 0 <= number <= _PORT_MAX:
        raise ValueError(f"port {value} is out of range: a port is 0 to 65535")
    return number


def _service_port(name: str) -> int:
    found = set()
    for protocol in ("tcp", "udp"):
        try:
            found.add(socket.getservbyname(name, protocol))
        except (OSError, UnicodeError, ValueError):
            continue
    if len(found) > 1:
        raise ValueError(f"service {name!r} names different TCP and UDP ports")
    if not found:
        raise ValueError(f"unknown service name {name!r}: not a port number either")
    return found.pop()
