#!/usr/bin/env bash
# Whole-process translations/s of the SimPy-shaped workload (issue 15): runs the release binary
# on each scenario N times (default 5) and prints the best wall time and translations/s.
# Usage: benches/simpy/run.sh [path/to/iommu-sim] [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../target/release/iommu-sim}
n=${2:-5}
for hit in 50 0; do
    best=
    for _ in $(seq "$n"); do
        t0=$(date +%s%N)
        "$bin" run "$here/hit$hit.ron" >/dev/null
        t=$(( $(date +%s%N) - t0 ))
        if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
    done
    echo "hit$hit: best of $n: $((best / 1000)) us, $(( 200000 * 1000000000 / best )) translations/s (whole process)"
done
