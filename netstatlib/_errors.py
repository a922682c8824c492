"""The exceptions netstatlib raises.

Every error the library raises on purpose derives from :class:`NetstatError`, and each
one also derives from the built-in exception a caller would naturally catch, so plain
``except ValueError`` or ``except PermissionError`` clauses keep working::

    NetstatError
     ├── ParseError(ValueError)           the input text is not what the format says
     ├── UsageError(ValueError)           the caller asked for something invalid
     │    └── FilterError                 ...in a filter: unknown field, bad value, syntax
     ├── UnsupportedError(NotImplementedError)   the backend cannot answer this query
     ├── AccessDeniedError(PermissionError)      the source exists but cannot be read
     ├── SourceNotFoundError(FileNotFoundError)  a required source does not exist
     └── CommandError                  a command a backend ran failed (netstat.exe)
          └── CommandTimeoutError(TimeoutError)  ...or did not finish in time

``ParseError`` is about the *data* (a capture, a ``/proc`` file); ``UsageError`` is about
the *call* (an unknown ``kind``, an unknown state name). Keeping them apart lets a
monitoring agent alert on the first and fix its code for the second.

A message often quotes its input (a line of a file, a path, a name), which another user
or another machine wrote. ``str()`` of every error, and so a traceback or a log line,
shows it through :func:`~netstatlib._escape.safe_text`: a control character, an escape
sequence or a bidirectional override in the input is written escaped (``\\x1b``), never
sent to the terminal, and a message is always one line. The attributes (``line``,
``path``, ``output``) keep the input exactly.
"""

from __future__ import annotations

from ._escape import safe_text

__all__ = [
    "AccessDeniedError",
    "CommandError",
    "CommandTimeoutError",
    "FilterError",
    "NetstatError",
    "ParseError",
    "SourceNotFoundError",
    "UnsupportedError",
    "UsageError",
]


_QUOTED_LINE_LIMIT = 200


class NetstatError(Exception):
    """Root of every exception netstatlib raises on purpose.

    Its ``str()`` is the message with every character that is not printable escaped
    (``\\x1b``, ``\\n``, ``\\u202e``, ``\\udcff``), whatever input the message quotes.
    """

    def __str__(self) -> str:
        return safe_text(super().__str__())


class ParseError(NetstatError, ValueError):
    """Input text does not follow the format it claims to be in.

    ``source`` names where the text came from (a path, or a description such as
    ``"<string>"``), ``line_number`` is 1-based (``None`` when the problem is not tied to
    one line) and ``line`` is the offending line as read. The message quotes at most
    the line's first 200 characters and says how many more there are; ``line`` keeps
    it whole.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line_number: int | None = None,
        line: str | None = None,
    ) -> None:
        self.message = message
        """What is wrong, without the place and the quoted line that ``str()`` adds."""
        self.source = source
        """Where the text came from: a path (``/proc/net/tcp``, a file of a capture) or a
        label such as ``"<string>"``; ``None`` when the caller gave none."""
        self.line_number = line_number
        """The 1-based number of the offending line; ``None`` when the problem is not
        tied to one line (a missing header, a file that ends too early)."""
        self.line = line
        """The offending line exactly as read, however long and whatever characters it
        holds; ``None`` when there is no single line to quote."""
        where = source or "<input>"
        if line_number is not None:
            where = f"{where}, line {line_number}"
        text = f"{where}: {message}"
        if line is not None:
            if len(line) > _QUOTED_LINE_LIMIT:  # a line of megabytes makes no message
                cut = len(line) - _QUOTED_LINE_LIMIT
                text = f"{text}: {line[:_QUOTED_LINE_LIMIT]!r}... ({cut} more characters)"
            else:
                text = f"{text}: {line!r}"
        super().__init__(text)


class UsageError(NetstatError, ValueError):
    """The caller asked for something that cannot mean anything (a bad kind, state, filter)."""


class FilterError(UsageError):
    """A filter cannot mean anything: an unknown field, a value the field cannot take, a
    field the queried records do not have, or a syntax error in a filter string (then
    ``position`` is the 0-based offset in the string and ``expected`` what would fit)."""

    def __init__(
        self, message: str, *, position: int | None = None, expected: str | None = None
    ) -> None:
        super().__init__(message)
        self.position = position
        """For a syntax error in a filter string, the 0-based offset in the string where
        it was found; ``None`` for other filter errors."""
        self.expected = expected
        """For a syntax error in a filter string, what would have fit at
        :attr:`position` (``"a port number (0 to 65535) or a service name"``); ``None``
        for other filter errors."""


class UnsupportedError(NetstatError, NotImplementedError):
    """The selected backend cannot answer this query; the message says what would."""


class AccessDeniedError(NetstatError, PermissionError):
    """A source exists but the current user may not read it."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        """The file, folder or program that may not be read or run; ``None`` when the
        refusal names none (Windows' "requires elevation")."""


class SourceNotFoundError(NetstatError, FileNotFoundError):
    """A source the query needs (a ``/proc`` file, a folder) does not exist."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        """The file, folder or program that does not exist (``/proc/4242/net/tcp`` of
        an exited process, a missing ``netstat.exe``)."""


class CommandError(NetstatError):
    """A command a backend ran (``netstat.exe``) failed.

    ``command`` is the argument list, ``returncode`` its exit status (``None`` if it did
    not exit) and ``output`` what it printed, decoded as well as it could be.
    """

    def __init__(
        self,
        message: str,
        *,
        command: tuple[str, ...] = (),
        returncode: int | None = None,
        output: str | None = None,
    ) -> None:
        super().__init__(message)
        self.command = command
        """The command's argument list as run (``("netstat.exe", "-ano")``)."""
        self.returncode = returncode
        """The command's exit status; ``None`` if it did not exit (it could not be
        started, or was killed at its timeout)."""
        self.output = output
        """What the command printed, decoded as the backend decodes its output
        (:func:`netstatlib.parsers.windows.decode`); ``None`` if it printed nothing or
        never ran."""


class CommandTimeoutError(CommandError, TimeoutError):
    """A command a backend ran did not finish within the backend's timeout (and was
    killed)."""
