"""``--json``: the records of one query as one JSON array, ``Table.to_dicts(plain=True)``;
with an interval, each display as an object that also carries its time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .._table import Table

__all__ = ["json_text"]


def json_text(records: Sequence[Any], *, time: str | None = None) -> str:
    """The records as a JSON array, one record per line; ``[]`` when there are none.
    With ``time`` (an interval's display), ``{"time": TIME, "records": ARRAY}``."""
    # One record per line in one array: valid JSON for `jq` and `json.load`, and lines
    # for grep and diff. ensure_ascii (the default) keeps the output ASCII: control
    # characters and escape sequences are escaped (\u001b), and a name that is not valid
    # UTF-8 (kept by netstatlib as surrogate escapes, "\udcff") can still be written and
    # read back exactly, where ensure_ascii=False would fail to encode it.
    dicts = Table(records).to_dicts(plain=True)
    array = "[\n" + ",\n".join(json.dumps(item) for item in dicts) + "\n]" if dicts else "[]"
    if time is None:
        return array
    return f'{{"time": {json.dumps(time)}, "records": {array}}}'
