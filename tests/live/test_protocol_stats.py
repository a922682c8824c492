"""protocol_stats() of a namespace, cross-checked against ``nstat -asz --json`` there.

nstat glues group and counter together (``TcpActiveOpens``, ``Ip6InReceives``,
``TcpExtSyncookiesSent``, ``IcmpMsgOutType3``); netstatlib keeps them apart
(``group="Tcp"``, ``counters["ActiveOpens"]``).
"""

from __future__ import annotations

import pytest

import netstatlib
from netstatlib.backends import LinuxProcfs

from . import netns

pytestmark = pytest.mark.live

# Counters nstat never prints (iproute2 misc/nstat.c, useless_number()).
NSTAT_SKIPS = {
    "IpForwarding",
    "IpDefaultTTL",
    "TcpRtoAlgorithm",
    "TcpRtoMin",
    "TcpRtoMax",
    "TcpMaxConn",
    "TcpCurrEstab",
}


def _flat(backend: LinuxProcfs) -> dict[str, int]:
    """Our counters under nstat's names; fails if two of them would get the same name."""
    flat: dict[str, int] = {}
    for record in netstatlib.protocol_stats(backend=backend):
        for name, value in record.counters.items():
            key = record.group + name
            assert key not in flat, f"{key} is ambiguous"
            flat[key] = value
    return flat


# Inside the lab: ICMP messages of 20 types nobody uses (20..39) to 127.0.0.1 through a
# raw socket. The kernel counts each sent and received type (IcmpMsg OutTypeN/InTypeN)
# before it drops the unknown ones: /proc/net/snmp then holds more than 16 IcmpMsg
# counters, which icmpmsg_put() prints as several "IcmpMsg:" line pairs.
ICMP_TYPES = range(20, 40)
ICMP_CODE = """
import socket, struct

def checksum(data):
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF

with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as sock:
    for icmp_type in range(20, 40):
        header = struct.pack("!BBHI", icmp_type, 0, 0, 0)
        sock.sendto(struct.pack("!BBHI", icmp_type, 0, checksum(header), 0), ("127.0.0.1", 0))
print("{}")
"""


@pytest.fixture(scope="module")
def readings(lab: netns.Lab, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Ours, nstat's, ours again; repeated until nothing moved in between."""
    lab.ns.python(netns.TRAFFIC_CODE)
    lab.ns.python(ICMP_CODE)
    backend = LinuxProcfs(pid=lab.holder_pid)
    history = tmp_path_factory.mktemp("nstat") / "history"
    for _ in range(20):
        before = _flat(backend)
        theirs = netns.nstat(lab.ns, history)
        after = _flat(backend)
        if before == after:
            break
    return {"before": before, "nstat": theirs, "after": after}


def test_every_nstat_counter_is_ours_with_the_same_value(readings: dict) -> None:
    ours, theirs = readings["before"], readings["nstat"]
    assert readings["before"] == readings["after"], "counters never stood still"
    assert len(theirs) > 100
    missing = sorted(set(theirs) - set(ours))
    assert not missing
    different = {key: (ours[key], value) for key, value in theirs.items() if ours[key] != value}
    assert not different


def test_no_counter_nstat_lacks(readings: dict) -> None:
    extra = sorted(set(readings["before"]) - set(readings["nstat"]) - NSTAT_SKIPS)
    assert not extra


def test_traffic_was_counted(readings: dict) -> None:
    ours = readings["before"]
    assert ours["TcpActiveOpens"] >= 1
    assert ours["TcpPassiveOpens"] >= 1
    assert ours["UdpOutDatagrams"] >= 2
    assert ours["Udp6OutDatagrams"] >= 2
    assert ours["IcmpOutDestUnreachs"] >= 1  # port 9 is closed on loopback
    assert ours["IcmpMsgOutType3"] >= 1
    assert ours["Ip6InReceives"] >= 1
    for icmp_type in ICMP_TYPES:
        assert ours[f"IcmpMsgOutType{icmp_type}"] == 1
        assert ours[f"IcmpMsgInType{icmp_type}"] == 1


def test_group_names_and_lookup(lab: netns.Lab) -> None:
    records = netstatlib.protocol_stats(backend=LinuxProcfs(pid=lab.holder_pid))
    groups = [record.group for record in records]
    assert {"Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", "TcpExt", "IpExt", "Ip6", "Icmp6"} <= set(groups)
    tcp = next(record for record in records if record.group == "Tcp")
    assert tcp["MaxConn"] == -1  # signed, as the kernel prints it
    assert tcp.counters["ActiveOpens"] == tcp["ActiveOpens"] >= 1


def test_each_group_is_one_record(lab: netns.Lab, readings: dict) -> None:
    records = netstatlib.protocol_stats(backend=LinuxProcfs(pid=lab.holder_pid))
    groups = [record.group for record in records]
    assert groups.count("IcmpMsg") == 1
    assert len(groups) == len(set(groups))
    icmp_msg = next(record for record in records if record.group == "IcmpMsg")
    assert {f"InType{t}" for t in ICMP_TYPES} <= set(icmp_msg.counters)
