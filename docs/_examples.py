"""mkdocs hook: publish ``examples/explore.ipynb`` with the site.

The notebook lives in ``examples/`` beside the other example programs, outside the docs
folder; this adds it to the site's files as ``examples/explore.ipynb``, so that a page
links to it (``[explore.ipynb](examples/explore.ipynb)``), the link is checked like any
other (``--strict``), and the site offers it for download. It is not rendered: the page
that links it shows what it does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = ("examples/explore.ipynb",)


def on_files(files: Files, *, config: Any) -> Files:
    for path in PUBLISHED:
        files.append(File.generated(config, path, abs_src_path=str(ROOT / path)))
    return files
