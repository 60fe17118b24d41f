#!/usr/bin/env bash
# Runs the same operations with Python UltraDict 0.0.6 and with UltraDict for Swift, three times
# each, and prints one table with the median of both columns and their ratio; then the Swift-only
# benchmarks of reads under a busy writer, of applying against writing, of writes to each store,
# of change notifications (against Redis pub/sub), of the dictionary on Redis and, as root, of change
# notifications across hosts in network namespaces (redis_hosts.py) (one run each); then one
# line per performance target: the target, the baseline it is measured against, what was
# measured, the goal, and `met` or `missed` (compare_report.py).
#
#   bash Benchmarks/compare-python.sh
#
# .ci/install-deps makes the virtual environment .venv with Python UltraDict 0.0.6 the first time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

bash ../.ci/install-deps
python=../.venv/bin/python
swift build -c release --product BenchmarkWorker >/dev/null
worker=.build/release/BenchmarkWorker

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
# Python and Swift runs alternate, so that a change in the machine's load falls on both sides.
for run in 1 2 3; do
    echo "Run $run of 3: Python UltraDict 0.0.6, then UltraDict for Swift (release build)..." >&2
    "$python" compare_python.py >"$results/python.$run"
    "$worker" compare >"$results/swift.$run"
done
echo "Reads under a busy writer, applying against writing, writes to each store, reads of a Sendable handle..." >&2
"$worker" busy-writer >"$results/busy-writer"
"$worker" apply-vs-write >"$results/apply-vs-write"
"$worker" store-writes >"$results/store-writes"
"$worker" sendable-reads >"$results/sendable-reads"
echo "Change notifications: changes() against polling and Redis pub/sub, then an idle consumer's CPU..." >&2
{ "$worker" change-latency; "$python" redis_pubsub_latency.py; } >"$results/changes"
echo "The dictionary on Redis against shared memory, raw hiredis and redis-py..." >&2
{ "$python" redis_server.py "$worker" redis "{url}"; "$python" redis_locked_counter.py; } >"$results/redis"
echo "Change notifications across hosts (network namespaces): changes() over Redis against Redis pub/sub..." >&2
skipped=""
if [ "$(id -u)" -ne 0 ]; then
    skipped="not running as root, which network namespaces need"
elif ! why=$("$python" network_hosts.py --check 2>&1); then
    skipped="ip netns does not work here: $why"
fi
if [ -n "$skipped" ]; then
    echo "Skipped changes() across hosts: $skipped" >&2
    echo "# skipped: $skipped" >"$results/redis-hosts"
else
    "$python" redis_hosts.py "$worker" >"$results/redis-hosts"
fi

"$python" compare_report.py "$results"
