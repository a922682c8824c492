"""Contract tests: every query returns a Table of its record type, and every value in every
record has the type its field is annotated with (None only where the annotation allows it).

Run on this host and, when root, inside the socket zoo of the live tests, so that every
kind of row is seen at least once.
"""

from __future__ import annotations

import socket

import netaddr
import pytest
from record_contracts import QUERIES, check_record

from netstatlib import Connection, Endpoint, Protocol, Table, TcpState


@pytest.mark.parametrize("name", list(QUERIES))
def test_queries_on_this_host_return_typed_records(name: str) -> None:
    query, record_type = QUERIES[name]
    table = query(None)
    assert isinstance(table, Table)
    for record in table:
        assert type(record) is record_type
        check_record(record)


@pytest.mark.parametrize(
    "change",
    [
        {"uid": "0"},  # a string where an int is promised
        {"pids": [1, 2]},  # a list where a tuple is promised
        {"pids": ("1",)},  # tuple items of the wrong type
        {"process": ""},  # a placeholder instead of None
        {"state": "LISTEN"},  # a word instead of the enum
    ],
)
def test_the_contract_check_catches_wrong_types(change: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "protocol": Protocol.TCP,
        "family": socket.AF_INET,
        "local": Endpoint(address=netaddr.IPAddress("127.0.0.1"), port=22),
        "remote": None,
        "state": TcpState.LISTEN,
    }
    check_record(Connection(**fields))  # type: ignore[arg-type]
    with pytest.raises(AssertionError):
        check_record(Connection(**{**fields, **change}))  # type: ignore[arg-type]
