"""The Linux backend without netlink: refused by an injected failure (``_new_socket``
raising ``EPERM``, as seccomp or an LSM would), refused for real (an unprivileged user
cannot enter another network namespace), and failing in the middle of a query. Then
netlink under process churn: an answer or the library's error, never a socket twice.

Queries run on the socket zoo's namespace (``socket_zoo.py``); the reference answer is
the same query through ``engine="procfs"``.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import netstatlib
from netstatlib import Connection, NetstatError, UnsupportedError
from netstatlib._query import resolve_kind
from netstatlib._sources import FolderSource
from netstatlib.backends import LinuxProcfs, _netlink
from netstatlib.backends._netlink import NetlinkUnavailableError
from netstatlib.parsers.sockdiag import DiagDump

from . import netns
from .netns import row_key

pytestmark = pytest.mark.live

QUERIES: dict[str, Callable[..., netstatlib.Table[Connection]]] = {
    "connections": netstatlib.connections,
    "listening": netstatlib.listening,
}
REFUSAL = os.strerror(errno.EPERM)  # "Operation not permitted"


def _refuse() -> socket.socket:
    """What the kernel answers socket(AF_NETLINK, ...) under a seccomp or LSM policy."""
    raise PermissionError(errno.EPERM, REFUSAL)


@pytest.fixture
def no_netlink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_netlink, "_new_socket", _refuse)


def _listing(rows: Any) -> list[str]:
    """What identifies each row and who holds it, in a stable order."""
    return sorted(repr((row_key(row), row.pids, row.process)) for row in rows)


def _same_answer(ours: Any, reference: Any) -> None:
    """The rows are the reference's, but for kernel entries that expired in between."""
    mine, theirs = _listing(ours), _listing(reference)
    if mine != theirs:  # a TIME_WAIT or SYN_RECV entry may go between the two reads
        only_mine = [row for row in mine if row not in theirs]
        only_theirs = [row for row in theirs if row not in mine]
        for extra in only_mine + only_theirs:
            assert "TIME_WAIT" in extra or "SYN_RECV" in extra, extra


@pytest.fixture(scope="module")
def owners_once(zoo: netns.Zoo) -> Any:
    """One walk of /proc/*/fd with the zoo running.

    The walk is the same code whichever engine listed the sockets, and on a host where
    other processes hold 100k descriptors it costs seconds each time: the reference and
    the matrix below take the owners from this one walk; the other tests walk for real.
    """
    return FolderSource("/proc").socket_owners()


@pytest.fixture(scope="module")
def reference(zoo: netns.Zoo, owners_once: Any) -> dict[str, list[Connection]]:
    """Every socket of the zoo's namespace, with processes, through /proc text; the
    listeners among them are what listening() answers."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(FolderSource, "socket_owners", lambda self, **hints: owners_once)
        text = LinuxProcfs(pid=zoo.pid, engine="procfs")
        rows = list(netstatlib.connections("all", processes=True, backend=text))
    return {"connections": rows, "listening": [row for row in rows if row.is_listening]}


def _of_kind(rows: Any, kind: str) -> list[Connection]:
    tables = resolve_kind(kind)
    return [row for row in rows if (row.protocol, row.family) in tables]


@pytest.fixture
def one_walk(monkeypatch: pytest.MonkeyPatch, owners_once: Any) -> None:
    """The owners of ``owners_once`` for every query of the test."""
    monkeypatch.setattr(FolderSource, "socket_owners", lambda self, **hints: owners_once)


@pytest.mark.parametrize("query", sorted(QUERIES))
@pytest.mark.parametrize("kind", sorted(netstatlib.KINDS))
def test_every_query_answers_through_proc_when_netlink_is_refused(
    zoo: netns.Zoo,
    reference: dict[str, Any],
    no_netlink: None,
    one_walk: None,
    query: str,
    kind: str,
) -> None:
    backend = LinuxProcfs(pid=zoo.pid)
    rows = QUERIES[query](kind, processes=True, backend=backend)
    assert backend.engine == "procfs"
    reason = backend.engine_reason
    assert reason is not None and "NETLINK_SOCK_DIAG" in reason and REFUSAL in reason, reason
    _same_answer(rows, _of_kind(reference[query], kind))
    assert all(row.pids is not None for row in rows)
    assert all(row.cookie is None and row.details is None for row in rows)


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_every_socket_with_its_processes_when_netlink_is_refused(
    zoo: netns.Zoo, reference: dict[str, Any], no_netlink: None, query: str
) -> None:
    """The same for every table at once, with a walk of /proc/*/fd of its own."""
    backend = LinuxProcfs(pid=zoo.pid)
    rows = QUERIES[query]("all", processes=True, backend=backend)
    assert backend.engine == "procfs"
    _same_answer(rows, reference[query])
    assert len(rows) >= (10 if query == "listening" else 30)
    shared = [row for row in rows if row.inode == zoo.sockets["shared_listener"]["inode"]]
    assert [row.pids for row in shared] == [tuple(zoo.sockets["shared_listener"]["pids"])]


def test_engine_netlink_raises_instead_of_falling_back(zoo: netns.Zoo, no_netlink: None) -> None:
    with pytest.raises(NetlinkUnavailableError, match=REFUSAL):
        netstatlib.connections("tcp", backend=LinuxProcfs(pid=zoo.pid, engine="netlink"))
    with pytest.raises(NetlinkUnavailableError, match=REFUSAL):
        _ = LinuxProcfs(pid=zoo.pid, engine="netlink").engine


def test_engine_netlink_raises_on_every_query(zoo: netns.Zoo, no_netlink: None) -> None:
    backend = LinuxProcfs(pid=zoo.pid, engine="netlink")
    for _ in range(3):
        with pytest.raises(NetlinkUnavailableError, match=REFUSAL):
            netstatlib.connections("tcp", processes=False, backend=backend)
    with pytest.raises(NetlinkUnavailableError):
        _ = backend.engine


@pytest.mark.parametrize("query", sorted(QUERIES))
def test_details_on_the_fallback_are_unsupported(
    zoo: netns.Zoo, no_netlink: None, query: str
) -> None:
    backend = LinuxProcfs(pid=zoo.pid)
    with pytest.raises(UnsupportedError) as caught:
        QUERIES[query]("all", details=True, backend=backend)
    assert isinstance(caught.value, NotImplementedError)
    assert "details=True" in str(caught.value) and REFUSAL in str(caught.value)
    # The same backend still answers without details.
    assert len(QUERIES[query]("all", processes=False, backend=backend)) > 0


@pytest.fixture
def second_socket_refused(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The first netlink socket (the engine's probe) is made; every later one refused."""
    made = _netlink._new_socket
    calls: list[int] = []

    def flaky() -> socket.socket:
        calls.append(1)
        if len(calls) >= 2:
            _refuse()
        return made()

    monkeypatch.setattr(_netlink, "_new_socket", flaky)
    return calls


def test_a_failure_after_netlink_worked_falls_back_on_that_query(
    zoo: netns.Zoo, reference: dict[str, Any], second_socket_refused: list[int]
) -> None:
    backend = LinuxProcfs(pid=zoo.pid)
    assert backend.engine == "netlink" and backend.engine_reason is None
    assert len(second_socket_refused) == 1
    rows = netstatlib.connections("all", processes=True, backend=backend)
    assert len(second_socket_refused) == 2
    assert backend.engine == "procfs"
    reason = backend.engine_reason
    assert reason is not None and REFUSAL in reason, reason
    _same_answer(rows, reference["connections"])
    # From now on /proc text, without asking for another socket.
    again = netstatlib.connections("all", processes=False, backend=backend)
    assert sorted(map(repr, map(row_key, again))) == sorted(map(repr, map(row_key, rows)))
    assert len(second_socket_refused) == 2


def test_a_failure_after_netlink_worked_raises_with_engine_netlink(
    zoo: netns.Zoo, second_socket_refused: list[int]
) -> None:
    backend = LinuxProcfs(pid=zoo.pid, engine="netlink")
    assert backend.engine == "netlink"
    with pytest.raises(NetlinkUnavailableError, match=REFUSAL):
        netstatlib.connections("all", processes=False, backend=backend)


# -- a real refusal: an unprivileged user and another network namespace -----------------

NOBODY = netns.NOBODY
AS_NOBODY = netns.AS_NOBODY
NOBODY_QUERY = """
import json, sys
import netstatlib
from netstatlib.backends import LinuxProcfs

backend = LinuxProcfs(pid=int(sys.argv[1]))
rows = netstatlib.connections("all", processes=True, backend=backend)
print(json.dumps({
    "module": netstatlib.__file__,
    "engine": backend.engine,
    "reason": backend.engine_reason,
    "rows": sorted(repr(key) for key in (
        (r.protocol, r.family, r.local, r.remote, r.state, r.inode, r.path) for r in rows
    )),
}))
"""


@pytest.fixture(scope="module")
def nobody_python() -> Iterator[tuple[str, str]]:
    """An interpreter nobody can run, and a folder of the packages it imports."""
    with netns.nobody_interpreter("nsl-nobody-") as found:
        yield found


@pytest.fixture(scope="module")
def nobody_holder(lab: netns.Lab) -> Iterator[int]:
    """A process of uid nobody inside the lab's namespace."""
    with netns.spawned(lab.ns.exec_args(*AS_NOBODY, "sleep", "600")) as holder:
        netns.wait_until_in_namespace(holder.pid, lab.ns)
        yield holder.pid


@pytest.mark.parametrize(
    ("target", "refusal"),
    [
        # Its own process: /proc/<pid>/ns/net opens, and setns() needs CAP_SYS_ADMIN.
        ("nobody_holder", "cannot enter the network namespace"),
        # Root's process: nobody may not even open its namespace file.
        ("zoo", "cannot open"),
    ],
)
def test_unprivileged_user_gets_the_answer_from_proc_pid_net(
    zoo: netns.Zoo,
    nobody_holder: int,
    nobody_python: tuple[str, str],
    target: str,
    refusal: str,
) -> None:
    python, folder = nobody_python
    pid = nobody_holder if target == "nobody_holder" else zoo.pid
    result = netns.run(
        [*AS_NOBODY, python, "-c", NOBODY_QUERY, str(pid)],
        env={"PYTHONPATH": folder, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        cwd=folder,
    )
    answer = json.loads(result.stdout)
    assert answer["module"].startswith(folder)
    assert answer["engine"] == "procfs"
    reason = answer["reason"]
    assert refusal in reason and f"/proc/{pid}/ns/net" in reason, reason
    expected = os.strerror(errno.EPERM if target == "nobody_holder" else errno.EACCES)
    assert expected in reason, reason
    # The rows are the namespace's, read from /proc/<pid>/net as root reads them.
    reference = netstatlib.connections(
        "all", processes=False, backend=LinuxProcfs(pid=pid, engine="procfs")
    )
    keys = sorted(repr(row_key(row)) for row in reference)
    extra = set(answer["rows"]) ^ set(keys)
    assert all("TIME_WAIT" in key or "SYN_RECV" in key for key in extra), extra
    assert len(answer["rows"]) >= 30


# -- churn -----------------------------------------------------------------------------

CHURN = r"""
import json, os, signal, socket, sys, time

duration = float(sys.argv[1])
listener = socket.create_server(("127.0.0.1", 0), backlog=4096)
listener.setblocking(False)
address = listener.getsockname()
print(json.dumps({"pid": os.getpid()}), flush=True)
deadline = time.monotonic() + duration
while time.monotonic() < deadline:
    if os.fork() == 0:
        try:
            held = [socket.create_connection(address) for _ in range(3)]
            for _ in range(3):
                udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
                udp.bind(("::1", 0))
                held.append(udp)
            held.extend(socket.socketpair())
        finally:
            os._exit(0)
    while True:  # accept and close what the children connected
        try:
            accepted, _ = listener.accept()
        except BlockingIOError:
            break
        accepted.close()
    while True:  # reap the children that are done
        try:
            child, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if child == 0:
            break
while True:
    signal.pause()
"""
CHURN_QUERIES = 50
CHURN_SECONDS = 8.0
CHURN_AT_LEAST = 3


@pytest.fixture
def churner(lab: netns.Lab) -> Iterator[int]:
    command = lab.ns.exec_args(sys.executable, "-c", CHURN, "40")  # at most
    with netns.spawned(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
        info = netns.read_json_line(p)
        time.sleep(0.3)  # some churn before the first query
        yield info["pid"]


def test_queries_during_process_churn(zoo: netns.Zoo, churner: int) -> None:
    """Processes that open sockets and exit while 50 queries walk /proc: each query
    answers or raises netstatlib's own error; netlink never lists one socket twice.

    The queries stop early after CHURN_SECONDS (a walk of /proc costs seconds on a host
    where other processes hold 100k descriptors), but at least CHURN_AT_LEAST run.
    """
    backend = LinuxProcfs(pid=churner)
    assert backend.engine == "netlink"
    text = LinuxProcfs(pid=churner, engine="procfs")
    deadline = time.monotonic() + CHURN_SECONDS
    answered = failed = ran = 0
    most = 0
    while ran < CHURN_QUERIES and (ran < CHURN_AT_LEAST or time.monotonic() < deadline):
        ran += 1
        # Every fifth query through /proc text: an answer or the library's error too.
        through_text = ran % 5 == 0
        try:
            rows = netstatlib.connections(
                "all", processes=True, backend=text if through_text else backend
            )
        except NetstatError:
            failed += 1
            continue
        answered += 1
        most = max(most, len(rows))
        if through_text:
            continue  # /proc text can list a socket twice: its walk resumes by position
        counts = Counter((row.protocol, row.family, row.inode) for row in rows if row.inode)
        twice = [key for key, count in counts.items() if count > 1]
        assert not twice, f"listed more than once: {twice}"
    assert backend.engine == "netlink"  # churn is no reason to give up netlink
    assert answered >= ran // 2, f"only {answered} answers, {failed} errors"
    assert most > 100, "the churn should have made many sockets"


# -- a table that changes between two datagrams of one dump -------------------------------

# Holds PAIRS socketpairs; on each line "add N" read from stdin makes N more, then says so.
GROWER = r"""
import json, os, socket, sys
held = [socket.socketpair() for _ in range(int(sys.argv[1]))]
print(json.dumps({"pid": os.getpid()}), flush=True)
for line in sys.stdin:
    held.extend(socket.socketpair() for _ in range(int(line.split()[1])))
    print("ok", flush=True)
"""
PAIRS = 1500


def test_a_socket_is_listed_once_when_the_table_changes_between_datagrams(
    lab: netns.Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New UNIX sockets made between the datagrams of one dump, deterministically.

    Unnamed UNIX sockets go to the head of one of 256 hash chains; the dump goes on
    where the last datagram stopped, counted from the head. With about 12 sockets per
    chain, a datagram almost always stops inside a chain, and 300 new sockets reach
    almost every chain: the socket listed last before the pause is listed again.
    """
    command = lab.ns.exec_args(sys.executable, "-c", GROWER, str(PAIRS))
    with netns.spawned(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as grower:
        pid = netns.read_json_line(grower)["pid"]
        assert grower.stdin is not None and grower.stdout is not None
        feed = DiagDump.feed
        pauses: list[int] = []

        def feed_then_grow(self: DiagDump, data: Any, size: int | None = None) -> bool:
            done = feed(self, data, size)
            if self.kind == "unix" and not done and len(pauses) < 4:
                pauses.append(len(self.rows))
                grower.stdin.write("add 150\n")  # type: ignore[union-attr]
                grower.stdin.flush()  # type: ignore[union-attr]
                assert grower.stdout.readline() == "ok\n"  # type: ignore[union-attr]
            return done

        backend = LinuxProcfs(pid=pid)
        assert backend.engine == "netlink"
        monkeypatch.setattr(DiagDump, "feed", feed_then_grow)
        rows = netstatlib.connections("unix", processes=False, backend=backend)
        monkeypatch.undo()
    assert len(pauses) == 4, "the dump should take several datagrams"
    assert len(rows) >= 2 * PAIRS
    counts = Counter(row.inode for row in rows if row.inode)
    twice = sorted(inode for inode, count in counts.items() if count > 1)
    assert not twice, f"{len(twice)} sockets listed twice (pauses after rows {pauses})"


def test_a_table_without_diagnostics_is_read_as_text_and_said(
    zoo: netns.Zoo, reference: dict[str, Any], one_walk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernel without diagnostics for one table (raw_diag or udp_diag not loaded):
    its sockets come from /proc text, all of them, and the table says they have no
    cookie; the other tables still come over netlink."""
    real = _netlink.DiagEngine._inet

    def no_udp(self: Any, diag: Any, protocol: Any, *args: Any) -> Any:
        if protocol is netstatlib.Protocol.UDP:
            raise _netlink._Refused(errno.ENOENT)
        return real(self, diag, protocol, *args)

    monkeypatch.setattr(_netlink.DiagEngine, "_inet", no_udp)
    backend = LinuxProcfs(pid=zoo.pid)
    rows = netstatlib.connections("inet", processes=True, backend=backend)
    assert backend.engine == "netlink"
    _same_answer(rows, _of_kind(reference["connections"], "inet"))
    udp = [row for row in rows if row.protocol is netstatlib.Protocol.UDP]
    tcp = [row for row in rows if row.protocol is netstatlib.Protocol.TCP]
    assert udp and all(row.cookie is None for row in udp)
    assert tcp and all(row.cookie is not None for row in tcp if row.inode)
    assert not rows.complete
    (note,) = rows.notes
    assert "udp, udp6" in note and "no socket cookie" in note
    complete = netstatlib.connections("tcp", processes=False, backend=backend)
    assert complete.complete and complete.notes == ()
