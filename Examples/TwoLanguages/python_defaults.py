"""The Python half of `swift run TwoLanguages --pickle`: creates the dictionary with Python
UltraDict's defaults (pickle) and the shared lock, which writers of both languages need.

usage: .venv/bin/python python_defaults.py NAME TIMES

Prints "ready" once the dictionary exists, counts TIMES under the lock, prints "counted", then
waits for a line on standard input before it closes (its creator unlinks it then).
"""
import sys

from UltraDict import UltraDict

name, times = sys.argv[1], int(sys.argv[2])

d = UltraDict(name=name, create=True, shared_lock=True)
d["greeting"] = "Hello from Python"
d["hosts"] = ("alpha", "beta")
d["limits"] = {1: 10, 2: 20}
d["counter"] = 0
print("ready", flush=True)
for _ in range(times):
    with d.lock:
        d["counter"] += 1
print("counted", flush=True)
sys.stdin.readline()
print(f"Python read: {d['reply']}", flush=True)
d.close()
