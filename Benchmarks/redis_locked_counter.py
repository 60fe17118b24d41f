"""The baseline of UltraDict's locked counter on Redis in compare-python.sh: 4 processes × 2,500
increments of one key under redis-py's `Lock` (polling every millisecond, not its default 100 ms,
so that the lock's wait is not what is measured) with GET and SET, against a redis-server of its
own (redis_server.py). Prints `redis_py_locked_counter_4x2500<TAB>nanoseconds`, after checking
that the count is exact.

usage: redis_locked_counter.py
"""
import subprocess
import sys
import time

import redis

from redis_server import own_server

PROCESSES = 4
INCREMENTS = 2_500


def increment(port):
    client = redis.Redis(port=port)
    lock = client.lock("counter:lock", sleep=0.001)
    for _ in range(INCREMENTS):
        with lock:
            client.set("counter", int(client.get("counter") or 0) + 1)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--increment":
        increment(int(sys.argv[2]))
        return
    with own_server() as port:
        start = time.monotonic_ns()
        workers = [subprocess.Popen([sys.executable, __file__, "--increment", str(port)]) for _ in range(PROCESSES)]
        for worker in workers:
            worker.wait()
        elapsed = time.monotonic_ns() - start
        count = int(redis.Redis(port=port).get("counter") or 0)
        if count != PROCESSES * INCREMENTS:
            sys.exit(f"the redis-py counter is {count}, not {PROCESSES * INCREMENTS}")
        print(f"redis_py_locked_counter_4x2500\t{elapsed}")


if __name__ == "__main__":
    main()
