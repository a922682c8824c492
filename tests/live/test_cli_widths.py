"""``netstatlib -anob`` on a live host as people run it: 80 columns, program names cut
with an ellipsis where they do not fit, never an address or a PID.

A namespace of its own holds sockets between the longest IPv4 endpoints a LAN has
(``192.168.100.200:54321``), a long IPv6 address, and processes whose names are as long
as the kernel allows (15 bytes of ``comm``), one of them in wide characters. The
command's output is checked against its own ``-ano`` rows and the processes' names.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from netstatlib._text import TARGET_WIDTH, display_width

from . import netns

pytestmark = pytest.mark.live

REPOSITORY = Path(__file__).resolve().parents[2]
NEAR, FAR = "192.168.100.200", "192.168.200.201"
LONG_V6 = "fd00:1234:5678:9abc:def0:1234:5678:9abc"
NAMES = ("systemd-resolve", "NetworkManager", "\u540d\u524d\u540d\u524d-x")

# Runs inside the namespace: names itself (argv[1], hex), opens its sockets, prints
# "{}" and waits to be killed. argv[2] says which sockets.
HOLDER = """
import socket, sys, time
with open("/proc/self/comm", "wb") as handle:
    handle.write(bytes.fromhex(sys.argv[1]))
kept = []
def pair(family, server, client):
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.bind((server, 0))
    listener.listen(4)
    dialer = socket.socket(family, socket.SOCK_STREAM)
    dialer.bind((client, 0))
    dialer.connect(listener.getsockname()[:2])
    kept.extend([listener, dialer, listener.accept()[0]])
if sys.argv[2] == "v4":
    pair(socket.AF_INET, sys.argv[3], sys.argv[4])
elif sys.argv[2] == "v6":
    pair(socket.AF_INET6, sys.argv[3], sys.argv[3])
else:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    kept.append(udp)
print("{}", flush=True)
time.sleep(600)
"""


@pytest.fixture(scope="module")
def busy() -> Iterator[netns.Namespace]:
    with netns.namespace("widths") as ns:
        ns.ip("addr", "add", f"{NEAR}/32", "dev", "lo")
        ns.ip("addr", "add", f"{FAR}/32", "dev", "lo")
        ns.ip("addr", "add", f"{LONG_V6}/128", "dev", "lo", "nodad")
        holders = [
            (NAMES[0], ["v4", NEAR, FAR]),
            (NAMES[1], ["v6", LONG_V6]),
            (NAMES[2], ["udp"]),
        ]
        with contextlib.ExitStack() as stack:
            for name, args in holders:
                process = stack.enter_context(
                    netns.spawned(
                        ns.exec_args(sys.executable, "-c", HOLDER, name.encode().hex(), *args),
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                    )
                )
                netns.read_json_line(process)
            yield ns


def command(ns: netns.Namespace, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    result = ns.exec(sys.executable, "-m", "netstatlib", *args, env=env, check=False)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return str(result.stdout)


def socket_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("  TCP", "  UDP"))]


def test_anob_fits_80_columns_and_cuts_only_program_names(busy: netns.Namespace) -> None:
    anob = command(busy, "-anob")
    ano = command(busy, "-ano")
    header = next(line for line in anob.splitlines() if line.startswith("  Proto"))
    local_width = header.index("Foreign Address") - header.index("Local Address") - 2
    foreign_width = header.index("State") - header.index("Foreign Address") - 2
    room = TARGET_WIDTH - header.index("Program")
    assert room >= 8
    lines, numbers = socket_lines(anob), [line.split() for line in socket_lines(ano)]
    assert len(lines) == len(numbers) == 7  # three v4 and three v6 TCP sockets, one UDP
    cut = set()
    for line, fields in zip(lines, numbers, strict=True):
        assert line.split()[: len(fields)] == fields, line  # addresses, state, PID whole
        program = line.split(maxsplit=len(fields))[-1]
        if program not in NAMES:
            assert program.endswith("\u2026"), line
            (name,) = [name for name in NAMES if name.startswith(program[:-1])]
            assert display_width(program) in (room, room - 1)
            cut.add(name)
        if display_width(fields[1]) <= local_width and display_width(fields[2]) <= foreign_width:
            assert display_width(line) <= TARGET_WIDTH, line
        else:
            assert "[" in line or NEAR in line  # only the longest addresses push
    assert NAMES[0] in cut  # 15 columns never fit beside two 21-column IPv4 endpoints
    assert any(f"[{LONG_V6}]:" in line for line in lines)  # whole
    # -W: the names as the kernel has them.
    whole = socket_lines(command(busy, "-anobW"))
    programs = {
        line.split(maxsplit=len(fields))[-1] for line, fields in zip(whole, numbers, strict=True)
    }
    assert programs == set(NAMES)
