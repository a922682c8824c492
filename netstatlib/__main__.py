"""``python -m netstatlib`` and the ``netstatlib`` command: netstat's flags and output
(``netstatlib -ano``, ``-rn``, ``-es``), and ``netstatlib capture DIR``.

The command line lives in the :mod:`netstatlib.cli` package; ``docs/cli.md`` describes it.
"""

from __future__ import annotations

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
