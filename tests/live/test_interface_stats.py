"""interface_stats() inside a namespace, cross-checked against ``ip -j -s -s link``.

MTU, up and speed come from sysfs, which shows the namespace it was mounted in: they are
checked by running netstatlib inside the namespace (``ip netns exec`` remounts /sys).
From outside, ``LinuxProcfs(pid=...)`` gives the counters and leaves those fields None.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import netstatlib
from netstatlib.backends import LinuxProcfs

from . import netns
from conftest import skip_live

pytestmark = pytest.mark.live

# Runs inside the namespace: our records, ip's, ours again, until nothing moved in between
# (IPv6 chatter, SYN retries); plus each interface's speed read straight from sysfs.
INSIDE_CODE = """
import json, os, subprocess, netstatlib

def ours():
    return netstatlib.interface_stats().to_dicts(plain=True)

for attempt in range(20):
    before = ours()
    ip = subprocess.run(["ip", "-j", "-s", "-s", "link"], capture_output=True, check=True)
    after = ours()
    if before == after:
        break
speeds = {}
for name in os.listdir("/sys/class/net"):
    try:
        with open(f"/sys/class/net/{name}/speed") as handle:
            speeds[name] = int(handle.read())
    except (OSError, ValueError):
        speeds[name] = None
print(json.dumps({"before": before, "ip": json.loads(ip.stdout), "after": after,
                  "speeds": speeds}))
"""

COUNTERS = [
    "rx_bytes",
    "rx_packets",
    "rx_errors",
    "rx_dropped",
    "rx_fifo_errors",
    "rx_frame_errors",
    "rx_compressed",
    "multicast",
    "tx_bytes",
    "tx_packets",
    "tx_errors",
    "tx_dropped",
    "tx_fifo_errors",
    "collisions",
    "tx_carrier_errors",
    "tx_compressed",
]


def expected_counters(link: dict[str, Any]) -> dict[str, int]:
    """What /proc/net/dev prints, from ``ip -s -s``'s ``stats64`` (rtnl_link_stats64).

    ``dev_seq_printf_stats()`` (net/core/net-procfs.c) folds some counters together:
    ``drop`` is rx_dropped + rx_missed_errors, ``frame`` is length + over + crc + frame
    errors, ``carrier`` is carrier + aborted + window + heartbeat errors. ``compressed``
    is shown by ip only when not zero.
    """
    rx, tx = link["stats64"]["rx"], link["stats64"]["tx"]
    return {
        "rx_bytes": rx["bytes"],
        "rx_packets": rx["packets"],
        "rx_errors": rx["errors"],
        "rx_dropped": rx["dropped"] + rx["missed_errors"],
        "rx_fifo_errors": rx["fifo_errors"],
        "rx_frame_errors": (
            rx["length_errors"] + rx["over_errors"] + rx["crc_errors"] + rx["frame_errors"]
        ),
        "rx_compressed": rx.get("compressed", 0),
        "multicast": rx["multicast"],
        "tx_bytes": tx["bytes"],
        "tx_packets": tx["packets"],
        "tx_errors": tx["errors"],
        "tx_dropped": tx["dropped"],
        "tx_fifo_errors": tx["fifo_errors"],
        "collisions": tx["collisions"],
        "tx_carrier_errors": (
            tx["carrier_errors"]
            + tx["aborted_errors"]
            + tx["window_errors"]
            + tx["heartbeat_errors"]
        ),
        "tx_compressed": tx.get("compressed", 0),
    }


@pytest.fixture(scope="module")
def inside(lab: netns.Lab) -> dict[str, Any]:
    lab.ns.python(netns.TRAFFIC_CODE)
    return lab.ns.python(INSIDE_CODE)


def _by_name(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in rows}


def test_every_interface_is_listed(inside: dict[str, Any]) -> None:
    names = [row["name"] for row in inside["before"]]
    assert sorted(names) == sorted(link["ifname"] for link in inside["ip"])
    assert {"lo", "va", netns.VX, netns.VY} <= set(names)


def test_counters_match_ip(inside: dict[str, Any]) -> None:
    before, after = _by_name(inside["before"]), _by_name(inside["after"])
    problems = []
    for link in inside["ip"]:
        name = link["ifname"]
        for counter, value in expected_counters(link).items():
            # ip ran between our two readings; counters only grow.
            if not before[name][counter] <= value <= after[name][counter]:
                problems.append(
                    f"{name} {counter}: ip {value}, ours {before[name][counter]}"
                    f"..{after[name][counter]}"
                )
    assert not problems
    assert before == after, "no quiet moment in 20 tries: the equality check is weaker"


def test_traffic_was_counted(inside: dict[str, Any]) -> None:
    stats = _by_name(inside["before"])
    for name in ("lo", "va"):
        assert stats[name]["tx_packets"] > 0 and stats[name]["tx_bytes"] > 0
        assert stats[name]["rx_packets"] > 0 and stats[name]["rx_bytes"] > 0


def test_mtu_up_and_speed_match_ip_and_sysfs(inside: dict[str, Any]) -> None:
    stats = _by_name(inside["before"])
    for link in inside["ip"]:
        row = stats[link["ifname"]]
        flags = set(link["flags"])
        assert row["mtu"] == link["mtu"], link["ifname"]
        assert row["is_up"] is ("UP" in flags and "LOWER_UP" in flags), link["ifname"]
        speed = inside["speeds"][link["ifname"]]
        assert row["speed_mbps"] == (speed if speed is not None and speed > 0 else None)
    assert stats["va"]["mtu"] == 1400
    assert stats["lo"]["is_up"] is True and stats["va"]["is_up"] is True
    assert stats[netns.VX]["is_up"] is False  # administratively up, no carrier
    assert stats[netns.VY]["is_up"] is False  # down
    assert stats["lo"]["speed_mbps"] is None


def test_counters_from_outside_the_namespace(lab: netns.Lab) -> None:
    """Through ``/proc/<pid>/net/dev``: the same counters, no sysfs fields."""
    backend = LinuxProcfs(pid=lab.holder_pid)
    for _ in range(20):
        before = netstatlib.interface_stats(backend=backend)
        links = lab.ns.ip_json("-s", "-s", "link")
        after = netstatlib.interface_stats(backend=backend)
        if before == after:
            break
    assert before == after
    stats = {row.name: row for row in before}
    assert sorted(stats) == sorted(link["ifname"] for link in links)
    for link in links:
        row = stats[link["ifname"]]
        assert {name: getattr(row, name) for name in COUNTERS} == expected_counters(link)
        assert (row.mtu, row.is_up, row.speed_mbps) == (None, None, None)


# Runs under ``nsenter --net``: the namespace's /proc/net, but this host's /sys.
NSENTER_CODE = """
import json, subprocess, netstatlib
ip = subprocess.run(["ip", "-j", "link"], capture_output=True, check=True).stdout
print(json.dumps({"ours": netstatlib.interface_stats().to_dicts(plain=True),
                  "ip": json.loads(ip)}))
"""
HOST_SYSFS = "/sys/class/net"


@pytest.fixture(scope="module")
def lookalike() -> Iterator[netns.Namespace]:
    """A namespace whose devices have the names of this host's (as containers with lo and
    eth0 often do), each a veth with MTU 1280, down, its peer in a second namespace."""
    netns.require_root()
    names = set(os.listdir(HOST_SYSFS)) - {"lo"}
    if len(names) > 16:
        pytest.skip(
            f"This host has {len(names)} network devices; the look-alike namespace copies 16 at most."
        )
    if shutil.which("nsenter") is None:
        skip_live("This test needs nsenter (util-linux), which this machine lacks.")
    with netns.namespace("look") as ns, netns.namespace("lookp") as peer:
        for index, name in enumerate(sorted(names)):
            ns.ip(
                "link", "add", name, "type", "veth", "peer", "name", f"p{index}", "netns", peer.name
            )
            ns.ip("link", "set", name, "mtu", "1280")
        yield ns


def test_sysfs_of_another_namespace_is_not_used(lookalike: netns.Namespace) -> None:
    result = netns.run(
        ["nsenter", f"--net=/run/netns/{lookalike.name}", sys.executable, "-c", NSENTER_CODE]
    )
    inside = json.loads(result.stdout)
    truth = {link["ifname"]: link for link in inside["ip"]}
    assert set(os.listdir(HOST_SYSFS)) == set(truth)  # the names do coincide
    for row in inside["ours"]:
        link = truth[row["name"]]
        is_up = "UP" in link["flags"] and "LOWER_UP" in link["flags"]
        # MTU and up come from the kernel for this namespace (ioctl), never from the
        # host's sysfs; the speed would have to come from sysfs, which is not ours here.
        assert row["mtu"] == link["mtu"], row
        assert row["is_up"] is is_up, row
        assert row["speed_mbps"] is None, row
