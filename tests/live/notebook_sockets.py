"""Socket holders for the notebook test, run inside its namespace, one process per role so
that each socket has one owner with a name of its own (``/proc/<pid>/comm``):

* ``server NAME PORT [--ipv6]``: listens on 127.0.0.1:PORT (and [::1]:PORT), accepts,
  and closes a connection when its peer does;
* ``udp NAME PORT``: a UDP socket bound to 127.0.0.1:PORT, not connected;
* ``client NAME``: keeps two connections to 127.0.0.1:443, one to [::1]:443 and one to
  127.0.0.1:5432 open, and closes one more to 127.0.0.1:443 first, which leaves it in
  TIME_WAIT (the side that closes first waits) once the server has closed its end.

Each prints ``{"ready": true}`` when its sockets are in place, then waits to be killed.
"""

from __future__ import annotations

import json
import selectors
import socket
import sys
import time
from pathlib import Path


def ready() -> None:
    print(json.dumps({"ready": True}), flush=True)


def serve(port: int, ipv6: bool) -> None:
    listeners = [socket.create_server(("127.0.0.1", port))]
    if ipv6:
        listeners.append(socket.create_server(("::1", port), family=socket.AF_INET6))
    selector = selectors.DefaultSelector()
    for listener in listeners:
        selector.register(listener, selectors.EVENT_READ, "listener")
    ready()
    while True:
        for key, _ in selector.select():
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if key.data == "listener":
                connection, _ = sock.accept()
                selector.register(connection, selectors.EVENT_READ, "connection")
            elif not sock.recv(4096):
                selector.unregister(sock)
                sock.close()


def client() -> None:
    kept = [
        socket.create_connection(("127.0.0.1", 443)),
        socket.create_connection(("127.0.0.1", 443)),
        socket.create_connection(("::1", 443)),
        socket.create_connection(("127.0.0.1", 5432)),
    ]
    socket.create_connection(("127.0.0.1", 443)).close()
    ready()
    while kept:
        time.sleep(3600)


def main() -> None:
    role, name, *rest = sys.argv[1:]
    Path("/proc/self/comm").write_text(name)
    if role == "server":
        serve(int(rest[0]), "--ipv6" in rest)
    elif role == "udp":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", int(rest[0])))
        ready()
        while True:
            time.sleep(3600)
    elif role == "client":
        client()
    else:
        raise SystemExit(f"unknown role {role!r}")


if __name__ == "__main__":
    main()
