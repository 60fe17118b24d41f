#!/usr/bin/env bash
# Runs the same operations with Python UltraDict 0.0.6 and with UltraDict for Swift in one run,
# prints one table with both columns and their ratio, then one line per performance target
# saying `met` or `missed` with the measured ratio.
#
#   bash Benchmarks/compare-python.sh
#
# It makes a virtual environment Benchmarks/.venv with Python UltraDict 0.0.6 the first time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

bash ../.ci/install-deps
if ! .venv/bin/python -c "import UltraDict, msgpack, atomics, psutil" 2>/dev/null; then
    python3 -m venv .venv
    .venv/bin/pip install -q ultradict==0.0.6 msgpack atomics psutil
fi
swift build -c release --product BenchmarkWorker >/dev/null

python=$(mktemp); swift=$(mktemp)
trap 'rm -f "$python" "$swift"' EXIT
echo "Measuring Python UltraDict 0.0.6..." >&2
.venv/bin/python compare_python.py >"$python"
echo "Measuring UltraDict for Swift (release build)..." >&2
.build/release/BenchmarkWorker compare >"$swift"

.venv/bin/python - "$python" "$swift" <<'PY'
import sys

def load(path):
    return {line.split("\t")[0]: float(line.split("\t")[1]) for line in open(path) if "\t" in line}

py, sw = load(sys.argv[1]), load(sys.argv[2])
def show(ns, op):
    if ns is None:
        return "-"
    if "byte" in op:  # sizes and ratios of sizes, not times
        return f"{ns:,.2f}" if ns < 100 else f"{ns:,.0f} B"
    return f"{ns / 1e9:.3f} s" if ns >= 1e7 else f"{ns:,.1f} ns"

print(f"{'operation':<32} {'Python 0.0.6':>14} {'Swift':>14} {'Python/Swift':>13}")
for op in sorted(set(py) | set(sw)):
    p, s = py.get(op), sw.get(op)
    ratio = f"{p / s:.1f}x" if p and s else "-"
    print(f"{op:<32} {show(p, op):>14} {show(s, op):>14} {ratio:>13}")
print()

def target(label, value, goal, at_least=True):
    met = value >= goal if at_least else value <= goal
    sign = ">=" if at_least else "<="
    print(f"{'met' if met else 'missed':<7} {label}: {value:.2f} ({sign} {goal})")

target("read vs Python UltraDict (x faster)", py["read"] / sw["read"], 35)
target("read vs plain Swift [Int: Int] (x slower)", sw["read"] / sw["read_plain"], 1.25, at_least=False)
target("int write vs Python default lock (x faster)", py["write_int"] / sw["write_int"], 40)
target("int write vs Python shared_lock=True (x faster)", py["write_int_shared_lock"] / sw["write_int"], 250)
target("1 KB string write vs Python default (x faster)", py["write_1kb_string"] / sw["write_1kb_string"], 100)
target("fresh-key write at 1,000,000 keys vs 1,000 keys (x)", sw["fresh_key_write_1000000"] / sw["fresh_key_write_1000"], 1.5, at_least=False)
print(f"        (the same inserts into a plain Swift [Int: Int]: {sw['fresh_key_write_plain_1000000'] / sw['fresh_key_write_plain_1000']:.2f}x)")
target("4-process locked counter vs Python (x faster)", py["locked_counter_4x25000"] / sw["locked_counter_4x25000"], 50)
target("shared memory in use vs encoded snapshot (x)", sw["shared_memory_per_snapshot_byte"], 2.0, at_least=False)
target("update(with:) of 1,000,000 entries vs encoding the snapshot alone (x)", sw["bulk_update_1000000"] / sw["bulk_encode_snapshot_1000000"], 2, at_least=False)
target("attach to 1,000,000 keys vs msgpack-c unpack into [Int: Int] (x)", sw["bulk_attach_1000000"] / sw["bulk_msgpack_c_unpack_1000000"], 2, at_least=False)
PY
