"""Filters: predicate values, the filter language of ``ss``, and query planning.

* The predicate values and :data:`F` (``F.state == "LISTEN"``, ``F.remote_address.within
  ("10.0.0.0/8")``), combined with ``&``, ``|`` and ``~``;
* :func:`compile_filter` and :func:`to_ss_filter`: the language of ``ss`` read into those
  values and printed back;
* planning: which socket tables and states a filter can match, its process-free part,
  and its port and address conditions as a kernel filter takes them
  (:func:`socket_conditions`). :class:`~netstatlib.backends.SocketQuery` carries the
  plan to a backend.

The first two are also importable from :mod:`netstatlib` itself. Each part imports only
the predicate values: the ss language and the planner know nothing of each other, of
backends or of records' sources.
"""

import typing as _typing

from ._predicates import F, Field, Predicate
from ._ssfilter import compile_filter, to_ss_filter

if _typing.TYPE_CHECKING:
    from ._plan import (
        AllOf,
        AnyOf,
        Condition,
        Negated,
        PortCondition,
        PrefixCondition,
        possible_states,
        possible_tables,
        process_free_part,
        socket_conditions,
    )

__all__ = [
    "AllOf",
    "AnyOf",
    "Condition",
    "F",
    "Field",
    "Negated",
    "PortCondition",
    "Predicate",
    "PrefixCondition",
    "compile_filter",
    "possible_states",
    "possible_tables",
    "process_free_part",
    "socket_conditions",
    "to_ss_filter",
]

_PLANNING = frozenset(
    {
        "AllOf",
        "AnyOf",
        "Condition",
        "Negated",
        "PortCondition",
        "PrefixCondition",
        "possible_states",
        "possible_tables",
        "process_free_part",
        "socket_conditions",
    }
)


def __getattr__(name: str) -> object:
    # The planner loads with the first query that has a filter to plan: a program that
    # never filters does not pay for its classes at `import netstatlib`.
    if name not in _PLANNING:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import _plan

    value: object = getattr(_plan, name)
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
