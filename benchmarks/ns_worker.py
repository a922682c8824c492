"""Socket builder for bench_connections.py; runs inside the benchmark namespace.

Started by the benchmark as ``ip netns exec NS python ns_worker.py ...``. In the TCP
modes it opens a listener, makes ``--conns`` loopback connections to it and then:

* ``--mode established``: keeps both ends open (2 fds and 2 ESTABLISHED rows per
  connection) and closes the listener (unless ``--keep-listener``), so
  ``/proc/net/tcp`` gets exactly 2 rows per connection from this worker (plus the
  LISTEN row);
* ``--mode time-wait``: closes the connecting end first, then the accepted end, so the
  connecting end goes through FIN_WAIT to TIME_WAIT (1 row per connection, no fd kept)
  and the accepted end through CLOSE_WAIT and LAST_ACK to gone.

``--mode unix`` makes ``--conns`` UNIX stream socket pairs instead (``socketpair()``:
2 fds and 2 connected, unnamed rows of ``/proc/net/unix`` per pair) and keeps them.

It prints ``READY <connections>`` on stdout and then waits until stdin is closed (or the
benchmark dies: PR_SET_PDEATHSIG), holding its sockets. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import ctypes
import signal
import socket
import sys

_IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not fatal: stdin EOF also ends the worker
        pass


def _connect(source: str, target: tuple[str, int]) -> socket.socket:
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Pick the source address now but the port at connect(): the port then only has to
    # make the 4-tuple unique, not be free on that address (no bind()-time exhaustion).
    client.setsockopt(socket.SOL_IP, _IP_BIND_ADDRESS_NO_PORT, 1)
    client.bind((source, 0))
    client.connect(target)
    return client


def build(
    mode: str,
    conns: int,
    listen: str,
    port: int,
    sources: list[str],
    batch: int,
    keep_listener: bool,
) -> list:
    """Make the connections; return the sockets that must stay open."""
    kept: list[socket.socket] = []
    if mode == "unix":
        for _ in range(conns):
            kept.extend(socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM))
        return kept
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((listen, port))
    server.listen(65535)
    made = 0
    # Loopback connect() completes the handshake without accept(): connect a batch that
    # fits in the accept queue, then accept it. No SYN is ever dropped, so no 1 s retry.
    while made < conns:
        count = min(batch, conns - made)
        clients = [
            _connect(sources[(made + i) % len(sources)], (listen, port)) for i in range(count)
        ]
        accepted = [server.accept()[0] for _ in range(count)]
        if mode == "established":
            kept.extend(clients)
            kept.extend(accepted)
        else:
            for client in clients:  # the connecting side closes first: it gets TIME_WAIT
                client.close()
            for peer in accepted:
                peer.close()
        made += count
    if keep_listener:
        kept.append(server)
    else:
        server.close()
    return kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=("established", "time-wait", "unix"), required=True)
    parser.add_argument("--conns", type=int, required=True)
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--sources", default="", help="comma-separated source addresses")
    parser.add_argument("--keep-listener", action="store_true", help="keep the LISTEN socket")
    parser.add_argument("--batch", type=int, default=2048)
    args = parser.parse_args()
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the benchmark decides when we stop
    kept = build(
        args.mode,
        args.conns,
        args.listen,
        args.port,
        args.sources.split(","),
        args.batch,
        args.keep_listener,
    )
    sys.stdout.write(f"READY {args.conns}\n")
    sys.stdout.flush()
    sys.stdin.read()  # returns at EOF: the benchmark closed our stdin or died
    for sock in kept:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
