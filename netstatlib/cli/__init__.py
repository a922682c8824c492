"""The ``netstatlib`` command: Windows ``netstat``'s flags, its output, and more for scripts.

``netstatlib -ano``, ``netstatlib -anp tcp 5``, ``netstatlib -rn``, ``netstatlib -es``
print what Windows' ``netstat`` prints, from netstatlib's records, on any OS the library
reads; Linux habits are long options beside them (``--tcp``, ``--listening``,
``--program``, ``--extend``), and ``--json``, ``--filter`` (the ``ss`` language),
``--backend`` and ``--root`` (a capture folder) serve scripts. ``netstatlib capture DIR``
saves what the backend reads into a folder (``docs/captures.md``). ``docs/cli.md`` maps
each flag to its output and to the library call that gives the same data.

The package, in the order a command line flows through it:

* ``_grammar``: the hand-written grammar (option tables, unique prefixes of long
  options, messages that say what was meant), :func:`parse_args` giving
  :class:`Options`, :class:`CommandLineError`, and the help text;
* ``_capture``: the ``capture`` subcommand, read with the same grammar;
* ``_render``: :func:`render`, one display read now from the backend, handing each kind
  of record to its renderer: ``_sockets``, ``_routes``, ``_interfaces``,
  ``_statistics``, ``_json``;
* ``_main``: :func:`main`, the loop of displays, the source, and exit statuses.

Tables are laid out by :mod:`netstatlib._text`, the engine ``print(table)`` uses too,
and every text that comes from the system (process names, UNIX paths, interface and host
names) goes through its ``safe_text`` before it reaches the terminal. Nothing in
netstatlib imports this package but ``netstatlib.__main__``.
"""

from __future__ import annotations

from ._grammar import CommandLineError, Options, parse_args
from ._main import main
from ._render import render

__all__ = ["CommandLineError", "Options", "main", "parse_args", "render"]
