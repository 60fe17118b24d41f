"""Redis pub/sub's publish-to-receive latency across processes, the baseline of `changes()` in
compare-python.sh: starts a redis-server of its own (redis_server.py), subscribes here, and lets a second process publish the CLOCK_MONOTONIC reading
taken just before each publish, `WRITES` times every `INTERVAL` seconds (as BenchmarkWorker
change-latency writes). Prints `operation<TAB>microseconds` lines for p50 and p99, and stops the
server.

usage: redis_pubsub_latency.py
"""
import statistics
import subprocess
import sys
import time

import redis

from redis_server import own_server

WRITES = 300
INTERVAL = 0.012


def publisher(port):
    client = redis.Redis(port=port)
    for _ in range(WRITES):
        time.sleep(INTERVAL)
        client.publish("changes", str(time.monotonic_ns()))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--publish":
        publisher(int(sys.argv[2]))
        return
    with own_server() as port:
        client = redis.Redis(port=port)
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


if __name__ == "__main__":
    main()
