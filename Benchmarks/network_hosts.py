"""Hosts of a benchmark's own, as network namespaces (`ip netns`, as root): a server namespace with
a veth link to each host namespace, so that processes on different "hosts" reach a server over
a network link (redis_hosts.py). The idea of Tests/UltraDictTestSupport/NetworkHosts.swift.

    with network_hosts(["a", "b"]) as hosts:
        subprocess.run(prefix(hosts.server_namespace) + ["redis-server", ...])

The names are random (`udbr-SUFFIX` for the server, `udb<label>-SUFFIX` for the hosts), and so is
the private subnet, `10.X.Y.0/24`: host k gets `10.X.Y.(4k + 2)/30`, the server's end of its
link `10.X.Y.(4k + 1)`. Nothing is added to the namespace the benchmark runs in. At the end, on
an error, on SIGINT, SIGTERM or SIGHUP, every process left in the namespaces is killed and the
namespaces are deleted, which deletes their links.

As a command, `network_hosts.py --check` makes two hosts and removes them: it exits with 0 when
that works, else prints why not and exits with 1 (compare-python.sh asks it before its step).
"""
import contextlib
import dataclasses
import os
import random
import shutil
import signal
import subprocess
import sys

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Failure(Exception):
    """A command of `ip` that failed: the command and what it said."""


@dataclasses.dataclass(frozen=True)
class Host:
    """One host: a namespace with a link to the server's namespace."""
    label: str
    namespace: str
    address: str
    server_address: str
    """The server namespace's address on this host's link: where this host reaches the server."""


@dataclasses.dataclass(frozen=True)
class Hosts:
    """What network_hosts() made: the server's namespace and the hosts, in the order of their labels."""
    server_namespace: str
    hosts: list

    def __getitem__(self, label):
        return next(host for host in self.hosts if host.label == label)

    @property
    def namespaces(self):
        """Every namespace: the hosts' and the server's."""
        return [host.namespace for host in self.hosts] + [self.server_namespace]


def ip_path():
    """The path of `ip`; raises Failure when iproute2 is not installed."""
    path = shutil.which("ip") or shutil.which("ip", path="/usr/sbin:/sbin")
    if path is None:
        raise Failure("ip not found on PATH nor in /usr/sbin or /sbin: run `bash .ci/install-deps` (iproute2)")
    return path


def ip(*arguments):
    """Runs `ip ARGUMENTS` and returns what it printed; raises Failure with its error output."""
    done = subprocess.run([ip_path(), *arguments], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise Failure(f"ip {' '.join(arguments)} exited with status {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def prefix(namespace):
    """What runs a command inside `namespace`, to put before its arguments. `ip netns exec`
    replaces itself with the command (no fork): the process started is the command's."""
    return [ip_path(), "netns", "exec", namespace]


def _raise_exit(signum, _frame):
    """A signal's handler while the hosts exist: ends the program as SIGINT does, so that the
    hosts are removed."""
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def network_hosts(labels=("a", "b")):
    """Makes the server's namespace and one namespace per label (at most 63), each host linked to
    the server's by a veth pair, `lo` and the links up; yields Hosts and removes them all at the
    end. Raises Failure when `ip` fails (not root, no `ip`), having removed what it made. SIGTERM
    and SIGHUP end the program as SIGINT does, with the removal, while the hosts exist."""
    assert 0 < len(labels) <= 63 and len(set(labels)) == len(labels), "one to 63 distinct host labels"
    suffix = f"{random.randrange(1 << 24):x}"
    subnet = f"10.{random.randint(1, 254)}.{random.randint(0, 255)}"
    hosts = Hosts(f"udbr-{suffix}", [Host(label, f"udb{label}-{suffix}", f"{subnet}.{4 * index + 2}", f"{subnet}.{4 * index + 1}")
                                     for index, label in enumerate(labels)])
    previous = {signum: signal.signal(signum, _raise_exit) for signum in SIGNALS}
    try:
        ip("netns", "add", hosts.server_namespace)
        ip("-n", hosts.server_namespace, "link", "set", "lo", "up")
        for host in hosts.hosts:
            server_device = f"veth-{host.label[:10]}"
            ip("netns", "add", host.namespace)
            ip("-n", host.namespace, "link", "set", "lo", "up")
            ip("-n", hosts.server_namespace, "link", "add", server_device, "type", "veth", "peer", "name", "veth-server",
               "netns", host.namespace)
            ip("-n", hosts.server_namespace, "address", "add", f"{host.server_address}/30", "dev", server_device)
            ip("-n", host.namespace, "address", "add", f"{host.address}/30", "dev", "veth-server")
            ip("-n", hosts.server_namespace, "link", "set", server_device, "up")
            ip("-n", host.namespace, "link", "set", "veth-server", "up")
        yield hosts
    finally:
        for signum in SIGNALS:  # a second signal must not cut the removal short
            signal.signal(signum, signal.SIG_IGN)
        remove(hosts)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def kill_processes(namespaces):
    """Kills every process in `namespaces` (SIGKILL; `ip netns pids` lists only those that the
    benchmark started there). A namespace that does not exist has none."""
    for namespace in namespaces:
        with contextlib.suppress(Failure):
            for pid in ip("netns", "pids", namespace).split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)


def remove(hosts):
    """Kills every process still in the namespaces and deletes them, with their links. Errors
    are ignored: what cannot be deleted was not made."""
    kill_processes(hosts.namespaces)
    for namespace in hosts.namespaces:
        with contextlib.suppress(Failure):
            ip("netns", "delete", namespace)


if __name__ == "__main__":
    if sys.argv[1:] != ["--check"]:
        sys.exit("usage: network_hosts.py --check")
    try:
        with network_hosts():
            pass
    except Failure as failure:
        sys.exit(str(failure))
