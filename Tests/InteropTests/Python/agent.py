"""A Python UltraDict 0.0.6 process that the interop tests drive, one command per line.

usage: agent.py NAME --serializer msgpack|json|pickle [--create [--buffer-size N] [--full-dump-size N] [--recurse]
                [--keep]] [--shared-lock]

Opens the dictionary NAME (creates it with --create, else attaches), prints "ready PID", then
answers every command read from stdin with one line: "ok [RESULT]" or "error TYPE: MESSAGE".
Without --shared-lock a creator uses Python's default process-local lock and an attacher takes
the creator's. With --recurse a creator nests dictionaries (`recurse=True`, pickle only); with
--keep it does not unlink the dictionary when it closes. The value corpus mirrors the Swift
tests' `Corpus.swift`.
"""
import argparse
import json
import math
import os
import sys
import time

try:
    import atomics  # noqa: F401  (UltraDict's shared lock needs it)
    import psutil  # noqa: F401  (UltraDict's lock stealing needs it)
    from UltraDict import UltraDict
    from serializers import SERIALIZERS
except ImportError as error:
    sys.exit(f"missing Python package: {error} (run `bash .ci/install-deps`)")


def corpus(serializer):
    """Every value type both languages support with `serializer`, by key."""
    values = {
        "none": None,
        "true": True,
        "false": False,
        "zero": 0,
        "int": 42,
        "negative": -7,
        "int64_min": -(2**63),
        "int64_max": 2**63 - 1,
        "uint64_max": 2**64 - 1,
        "float": 3.25,
        "integral_float": 3.0,
        "negative_float": -0.1,
        "tiny_float": 5e-324,
        "huge_float": 1.7976931348623157e308,
        "infinity": math.inf,
        "empty_string": "",
        "unicode": "héllo wörld ✓ 日本語 🎉 \"quoted\" \\ back\nslash\ttab",
        "bytes": b"\x00\x01\xfe\xff",
        "empty_bytes": b"",
        "list": [1, "two", 3.5, None, True, [4, [5]], {"k": "v"}],
        "empty_list": [],
        "dict": {"a": 1, "b": [1, 2], "c": {"d": None}, "é": "ü"},
        "empty_dict": {},
    }
    if serializer != "json":
        # JSON object keys are strings: MessagePack and pickle keep these keys' types.
        values["int_keyed_dict"] = {1: "one", -2: "minus two"}
    return values


def same(a, b):
    """Equal and of the same types throughout (in Python, 1 == 1.0 == True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def int_key(d, serializer, i):
    """The key under which `d` holds int key `i`: JSON full dumps turn int keys into strings."""
    if serializer == "json" and i not in d.data and str(i) in d.data:
        return str(i)
    return i


class Agent:
    """The commands: each takes its words as strings and returns the text after "ok"."""

    def __init__(self, d, serializer):
        self.d = d
        self.serializer = serializer

    def set(self, prefix):
        for key, value in corpus(self.serializer).items():
            self.d[prefix + key] = value

    def expect(self, prefix):
        self.d.apply_update()
        for key, expected in corpus(self.serializer).items():
            if prefix + key not in self.d:
                raise AssertionError(f"{prefix + key} is missing")
            got = self.d[prefix + key]
            if not same(got, expected):
                raise AssertionError(f"{prefix + key}: got {got!r}, expected {expected!r}")

    def delete(self, *keys):
        for key in keys:
            del self.d[key]

    def expect_absent(self, *keys):
        present = [key for key in keys if key in self.d]
        if present:
            raise AssertionError(f"still present: {present}")

    def write_range(self, start, end):
        for i in range(int(start), int(end)):
            self.d[i] = i

    def expect_range(self, start, end):
        self.d.apply_update()
        for i in range(int(start), int(end)):
            got = self.d.data.get(int_key(self.d, self.serializer, i))
            if not same(got, i):
                raise AssertionError(f"key {i}: got {got!r}")
        return "key types " + ",".join(sorted({type(k).__name__ for k in self.d.data}))

    def count_up(self, key, times):
        for i in range(1, int(times) + 1):
            self.d[key] = i

    def get_int(self, key):
        return str(self.d[key])

    def dump(self):
        self.d.dump()

    def status(self):
        counter = int.from_bytes(self.d.full_dump_counter_remote, "little")
        position = int.from_bytes(self.d.update_stream_position_remote, "little")
        dump_name = bytes(self.d.full_dump_memory_name_remote).decode("utf-8").strip().strip("\x00")
        return f"counter {counter} position {position} dump {dump_name or '-'}"

    def increment(self, key, times):
        for _ in range(int(times)):
            with self.d.lock:
                self.d[key] += 1
        return str(self.d[key])

    def nest_make(self, key):
        """Stores a dict of dicts under `key`: with recursion, nested dictionaries."""
        self.d[key] = {"n": 0, "deep": {"m": 0}}

    def nested(self, path):
        """The value at the dotted `path` of keys, through nested dictionaries."""
        node = self.d
        for key in path.split("."):
            node = node[key]
        return node

    def nest_type(self, path):
        return type(self.nested(path)).__name__

    def nest_increment(self, path, times):
        """Increments the counter at the dotted `path` `times` times under its dictionary's lock."""
        *parents, key = path.split(".")
        node = self.nested(".".join(parents)) if parents else self.d
        for _ in range(int(times)):
            with node.lock:
                node[key] += 1
        return str(node[key])

    def nest_get(self):
        """The whole dictionary as JSON, nested dictionaries copied, keys sorted."""
        def plain(value):
            return {k: plain(v) for k, v in value.items()} if isinstance(value, (dict, UltraDict)) else value
        return json.dumps(plain(self.d), sort_keys=True, separators=(",", ":"))

    def hold_lock(self):
        """Takes the lock, says so, and sleeps until killed."""
        self.d.lock.acquire()
        say(f"ok holding {os.getpid()}")
        while True:
            time.sleep(60)

    def hold_lock_for(self, seconds):
        """Takes the lock, holds it `seconds`, and releases it (which wakes nobody, as in 0.0.6)."""
        with self.d.lock:
            time.sleep(float(seconds))

    def lock(self, steal=None):
        """Takes the lock and releases it: within 5 s, or with `steal` after 1 s from a dead owner.

        (`with d.lock(timeout=...)` would pass its arguments in the wrong order in 0.0.6.)
        """
        if steal:
            self.d.lock.acquire(timeout=1.0, steal_after_timeout=True)
        else:
            self.d.lock.acquire(timeout=5.0)
        self.d.lock.release()


def say(line):
    print(line, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--serializer", choices=SERIALIZERS, required=True)
    parser.add_argument("--create", action="store_true")
    parser.add_argument("--buffer-size", type=int, default=10_000)
    parser.add_argument("--full-dump-size", type=int)
    parser.add_argument("--shared-lock", action="store_const", const=True)
    parser.add_argument("--recurse", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    try:
        if args.create:
            d = UltraDict(
                name=args.name, create=True, buffer_size=args.buffer_size, full_dump_size=args.full_dump_size,
                serializer=SERIALIZERS[args.serializer], shared_lock=args.shared_lock,
                recurse=args.recurse, auto_unlink=False if args.keep else None,
            )
        else:
            d = UltraDict(name=args.name, create=False, serializer=SERIALIZERS[args.serializer], shared_lock=args.shared_lock)
    except Exception as error:
        say(f"error {type(error).__name__}: {error}")
        return
    say(f"ready {os.getpid()}")
    agent = Agent(d, args.serializer)
    for line in sys.stdin:
        command, *words = line.split()
        if command == "close":
            break
        if command == "unlink":
            d.close(unlink=True)
            say("ok unlinked")
            return
        try:
            result = getattr(agent, command.replace("-", "_"))(*words)
        except Exception as error:
            say(f"error {type(error).__name__}: {error}")
        else:
            say("ok" if result is None else f"ok {result}")
    d.close()
    say("ok closed")


if __name__ == "__main__":
    main()
