#!/usr/bin/env bash
# Checks the publication model (publication.pml) with spin for dynamic and static dumps, streams
# of 4 to 10 writes, and a writer that runs to the end or is killed at any step. Needs the Debian packages spin and gcc. Exits non-zero on any error.
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
