"""Redis pub/sub's publish-to-receive latency across processes, the baseline of `changes()` in
compare-python.sh: subscribes here, and lets a second process publish the CLOCK_MONOTONIC reading
taken just before each publish, WRITES times every INTERVAL µs (as BenchmarkWorker
change-latency writes). Prints `NAME_p50_us<TAB>µs` and `NAME_p99_us<TAB>µs` lines (NAME is
change_latency_redis_pubsub by default).

Without --port it starts a redis-server of its own on loopback (redis_server.py) and stops it at
the end. With --host and --port it uses that server, as redis_hosts.py does across hosts: this
process subscribes through HOST, and the publisher, run inside --publisher-namespace when given
(`ip netns exec`), publishes through --publisher-host (HOST by default). Network namespaces
share the kernel's clock, so both ends' readings agree.

usage: redis_pubsub_latency.py [--host HOST --port PORT [--publisher-host HOST] [--publisher-namespace NS]]
                               [--writes N] [--interval-us U] [--name NAME]
"""
import argparse
import contextlib
import statistics
import subprocess
import sys
import time

import redis

from network_hosts import prefix
from redis_server import own_server

WRITES = 300
INTERVAL_US = 12_000


def publisher(host, port, writes, interval_us):
    """The publishing process: `writes` publishes of the clock, each after `interval_us` µs."""
    client = redis.Redis(host=host, port=port)
    for _ in range(writes):
        time.sleep(interval_us / 1e6)
        client.publish("changes", str(time.monotonic_ns()))


def measure(arguments, port):
    """Subscribes through --host, runs the publisher, and returns the sorted latencies in µs of
    the messages that arrived (a wait of 10 s for the next one ends the measurement)."""
    host = arguments.host
    client = redis.Redis(host=host, port=port)
    subscription = client.pubsub()
    subscription.subscribe("changes")
    subscription.get_message(timeout=5)  # the subscription's confirmation
    command = [sys.executable, __file__, "--publish", "--host", arguments.publisher_host or host, "--port", str(port),
               "--writes", str(arguments.writes), "--interval-us", str(arguments.interval_us)]
    if arguments.publisher_namespace:
        command = prefix(arguments.publisher_namespace) + command
    sender = subprocess.Popen(command)
    latencies = []
    while len(latencies) < arguments.writes:
        message = subscription.get_message(timeout=10)
        if message is None:
            break
        if message["type"] == "message":
            latencies.append((time.monotonic_ns() - int(message["data"])) / 1000)
    sender.wait()
    return sorted(latencies)


def main():
    parser = argparse.ArgumentParser(description="Redis pub/sub latency across processes")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, help="a running server's port; without it, a server of its own")
    parser.add_argument("--publisher-host")
    parser.add_argument("--publisher-namespace")
    parser.add_argument("--writes", type=int, default=WRITES)
    parser.add_argument("--interval-us", type=int, default=INTERVAL_US)
    parser.add_argument("--name", default="change_latency_redis_pubsub")
    parser.add_argument("--publish", action="store_true", help=argparse.SUPPRESS)  # the publishing process
    arguments = parser.parse_args()
    if arguments.publish:
        publisher(arguments.host, arguments.port, arguments.writes, arguments.interval_us)
        return
    with (contextlib.nullcontext(arguments.port) if arguments.port else own_server()) as port:
        latencies = measure(arguments, port)
    print(f"{arguments.name}_p50_us\t{statistics.median(latencies):.1f}")
    print(f"{arguments.name}_p99_us\t{latencies[int(len(latencies) * 0.99) - 1]:.1f}")


if __name__ == "__main__":
    main()
