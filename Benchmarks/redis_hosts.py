"""The latency of a change from a write on one host to `changes()` on another, of a dictionary on
a Redis server on a third, against Redis pub/sub across the same hosts: the step "across hosts"
of compare-python.sh (as root; network_hosts.py).

Makes hosts a and b and a server namespace (network_hosts.py), each host linked to the server's
namespace by a veth pair of its own, and starts a redis-server there, listening on the server's
address on each link (redis_server.py). Then, in host b:

- `BenchmarkWorker redis-change-latency` consumes `changes()` of a dictionary that it makes
  through b's link, and runs its writer in host a, which writes through a's link;
- redis_pubsub_latency.py subscribes through b's link, and its publisher publishes from host a.

Both writers make WRITES writes, each after a pause of INTERVAL_US µs, long enough that a change
arrives before the next is written; each value is the writer's CLOCK_MONOTONIC reading, shared by
every namespace of the machine. Prints `operation<TAB>µs` lines: redis_hosts_changes_p50_us,
redis_hosts_changes_p99_us, redis_hosts_pubsub_p50_us, redis_hosts_pubsub_p99_us. Every process,
the server, the links and the namespaces are removed at the end, also on an error or a signal.

usage: redis_hosts.py BENCHMARK_WORKER
"""
import os
import subprocess
import sys
from pathlib import Path

from network_hosts import kill_processes, network_hosts, prefix
from redis_server import own_server

WRITES = 2_000
INTERVAL_US = 2_000
# Seconds that one measurement may take (it needs WRITES × INTERVAL_US, 4 s) before it is
# stopped: a writer that cannot reach the server would leave its reader waiting for ever.
TIMEOUT = 120
PACE = ["--writes", str(WRITES), "--interval-us", str(INTERVAL_US)]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: redis_hosts.py BENCHMARK_WORKER")
    worker = os.path.abspath(sys.argv[1])
    with network_hosts(["a", "b"]) as hosts:
        a, b = hosts["a"], hosts["b"]
        with own_server(namespace=hosts.server_namespace, addresses=[a.server_address, b.server_address]) as port:
            try:
                measure(worker, a, b, port)
            finally:  # before the server stops: a writer whose server is gone would trap
                kill_processes([a.namespace, b.namespace])


def measure(worker, a, b, port):
    """Runs both measurements in host b, with their writers in host a, and lets them print their figures."""
    in_b = prefix(b.namespace)
    subprocess.run(in_b + [worker, "redis-change-latency", f"redis://{b.server_address}:{port}",
                           "--writer-url", f"redis://{a.server_address}:{port}", "--writer-namespace", a.namespace,
                           "--name", "redis_hosts_changes", *PACE], check=True, timeout=TIMEOUT)
    subprocess.run(in_b + [sys.executable, str(Path(__file__).with_name("redis_pubsub_latency.py")),
                           "--host", b.server_address, "--port", str(port), "--publisher-host", a.server_address,
                           "--publisher-namespace", a.namespace, "--name", "redis_hosts_pubsub", *PACE],
                   check=True, timeout=TIMEOUT)


if __name__ == "__main__":
    main()
