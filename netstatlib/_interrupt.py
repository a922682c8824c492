"""Ctrl-C in the ``netstatlib`` command: a quiet exit with status 130, never a traceback.

Python turns SIGINT into ``KeyboardInterrupt`` wherever the program happens to be; left
uncaught, it prints a traceback. The command's :func:`~netstatlib.cli.main` catches it,
but Ctrl-C can come before ``main()`` runs: while ``import netstatlib`` loads the
package (a quarter of a second on a cold start), and between that and the call. So the
package, when this process was started as the command, installs at the top of its
``__init__`` a SIGINT handler that ends the process with status 130 (128 + SIGINT, what
a shell reports for a command stopped by Ctrl-C); nothing has been written yet then.
``main()`` takes over from it (:func:`command_started`): from then on the first SIGINT
raises ``KeyboardInterrupt`` (a capture removes its staging folder on the way out) and
the ones after it are ignored, so that pressing Ctrl-C again cannot interrupt that
cleanup half-way.

A program that merely imports netstatlib is left alone: no handler is installed unless
``sys.argv`` says that this process is ``python -m netstatlib`` or the ``netstatlib``
script. This module imports nothing from netstatlib.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

__all__ = ["INTERRUPTED", "command_started", "guard_command_start"]

INTERRUPTED = 130
"""The exit status of a command stopped by Ctrl-C (128 + SIGINT, as shells report it)."""

_COMMAND = "netstatlib"


def _quiet_exit(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise SystemExit(INTERRUPTED)


def _interrupt_once(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _module_run() -> str | None:
    """The module ``python [options] -m MODULE`` runs, while Python looks for it (it
    imports the package first, with ``sys.argv[0]`` set to ``"-m"``)."""
    if sys.argv[:1] != ["-m"]:
        return None
    words = sys.orig_argv
    for index, word in enumerate(words[1:], start=1):
        if word == "-m":
            return words[index + 1] if index + 1 < len(words) else None
        if word.startswith("-m"):
            return word[2:]
    return None


def _starting_as_command() -> bool:
    if _module_run() in (_COMMAND, f"{_COMMAND}.__main__"):
        return True
    # The console script (pip writes bin/netstatlib; netstatlib.exe or
    # netstatlib-script.py on Windows) imports the package with its own path in argv[0].
    script = os.path.basename(sys.argv[0]) if sys.argv else ""
    for suffix in (".exe", "-script.py", "-script.pyw"):
        script = script.removesuffix(suffix)
    return script == _COMMAND


def guard_command_start() -> None:
    """When this process runs the ``netstatlib`` command, end it quietly with status 130
    on Ctrl-C until :func:`command_started` is called; otherwise do nothing."""
    try:
        if _starting_as_command() and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _quiet_exit)
    except ValueError:  # signal.signal() outside the main thread: not the command starting
        pass


def command_started() -> None:
    """The command's ``main()`` runs: if :func:`guard_command_start` guarded its start,
    the first Ctrl-C now raises ``KeyboardInterrupt`` for ``main()`` to handle and later
    ones are ignored. A ``main()`` called from a program or a test changes nothing."""
    try:
        if signal.getsignal(signal.SIGINT) is _quiet_exit:
            signal.signal(signal.SIGINT, _interrupt_once)
    except ValueError:
        pass
