"""A redis-server of the benchmarks' own: a free port, a temporary directory, no persistence;
stopped (SIGKILL: it has nothing to save) and its directory removed at the end.

    with own_server() as port: ...                   # on this namespace's 127.0.0.1
    with own_server(namespace=NS, addresses=[...]) as port: ...

With `namespace`, the server runs inside that network namespace (`ip netns exec`, as root;
network_hosts.py makes one), listening on its `addresses` there, on a random port (a fresh
namespace has every port free), without protected mode: only the hosts linked to the namespace
reach it.

As a command, runs COMMAND with `{url}` in its arguments replaced by the server's URL:

usage: redis_server.py COMMAND [ARGUMENT...]
"""
import contextlib
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from network_hosts import prefix


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def own_server(namespace=None, addresses=("127.0.0.1",)):
    """Starts the server, waits until its log says it accepts connections, yields its port, and
    stops it. Raises RuntimeError, with the end of its log, when it does not start in 10 s."""
    port = random.randint(20000, 59999) if namespace else free_port()
    directory = tempfile.mkdtemp(prefix="ultradict-redis-")
    log = Path(directory) / "redis.log"
    command = ["redis-server", "--port", str(port), "--bind", *addresses, "--dir", directory, "--save", "", "--appendonly", "no",
               "--logfile", str(log)]
    if namespace:
        command = prefix(namespace) + command + ["--protected-mode", "no"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # `ip netns exec` becomes the server
    try:
        deadline = time.monotonic() + 10
        while "eady to accept connections" not in (log.read_text() if log.exists() else ""):
            if server.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text()[-2000:] if log.exists() else "(no log)"
                raise RuntimeError(f"redis-server on port {port} did not start:\n{tail}")
            time.sleep(0.01)
        yield port
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    with own_server() as port:
        url = f"redis://127.0.0.1:{port}"
        sys.exit(subprocess.call([argument.replace("{url}", url) for argument in sys.argv[1:]]))
