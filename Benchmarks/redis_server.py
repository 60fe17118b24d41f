"""A redis-server of the benchmarks' own: a free loopback port, a temporary directory, no
persistence; stopped (SIGKILL: it has nothing to save) and its directory removed at the end.

    with own_server() as port: ...

As a command, runs COMMAND with `{url}` in its arguments replaced by the server's URL:

usage: redis_server.py COMMAND [ARGUMENT...]
"""
import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import redis


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def own_server():
    """Starts the server, waits until it answers PING, yields its port, and stops it."""
    port = free_port()
    directory = tempfile.mkdtemp(prefix="ultradict-redis-")
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", directory, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield port
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    with own_server() as port:
        url = f"redis://127.0.0.1:{port}"
        sys.exit(subprocess.call([argument.replace("{url}", url) for argument in sys.argv[1:]]))
