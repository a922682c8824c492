"""Fixtures for the live tests: a lab of network namespaces per test module, and the
socket zoo running inside it. Every fixture tears down what it built, even on failure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import netns


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest) -> Iterator[netns.Lab]:
    """Namespaces with links, addresses and routes (see ``netns.build_lab``), and a
    holder process inside the main one to read it through ``LinuxProcfs(pid=...)``."""
    tag = request.module.__name__.rpartition(".")[2].removeprefix("test_")[:12]
    with netns.lab(tag) as built:
        yield built


@pytest.fixture(scope="module")
def zoo(lab: netns.Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[netns.Zoo]:
    """The socket zoo (``socket_zoo.py``) running inside the lab's namespace."""
    with netns.socket_zoo(lab, tmp_path_factory.mktemp("zoo")) as running:
        yield running
