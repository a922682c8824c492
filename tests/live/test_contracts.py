"""Contract tests on the socket zoo: every kind of row has values of its annotated types."""

from __future__ import annotations

import pytest
from record_contracts import QUERIES, check_record

import netstatlib

from . import netns

pytestmark = pytest.mark.live


@pytest.mark.parametrize("name", list(QUERIES))
def test_queries_on_the_socket_zoo_return_typed_records(name: str, zoo: netns.Zoo) -> None:
    query, record_type = QUERIES[name]
    table = query(netstatlib.backends.LinuxProcfs(pid=zoo.pid))
    assert len(table) > 0
    for record in table:
        assert type(record) is record_type
        check_record(record)
