#!/usr/bin/env bash
# The instruction-count guard (Docs/PERFORMANCE.md): counts the instructions of each hot path of
# UltraDict under callgrind, prints them beside the committed baseline, and fails when any grows
# more than 10% over it.
#
#   bash Benchmarks/instruction-counts.sh                     compare with instruction-counts.baseline
#   bash Benchmarks/instruction-counts.sh --update-baseline   write the figures of now as the baseline
#
# Each operation runs twice under callgrind, for one round and for two (Sources/InstructionCounts
# says what a round is), collecting only inside the measured function; the difference divided by
# the round's operations, rounded, is the figure, so one-time costs cancel. The counts repeat
# exactly, but for a few dozen instructions per full dump from its random segment name.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
baseline="$here/instruction-counts.baseline"
case "${1:-}" in
    "") update=false ;;
    --update-baseline) update=true ;;
    *) echo "usage: bash Benchmarks/instruction-counts.sh [--update-baseline]" >&2; exit 2 ;;
esac
if ! $update && [ ! -f "$baseline" ]; then
    echo "no $baseline: make it with --update-baseline" >&2
    exit 1
fi

bash "$here/../.ci/install-deps" >&2
swift build -c release --package-path "$here" --product InstructionCounts >&2
work=$(mktemp -d)
# A run that failed (an operation threw, valgrind died) leaves its dictionaries behind: the tool
# removes those whose process is dead.
cleanup() {
    rm -rf "$work"
    if compgen -G "/dev/shm/instruction_counts_*" >/dev/null; then
        swift run -q --package-path "$here/.." ultradict clean --prefix instruction_counts_ >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
# valgrind 3.19 cannot read the DWARF 5 that Swift emits; the symbol table is all it needs.
objcopy --strip-debug "$(swift build -c release --package-path "$here" --show-bin-path)/InstructionCounts" "$work/InstructionCounts"
# A fixed hash seed, so that the dictionaries' probes, and so the counts, repeat exactly.
export SWIFT_DETERMINISTIC_HASHING=1

# Instructions executed inside `ultradict_measured` while running $2 operations of $1.
instructions() {
    local out="$work/$1.$2.callgrind"
    if ! valgrind --tool=callgrind --collect-atstart=no --toggle-collect=ultradict_measured \
        --callgrind-out-file="$out" "$work/InstructionCounts" run "$1" "$2" 2>"$out.log"; then
        cat "$out.log" >&2
        return 1
    fi
    local total
    total=$(awk '/^totals:/ { print $2 }' "$out")
    if [ "${total:-0}" -eq 0 ]; then
        echo "callgrind collected nothing inside ultradict_measured while running $1" >&2
        return 1
    fi
    echo "$total"
}

echo "Counting instructions under callgrind..." >&2
figures="$work/figures"
for operation in $("$work/InstructionCounts" list); do
    round=$("$work/InstructionCounts" round "$operation")
    # One round and two rounds side by side, one per core.
    instructions "$operation" "$round" >"$work/one" & one=$!
    instructions "$operation" $((2 * round)) >"$work/two" & two=$!
    wait "$one" && wait "$two" || { wait; exit 1; }
    printf '%s\t%s\n' "$operation" $(( ($(<"$work/two") - $(<"$work/one") + round / 2) / round )) >>"$figures"
done

if $update; then
    {
        echo "# Instructions per operation of UltraDict's hot paths, as Benchmarks/instruction-counts.sh"
        echo "# counts them; .ci/run fails when one grows more than 10% over its figure here. Update it"
        echo "# deliberately, in a commit of its own that says why:"
        echo "#   bash Benchmarks/instruction-counts.sh --update-baseline"
        cat "$figures"
    } >"$baseline"
    echo "Wrote $baseline" >&2
fi

python3 - "$baseline" "$figures" <<'PY'
import sys

def load(path):
    rows = (line.rstrip("\n").split("\t") for line in open(path) if line.strip() and not line.startswith("#"))
    return {operation: int(figure) for operation, figure in rows}

baseline, now = load(sys.argv[1]), load(sys.argv[2])
print(f"{'operation':<28} {'baseline':>12} {'now':>12} {'ratio':>7}  status")
failed = False
for operation in list(baseline) + [op for op in now if op not in baseline]:
    old, new = baseline.get(operation), now.get(operation)
    if old is None or new is None:
        status, ratio, failed = "not in the baseline" if old is None else "not measured", "-", True
    else:
        ratio = f"{new / old:.3f}"
        if new > 1.10 * old:
            status, failed = "SLOWER: more than 10% over the baseline", True
        elif new < 0.90 * old:
            status = "faster: update the baseline to keep this gain"
        else:
            status = "ok"
    show = lambda figure: "-" if figure is None else f"{figure:,}"
    print(f"{operation:<28} {show(old):>12} {show(new):>12} {ratio:>7}  {status}")
print("instructions per operation, counted by callgrind")
if failed:
    print("FAILED: an instruction count grew more than 10% over Benchmarks/instruction-counts.baseline, or an operation is new or gone.")
    print("If the change is deliberate, run `bash Benchmarks/instruction-counts.sh --update-baseline` and commit the baseline with the reason.")
    sys.exit(1)
PY
