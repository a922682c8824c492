"""The identity of a socket across two listings, and of a listener across two listings.

Strategy: a socket is the same socket in two listings when the kernel says so (its
cookie), else when it is in the same table with the same endpoints and the same inode.
The cookie stays with a connection its whole life; the inode does not, at two moments
the matching in :func:`netstatlib.diff` (``_diff.py``) knows:

* **the handshake**: a connection the peer opened is first a request (``SYN_RECV``: not
  a socket yet, no inode), then a child socket in the listener's accept queue, a new
  kernel object that takes the request's cookie (``inet_csk_clone_lock()``) and still
  has no inode; ``accept()`` gives it its inode (``sock_i_ino()`` is 0 until the socket
  has a file: ``net/ipv4/tcp_ipv4.c``, ``get_tcp4_sock()``);
* **the close**: a socket closed by its process loses its inode (an orphan in
  ``FIN_WAIT1``, ``FIN_WAIT2``, ``LAST_ACK``, ``CLOSING``) and may become a
  ``TIME_WAIT`` entry, which keeps the cookie (``inet_twsk_alloc()`` copies it) and
  has no inode.

A listener is identified by what it listens on (:func:`listener_address`): a server
restarted between two listings, with a new socket on the same address, is the same
listener, whatever its queues did.
"""

from __future__ import annotations

from collections.abc import Hashable

from ._model import Connection, Protocol

__all__ = ["connection_identity", "listener_address"]


def connection_identity(connection: Connection) -> Hashable:
    """What identifies ``connection`` across listings of one running kernel.

    The kernel's socket cookie (``("cookie", 123)``) where the backend gives one (the
    Linux backend's netlink engine), otherwise its protocol, family, endpoints, inode
    and (UNIX) path. Two listings that give cookies are compared by cookie only when
    they come from the same running kernel: a cookie is unique until the machine
    reboots. :func:`~netstatlib.diff` also follows a connection through its handshake
    and its close, where these change (see the Monitoring page).
    """
    if connection.cookie is not None:
        return ("cookie", connection.cookie)
    return (
        connection.protocol,
        connection.family,
        connection.local,
        connection.remote,
        connection.inode,
        connection.path,
        # Windows netstat without -n: endpoints printed as names only.
        connection.local_name,
        connection.remote_name,
    )


def listener_address(connection: Connection) -> Hashable:
    """What a listener listens on: its table and its local endpoint (a raw socket's IP
    protocol too; for a UNIX socket, its path and type, and for an unnamed one, which
    nothing can reach by name, its inode)."""
    if connection.protocol is Protocol.UNIX:
        where = connection.path if connection.path is not None else connection.inode
        return (connection.protocol, connection.family, where, connection.socket_type)
    local = connection.local if connection.local is not None else connection.local_name
    return (connection.protocol, connection.family, local, connection.ip_protocol)
