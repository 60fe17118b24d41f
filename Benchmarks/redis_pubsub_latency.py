"""Redis pub/sub's publish-to-receive latency across processes, the baseline of `changes()` in
compare-python.sh: starts a redis-server of its own (a free port, a temporary directory, no
persistence), subscribes here, and lets a second process publish the CLOCK_MONOTONIC reading
taken just before each publish, `WRITES` times every `INTERVAL` seconds (as BenchmarkWorker
change-latency writes). Prints `operation<TAB>microseconds` lines for p50 and p99, and stops the
server.

usage: redis_pubsub_latency.py
"""
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import redis

WRITES = 300
INTERVAL = 0.012


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def publisher(port):
    client = redis.Redis(port=port)
    for _ in range(WRITES):
        time.sleep(INTERVAL)
        client.publish("changes", str(time.monotonic_ns()))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--publish":
        publisher(int(sys.argv[2]))
        return
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
        subscription = client.pubsub()
        subscription.subscribe("changes")
        subscription.get_message(timeout=5)  # the subscription's confirmation
        sender = subprocess.Popen([sys.executable, __file__, "--publish", str(port)])
        latencies = []
        while len(latencies) < WRITES:
            message = subscription.get_message(timeout=10)
            if message is None:
                break
            if message["type"] == "message":
                latencies.append((time.monotonic_ns() - int(message["data"])) / 1000)
        sender.wait()
        latencies.sort()
        print(f"change_latency_redis_pubsub_p50_us\t{statistics.median(latencies):.1f}")
        print(f"change_latency_redis_pubsub_p99_us\t{latencies[int(len(latencies) * 0.99) - 1]:.1f}")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
