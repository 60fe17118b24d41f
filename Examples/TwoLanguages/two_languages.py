"""The Python half of Examples/TwoLanguages: attaches to the dictionary the Swift program created.

usage: .venv/bin/python two_languages.py NAME TIMES

Needs Python UltraDict 0.0.6, msgpack, atomics and psutil (`bash .ci/install-deps` puts them in .venv).
"""
import sys

import msgpack
from UltraDict import UltraDict

name, times = sys.argv[1], int(sys.argv[2])

# The Swift side's defaults: MessagePack and the shared lock (shared_lock=True).
d = UltraDict(name=name, create=False, serializer=msgpack, shared_lock=True)
print(f"Python read: {d['greeting']}")
d["reply"] = "Hello from Python"
d["languages"] = ["Swift", "Python"]
for _ in range(times):
    with d.lock:
        d["counter"] += 1
d.close()
