"""Protocol statistics as ``netstat -s`` prints them: one block per counter group, titled
as Windows titles its sections, with the group's name after the title and each counter
under the library's name (``RetransSegs``), so ``netstatlib -s | grep`` works anywhere.
Counters that are zero are left out, as ``nstat`` leaves them out (a kernel has hundreds,
most of them zero); ``-z`` shows them too. ``-p`` and the Linux habits keep some groups
(:func:`selected_statistics`).
"""

from __future__ import annotations

from collections.abc import Sequence

from .._model import ProtocolStats
from .._text import display_width, safe_text, section
from ._grammar import LINUX_GROUPS, STATISTICS_PROTOCOLS, Options

__all__ = ["selected_statistics", "statistics_text"]

_GROUP_TITLES = {
    "Ip": "IPv4 Statistics",
    "IpExt": "IPv4 Extended Statistics",
    "Icmp": "ICMPv4 Statistics",
    "IcmpMsg": "ICMPv4 Statistics by Message Type",
    "Tcp": "TCP Statistics for IPv4",
    "TcpExt": "TCP Extended Statistics",
    "MPTcpExt": "MPTCP Statistics",
    "Udp": "UDP Statistics for IPv4",
    "UdpLite": "UDP-Lite Statistics for IPv4",
    "Ip6": "IPv6 Statistics",
    "Icmp6": "ICMPv6 Statistics",
    "Tcp6": "TCP Statistics for IPv6",
    "Udp6": "UDP Statistics for IPv6",
    "UdpLite6": "UDP-Lite Statistics for IPv6",
}


def _statistics_groups(options: Options, groups: Sequence[str]) -> set[str] | None:
    """The counter groups -p and the Linux habits ask for; ``None`` for all of them."""
    wanted: set[str] = set()
    for protocol in options.protocols:
        chosen = STATISTICS_PROTOCOLS[protocol]
        if protocol == "tcpv6" and "Tcp6" not in groups:
            # Linux counts TCP over IPv4 and IPv6 in one group, Tcp (the TCP MIB of
            # include/net/tcp.h is per namespace, not per family): it is the answer.
            chosen = ("Tcp", "TcpExt")
        wanted.update(chosen)
    for kind in options.kinds:
        wanted.update(LINUX_GROUPS.get(kind, ()))
    return wanted or None


def selected_statistics(rows: Sequence[ProtocolStats], options: Options) -> list[ProtocolStats]:
    """The groups of ``rows`` the options ask for, in the source's order."""
    wanted = _statistics_groups(options, [row.group for row in rows])
    return [row for row in rows if wanted is None or row.group in wanted]


def statistics_text(
    rows: Sequence[ProtocolStats], all_groups: Sequence[str], *, zeros: bool = False
) -> str:
    """One titled block per group of ``rows``, ``name = value`` per counter that is not
    zero (every counter with ``zeros``). ``all_groups`` are every group the source gave
    (``-p`` may have kept fewer)."""
    # Linux's Tcp group counts both families; Windows gives Tcp (IPv4) and Tcp6.
    both = "Tcp6" not in all_groups
    parts = []
    for row in rows:
        title = _GROUP_TITLES.get(row.group, f"{row.group} Statistics")
        if row.group == "Tcp" and both:
            title = "TCP Statistics for IPv4 and IPv6"
        shown = [(safe_text(name), value) for name, value in row.counters.items() if zeros or value]
        width = max((display_width(name) for name, _ in shown), default=0)
        lines = [
            f"  {name}{' ' * (width - display_width(name))} = {value}" for name, value in shown
        ]
        hidden = len(row.counters)
        if not lines and hidden:
            # Say so, rather than print a title over nothing.
            lines = [f"  all {hidden} counters are 0: -z shows them" if hidden > 1 else
                     "  its one counter is 0: -z shows it"]  # fmt: skip
        parts.append(section(f"{title} ({safe_text(row.group)})", "\n".join(lines)))
    return "\n".join(parts)
