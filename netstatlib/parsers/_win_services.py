"""Service names Windows ``netstat`` prints instead of port numbers.

Without ``-n``, ``netstat.exe`` shows a port by the first name its
``%SystemRoot%\\System32\\drivers\\etc\\services`` file gives it (``getservbyport``):
``epmap`` for 135, ``microsoft-ds`` for 445, ``https`` for 443. The table below is that
file's entries as shipped with Windows 10 and 11 (``# Copyright (c) 1993-2004 Microsoft
Corp.``, "port numbers for well-known services defined by IANA"), so a printed name is
turned back into the port it stands for on the machine that printed it, whatever this
machine's own services file says.

A name can mean different ports on TCP and UDP (``exec`` is 512/tcp while 512/udp is
``biff``), so the lookup is per protocol; a name listed for two ports of one protocol
(``wsd``: 5357 and 5358) does not say which, and is not resolved.
"""

from __future__ import annotations

__all__ = ["service_port"]

# "name port/protocols" entries, in the file's order.
_ENTRIES = """
echo 7/tcp,udp; discard 9/tcp,udp; systat 11/tcp,udp; daytime 13/tcp,udp
qotd 17/tcp,udp; chargen 19/tcp,udp; ftp-data 20/tcp; ftp 21/tcp; ssh 22/tcp
telnet 23/tcp; smtp 25/tcp; time 37/tcp,udp; rlp 39/udp; nameserver 42/tcp,udp
nicname 43/tcp; domain 53/tcp,udp; bootps 67/udp; bootpc 68/udp; tftp 69/udp
gopher 70/tcp; finger 79/tcp; http 80/tcp; hosts2-ns 81/tcp,udp
kerberos 88/tcp,udp; hostname 101/tcp; iso-tsap 102/tcp; rtelnet 107/tcp
pop2 109/tcp; pop3 110/tcp; sunrpc 111/tcp,udp; auth 113/tcp; uucp-path 117/tcp
sqlserv 118/tcp; nntp 119/tcp; ntp 123/udp; epmap 135/tcp,udp
netbios-ns 137/tcp,udp; netbios-dgm 138/udp; netbios-ssn 139/tcp; imap 143/tcp
sql-net 150/tcp; sqlsrv 156/tcp; pcmail-srv 158/tcp; snmp 161/udp
snmptrap 162/udp; print-srv 170/tcp; bgp 179/tcp; irc 194/tcp; ipx 213/udp
rtsps 322/tcp,udp; mftp 349/tcp,udp; ldap 389/tcp; https 443/tcp,udp
microsoft-ds 445/tcp,udp; kpasswd 464/tcp,udp; isakmp 500/udp; crs 507/tcp,udp
exec 512/tcp; biff 512/udp; login 513/tcp; who 513/udp; cmd 514/tcp
syslog 514/udp; printer 515/tcp; talk 517/udp; ntalk 518/udp; efs 520/tcp
router 520/udp; ulp 522/tcp,udp; timed 525/udp; tempo 526/tcp
irc-serv 529/tcp,udp; courier 530/tcp; conference 531/tcp; netnews 532/tcp
netwall 533/udp; uucp 540/tcp; klogin 543/tcp; kshell 544/tcp
dhcpv6-client 546/tcp,udp; dhcpv6-server 547/tcp,udp; afpovertcp 548/tcp,udp
new-rwho 550/udp; rtsp 554/tcp,udp; remotefs 556/tcp; rmonitor 560/udp
monitor 561/udp; nntps 563/tcp,udp; whoami 565/tcp,udp; ms-shuttle 568/tcp,udp
ms-rome 569/tcp,udp; http-rpc-epmap 593/tcp,udp; hmmp-ind 612/tcp,udp
hmmp-op 613/tcp,udp; ldaps 636/tcp; doom 666/tcp,udp; msexch-routing 691/tcp,udp
kerberos-adm 749/tcp,udp; kerberos-iv 750/udp; mdbs_daemon 800/tcp,udp
ftps-data 989/tcp; ftps 990/tcp; telnets 992/tcp; imaps 993/tcp; ircs 994/tcp
pop3s 995/tcp,udp; kpop 1109/tcp; nfsd-status 1110/tcp; nfsd-keepalive 1110/udp
nfa 1155/tcp,udp; activesync 1034/tcp; phone 1167/udp; opsmgr 1270/tcp,udp
ms-sql-s 1433/tcp,udp; ms-sql-m 1434/tcp,udp; ms-sna-server 1477/tcp,udp
ms-sna-base 1478/tcp,udp; wins 1512/tcp,udp; ingreslock 1524/tcp; stt 1607/tcp,udp
l2tp 1701/udp; pptconference 1711/tcp,udp; pptp 1723/tcp; msiccp 1731/tcp,udp
remote-winsock 1745/tcp,udp; ms-streaming 1755/tcp,udp; msmq 1801/tcp,udp
radius 1812/udp; radacct 1813/udp; msnp 1863/tcp,udp; ssdp 1900/tcp,udp
close-combat 1944/tcp,udp; nfsd 2049/udp; knetd 2053/tcp; mzap 2106/tcp,udp
qwave 2177/tcp,udp; directplay 2234/tcp,udp; ms-olap3 2382/tcp,udp
ms-olap4 2383/tcp,udp; ms-olap1 2393/tcp,udp; ms-olap2 2394/tcp,udp
ms-theater 2460/tcp,udp; wlbs 2504/tcp,udp; ms-v-worlds 2525/tcp,udp
sms-rcinfo 2701/tcp,udp; sms-xfer 2702/tcp,udp; sms-chat 2703/tcp,udp
sms-remctrl 2704/tcp,udp; msolap-ptp2 2725/tcp,udp; icslap 2869/tcp,udp
cifs 3020/tcp,udp; xbox 3074/tcp,udp; ms-dotnetster 3126/tcp,udp
ms-rule-engine 3132/tcp,udp; msft-gc 3268/tcp,udp; msft-gc-ssl 3269/tcp,udp
ms-cluster-net 3343/tcp,udp; ms-wbt-server 3389/tcp,udp; ms-la 3535/tcp,udp
pnrp-port 3540/tcp,udp; teredo 3544/tcp,udp; p2pgroup 3587/tcp,udp
ws-discovery 3702/tcp,udp; dvcprov-port 3776/tcp,udp; msfw-control 3847/tcp
msdts1 3882/tcp; sdp-portmapper 3935/tcp,udp; net-device 4350/tcp,udp
ipsec-msft 4500/tcp,udp; llmnr 5355/tcp,udp; wsd 5357/tcp; wsd 5358/tcp
rrac 5678/tcp,udp; dccm 5679/tcp,udp; ms-licensing 5720/tcp,udp
directplay8 6073/tcp,udp; ms-do 7680/tcp,udp; man 9535/tcp; rasadv 9753/tcp,udp
imip-channels 11320/tcp,udp; directplaysrvr 47624/tcp,udp
"""


def _table() -> dict[tuple[str, str], int | None]:
    table: dict[tuple[str, str], int | None] = {}
    for entry in _ENTRIES.replace("\n", "; ").split("; "):
        entry = entry.strip()
        if not entry:
            continue
        name, _, where = entry.partition(" ")
        port_text, _, protocols = where.partition("/")
        port = int(port_text)
        for protocol in protocols.split(","):
            key = (name.lower(), protocol)
            # A name given two ports for one protocol is ambiguous: keep None.
            table[key] = port if table.get(key, port) == port else None
    return table


_PORTS = _table()


def service_port(name: str, protocol: str) -> int | None:
    """The port Windows' services file gives ``name`` for ``protocol`` (``"tcp"`` or
    ``"udp"``), or ``None`` for a name it does not list (or lists twice)."""
    return _PORTS.get((name.lower(), protocol))
