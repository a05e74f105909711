#!/usr/bin/env bash
# iommu-sim's translation loop against the bare C loops of benches/bare/translate.c (issue 15:
# "≥ 0.5 of the bare loop on misses"), on the SimPy-shaped workload at 50 % and 0 % IOTLB hits.
# iommu-sim's loop time is the best of REPS in-process runs of the translated strategy alone
# (`one_run`, no baselines, the scenario parsed once) minus the best of its one-DMA setup twin
# (benches/icount/simpy-setup-hit*.ron); the C loops' is their best of REPS. All pinned to one
# core. Prints translations/s of each and the ratios.
# Needs: cargo build --release -p iommu-sim-benches --example one_run; a C compiler (cc).
# Usage: benches/bare/compare.sh [REPS (default 20)] [CPU (default 1)]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
reps=${1:-20}
cpu=${2:-1}
one_run=${ONE_RUN:-$here/../../target/release/examples/one_run}
bare=$(mktemp -d)/translate
trap 'rm -rf "$(dirname "$bare")"' EXIT
cc -O2 -o "$bare" "$here/translate.c"
pin=(taskset -c "$cpu")
command -v taskset >/dev/null || pin=()
field() { awk -v k="$1" '$1 == k {print $2; exit}'; }
echo "load before: $(uptime)"
for hit in 50 0; do
    full=$("${pin[@]}" "$one_run" "$here/../simpy/hit$hit.ron" vfio-type1 "$reps" | field best_seconds)
    setup=$("${pin[@]}" "$one_run" "$here/../icount/simpy-setup-hit$hit.ron" vfio-type1 "$reps" | field best_seconds)
    look=$("${pin[@]}" "$bare" lookup "$hit" "$reps")
    walk=$("${pin[@]}" "$bare" walk "$hit" "$reps")
    [ "$(field iotlb_hits <<<"$look")" = "$(field iotlb_hits <<<"$walk")" ] || { echo "hit$hit: the C loops disagree" >&2; exit 1; }
    awk -v h="$hit" -v f="$full" -v s="$setup" -v l="$(field loop_cpu_seconds <<<"$look")" -v w="$(field loop_cpu_seconds <<<"$walk")" 'BEGIN {
        n = 200000; sim = n / (f - s)
        printf "hit%s: iommu-sim loop %.2f M translations/s (%.3f ms - %.3f ms setup); bare lookup %.1f M/s; bare lookup+walk %.1f M/s\n", h, sim / 1e6, f * 1e3, s * 1e3, n / l / 1e6, n / w / 1e6
        printf "hit%s: iommu-sim / bare lookup %.3f, / bare lookup+walk %.3f\n", h, sim * l / n, sim * w / n
    }'
done
echo "load after: $(uptime)"
