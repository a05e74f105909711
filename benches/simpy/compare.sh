#!/usr/bin/env bash
# iommu-sim against the SimPy model of the same workload (issue 15's ≥ 200× goal): times both
# whole processes in interleaved pairs (iommu-sim, SimPy, iommu-sim, SimPy, ...) pinned to one
# core, for 50 % and 0 % IOTLB hits, checks that both sides counted the same translations and
# hits, and prints each pair's ratio (translations/s of iommu-sim ÷ SimPy) and their median.
# Interleaving keeps the ratio fairly robust on a loaded machine; absolute times are not.
# Needs: a release build (cargo build --release), python3 with `pip install simpy==4.1.2`.
# Usage: benches/simpy/compare.sh [path/to/iommu-sim] [PAIRS (default 5)] [CPU (default 1)]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../target/release/iommu-sim}
pairs=${2:-5}
cpu=${3:-1}
python=${PYTHON:-python3}
"$python" -c 'import simpy' 2>/dev/null || { echo "needs simpy: pip install simpy==4.1.2" >&2; exit 2; }
pin=(taskset -c "$cpu")
command -v taskset >/dev/null || pin=()

now_ns() { date +%s%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { awk -v k="$1" '$1 == k {print $NF; exit}'; }

echo "load before: $(uptime)"
for hit in 50 0; do
    # Same work on both sides: the counts must agree before any time is compared.
    rs=$("$bin" run "$here/hit$hit.ron" --wide)
    py=$("$python" "$here/model.py" --hit "$hit")
    for k in translations iotlb_hits walk_reads; do
        a=$(field "$k" <<<"$rs"); b=$(field "$k" <<<"$py")
        [ "$a" = "$b" ] || { echo "hit$hit: $k differs: iommu-sim $a, SimPy $b" >&2; exit 1; }
    done
    n=$(field translations <<<"$rs")
    ratios=() rs_t=() py_t=()
    for i in $(seq "$pairs"); do
        t0=$(now_ns); "${pin[@]}" "$bin" run "$here/hit$hit.ron" >/dev/null; t1=$(now_ns)
        "${pin[@]}" "$python" "$here/model.py" --hit "$hit" >/dev/null; t2=$(now_ns)
        a=$((t1 - t0)) b=$((t2 - t1))
        rs_t+=("$a") py_t+=("$b")
        r=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.1f", b / a}')
        ratios+=("$r")
        printf 'hit%s pair %d: iommu-sim %.3f s, SimPy %.3f s, ratio %s\n' "$hit" "$i" "$(awk -v x="$a" 'BEGIN {print x / 1e9}')" "$(awk -v x="$b" 'BEGIN {print x / 1e9}')" "$r"
    done
    ra=$(printf '%s\n' "${rs_t[@]}" | median) pa=$(printf '%s\n' "${py_t[@]}" | median)
    rm=$(printf '%s\n' "${ratios[@]}" | median)
    awk -v h="$hit" -v n="$n" -v a="$ra" -v b="$pa" -v r="$rm" -v c="$cpu" -v p="$pairs" 'BEGIN {
        printf "hit%s: %d translations, %d pairs on cpu %s, medians: iommu-sim %.0f/s (%.3f s), SimPy %.0f/s (%.3f s); ratio (median of pairs) %.1fx (goal >= 200x: %s)\n",
            h, n, p, c, n / (a / 1e9), a / 1e9, n / (b / 1e9), b / 1e9, r, (r >= 200 ? "reached" : "not reached")
    }'
done
echo "load after: $(uptime)"
