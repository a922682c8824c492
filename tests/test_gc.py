"""The collector is paused while a large table is built only when no other thread can
notice (netstatlib._gc.gc_paused): never undoing an application's gc.disable(), never
stopping collection under another thread."""

from __future__ import annotations

import gc
import socket
import threading
from collections.abc import Iterator

import pytest

from netstatlib import Protocol
from netstatlib._gc import gc_paused
from netstatlib.parsers.procfs import parse_inet_sockets

ROWS = 20000


def _proc_net_tcp(rows: int) -> bytes:
    """A /proc/net/tcp text of ``rows`` ESTABLISHED loopback connections."""
    header = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
        "   uid  timeout inode\n"
    )
    lines = [
        f"{n:4}: 0100007F:{1024 + n % 60000:04X} 0100007F:01BB 01 00000000:00000000"
        f" 00:00000000 00000000  1000        0 {100000 + n} 1 0000000000000000 20 4 30 10 -1\n"
        for n in range(rows)
    ]
    return (header + "".join(lines)).encode()


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collector_on")
def test_a_lone_thread_builds_with_the_collector_paused_and_restored() -> None:
    with gc_paused():
        assert threading.active_count() == 1
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_already_off_stays_off() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


@pytest.mark.usefixtures("collector_on")
def test_another_thread_never_finds_collection_stopped() -> None:
    """A thread polls the switch while the main thread parses a large table."""
    seen_off = threading.Event()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if not gc.isenabled():
                seen_off.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        rows = parse_inet_sockets(_proc_net_tcp(ROWS), protocol=Protocol.TCP, family=socket.AF_INET)
    finally:
        stop.set()
        watcher.join()
    assert len(rows) == ROWS
    assert not seen_off.is_set()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_an_application_disable_made_meanwhile_is_kept() -> None:
    """Another thread switches the collector off while a table is built: it stays off."""
    started = threading.Event()
    done = threading.Event()

    def application() -> None:
        started.wait()
        gc.disable()
        done.set()

    thread = threading.Thread(target=application)
    thread.start()
    try:
        with gc_paused():
            started.set()
            done.wait(timeout=30)
        assert not gc.isenabled()
    finally:
        thread.join()
        gc.enable()
