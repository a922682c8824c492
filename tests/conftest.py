"""Helpers shared by the tests: records built in one line.

``from conftest import conn, ep`` in a test module of this folder (pytest puts it on the
import path). The live tests (``tests/live/``) have fixtures of their own in
``tests/live/conftest.py``.
"""

from __future__ import annotations

import os
import socket
from typing import Any, NoReturn

import netaddr
import pytest

from netstatlib import Connection, Endpoint, Protocol, TcpState
from netstatlib.backends import ENVIRONMENT_VARIABLE

_UNSET: Any = object()

LIVE_REQUIRED = "NETSTATLIB_LIVE_REQUIRED"

WINDOWS_CAPTURES = "NETSTATLIB_WINDOWS_CAPTURES"
NO_WINDOWS_CAPTURES = (
    "The real Windows captures are not tested: set NETSTATLIB_WINDOWS_CAPTURES to their "
    "folder (.ci/run uses ../shared/fixtures/windows)."
)
"""Why a test of the real Windows captures (third-party data kept outside the project)
is skipped."""


def windows_captures_folder() -> str | None:
    """The folder ``NETSTATLIB_WINDOWS_CAPTURES`` names, or None."""
    return os.environ.get(WINDOWS_CAPTURES) or None


def parameters_or_skip(values: list[Any], reason: str) -> list[Any]:
    """``values`` to parametrize a test with, or, when there are none, one parameter
    skipped for ``reason``: pytest's own reason ("got empty parameter set") says nothing
    of why."""
    if values:
        return values
    return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="none")]


def skip_live(reason: str) -> NoReturn:
    """Skip a test that needs root, namespaces or iproute2 this machine lacks; fail it
    instead where ``NETSTATLIB_LIVE_REQUIRED`` is set (CI), so that a machine which
    cannot run the live tests never passes by skipping them."""
    if os.environ.get(LIVE_REQUIRED):
        pytest.fail(f"{reason} ({LIVE_REQUIRED} is set)")
    pytest.skip(reason)


def ep(address: str, port: int, zone: str | None = None) -> Endpoint:
    """``ep("10.0.0.5", 22)``: an endpoint from an address's text."""
    return Endpoint(address=netaddr.IPAddress(address), port=port, zone=zone)


def conn(
    local: Endpoint | None = _UNSET,
    remote: Endpoint | None = None,
    *,
    protocol: Protocol = Protocol.TCP,
    family: socket.AddressFamily | None = _UNSET,
    state: TcpState | None = _UNSET,
    **fields: Any,
) -> Connection:
    """A socket record with what a test does not care about filled in plausibly.

    ``local`` defaults to ``127.0.0.1:80``; ``family`` follows the local (else the
    remote) address; ``state`` is ``ESTABLISHED`` with a peer, else ``LISTEN`` for TCP
    and UNIX and ``None`` (unconnected) for the datagram protocols. Any other field of
    :class:`~netstatlib.Connection` is passed through.
    """
    if local is _UNSET:
        local = ep("127.0.0.1", 80)
    if family is _UNSET:
        address = (local or remote).address if (local or remote) is not None else None
        family = {4: socket.AF_INET, 6: socket.AF_INET6}.get(address.version) if address else None
    if state is _UNSET:
        if remote is not None:
            state = TcpState.ESTABLISHED
        elif protocol in (Protocol.TCP, Protocol.UNIX):
            state = TcpState.LISTEN
        else:
            state = None
    return Connection(
        protocol=protocol, family=family, local=local, remote=remote, state=state, **fields
    )


@pytest.fixture(autouse=True)
def _no_backend_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queries in tests use this machine's default backend unless a test says otherwise,
    whatever ``NETSTATLIB_BACKEND`` the environment running the tests sets."""
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
