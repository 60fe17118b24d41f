#!/usr/bin/env bash
# Checks the publication model (publication.pml) with spin for dynamic and static dumps, streams
# of 4 to 10 writes, and a writer that runs to the end or is killed at any step; then the wake
# model (wake.pml) with 2 to 8 writes, and with one or two lock waiters too, and that it fails as
# it must without either side's fence (NOFENCE=1, 2) or without the release's new start
# (NORESTART=1). Needs the Debian packages spin and gcc. Exits
# non-zero on any error, or if a fence-less wake model passes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for kill in 0 1; do
for static in 0 1; do
    for writes in 4 5 6 7 8 9 10; do
        spin -a -DSTATIC=$static -DMAXW=$writes -DKILL=$kill "$here/publication.pml" >/dev/null
        gcc -O2 -DSAFETY -o pan pan.c
        result=$(./pan -m200000)
        errors=$(echo "$result" | sed -n 's/.*errors: \([0-9]*\).*/\1/p')
        states=$(echo "$result" | sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p')
        echo "kill=$kill static=$static writes=$writes: errors=$errors states=$states"
        [ "$errors" = "0" ] || { echo "$result"; exit 1; }
    done
done
done
echo "publication model: all cases hold"

# Runs the wake model with the given -D flags; prints the result line, sets $errors.
check_wake() {
    spin -a "$@" "$here/wake.pml" >/dev/null
    gcc -O2 -DSAFETY -o pan pan.c
    result=$(./pan -m100000)
    errors=$(echo "$result" | sed -n 's/.*errors: \([0-9]*\).*/\1/p')
    states=$(echo "$result" | sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p')
    echo "wake $*: errors=$errors states=$states"
}
for case in "-DLOCK=0 -DMAXW=2" "-DLOCK=0 -DMAXW=4" "-DLOCK=0 -DMAXW=6" "-DLOCK=0 -DMAXW=8" "-DLOCK=1 -DMAXW=1" "-DLOCK=1 -DMAXW=2" \
    "-DLOCK=1 -DLOCKWAITERS=2 -DMAXW=0" "-DLOCK=1 -DLOCKWAITERS=2 -DMAXW=1 -DHOLDS=1"; do
    # shellcheck disable=SC2086
    check_wake $case
    [ "$errors" = "0" ] || { echo "$result"; exit 1; }
done
# Without a fence a waiter must be able to sleep through the last write: the check has teeth.
for nofence in 1 2; do
    for lock in 0 1; do
        check_wake -DLOCK=$lock -DMAXW=2 -DNOFENCE=$nofence
        [ "$errors" != "0" ] || { echo "the wake model holds without a fence (NOFENCE=$nofence): it no longer checks the fences"; exit 1; }
    done
done
# Without the new start, two lock waiters must be able to sleep with the lock free.
check_wake -DLOCK=1 -DLOCKWAITERS=2 -DMAXW=0 -DNORESTART=1
[ "$errors" != "0" ] || { echo "the wake model holds without the release's new start: it no longer checks it"; exit 1; }
echo "wake model: all cases hold, and fail without either fence or the new start as they must"
