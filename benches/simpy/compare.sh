#!/usr/bin/env bash
# iommu-sim against the SimPy model of the same workload (issue 15's ≥ 200× goal): times both
# whole processes in interleaved pairs (iommu-sim, SimPy, iommu-sim, SimPy, ...) pinned to one
# core, for 50 % and 0 % IOTLB hits, checks that both sides counted the same translations and
# hits, and prints each pair's ratio (translations/s of iommu-sim ÷ SimPy) and their median, on
# CPU time (user + sys: what the process itself used, robust to waiting for a loaded core) and on
# wall time. Interleaving keeps the ratio fairly robust on a loaded machine; absolute times are not.
# The goal is judged on the same work: `iommu-sim run --no-baselines` (the SimPy model has no
# identity / IOMMU-off baseline runs); the plain `run` (three passes: translated + 2 baselines)
# is timed in the same pairs and reported beside it.
# Needs: a release build (cargo build --release), python3 with `pip install simpy==4.1.2`.
# With the `one_run` example built (cargo build --release -p iommu-sim-benches --example one_run)
# it also compares the loops alone on CPU time: iommu-sim's translated run alone (no baselines)
# minus its one-DMA setup twin (benches/icount/simpy-setup-hit*.ron) against the SimPy model's
# own `loop_cpu_seconds` (env.run() alone).
# A run of iommu-sim lasts milliseconds, at the 1 ms resolution of bash's `time`: each of its
# figures is the mean over REPEAT back-to-back runs (default 10) timed as one, so that the
# resolution is 0.1 ms; SimPy's runs last seconds and are timed once.
# Usage: benches/simpy/compare.sh [path/to/iommu-sim] [PAIRS (default 5)] [CPU (default 1)]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../target/release/iommu-sim}
pairs=${2:-5}
cpu=${3:-1}
repeat=${REPEAT:-10}
[[ $repeat =~ ^[1-9][0-9]{0,3}$ ]] || { echo "REPEAT must be a whole number from 1 to 9999, not '$repeat'" >&2; exit 2; }
python=${PYTHON:-python3}
one_run=${ONE_RUN:-$here/../../target/release/examples/one_run}
"$python" -c 'import simpy' 2>/dev/null || { echo "needs simpy: pip install simpy==4.1.2" >&2; exit 2; }
pin=(taskset -c "$cpu")
command -v taskset >/dev/null || pin=()

# Runs "$@" (output discarded) and prints "wall cpu" in seconds (bash's `time`: real, user + sys).
timed() {
    local TIMEFORMAT='%R %U %S' t
    t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
    awk '{printf "%s %.3f\n", $1, $2 + $3}' <<<"$t"
}
# Runs "$@" REPEAT times back to back (output discarded) and prints the mean "wall cpu" per run.
timed_n() {
    local TIMEFORMAT='%R %U %S' t n=$repeat
    t=$( { time (for ((k = 0; k < n; k++)); do "$@" >/dev/null 2>&1; done); } 2>&1 )
    awk -v n="$n" '{printf "%.5f %.5f\n", $1 / n, ($2 + $3) / n}' <<<"$t"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { awk -v k="$1" '$1 == k {print $NF; exit}'; }

# The ratio depends on the machine (CPython and native code do not scale alike with clock and
# caches: stop 20's machine gave 163x where a 2 GHz EPYC gave 231x on the same build), so say
# which machine it is.
echo "machine: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || uname -m), $(nproc) cpus, $("$python" -c 'import platform, simpy; print("python", platform.python_version(), "simpy", simpy.__version__)')"
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
    cr=() wr=() rc=() pc=() rw=() pw=() fr=()
    for i in $(seq "$pairs"); do
        read -r aw ac < <(timed_n "${pin[@]}" "$bin" run --no-baselines "$here/hit$hit.ron")
        read -r bw bc < <(timed "${pin[@]}" "$python" "$here/model.py" --hit "$hit")
        read -r _ fc < <(timed_n "${pin[@]}" "$bin" run "$here/hit$hit.ron")
        c=$(awk -v a="$ac" -v b="$bc" 'BEGIN {printf "%.1f", b / a}')
        w=$(awk -v a="$aw" -v b="$bw" 'BEGIN {printf "%.1f", b / a}')
        f=$(awk -v a="$fc" -v b="$bc" 'BEGIN {printf "%.1f", b / a}')
        cr+=("$c") wr+=("$w") rc+=("$ac") pc+=("$bc") rw+=("$aw") pw+=("$bw") fr+=("$f")
        echo "hit$hit pair $i: cpu iommu-sim $ac s, SimPy $bc s, ratio $c; wall $aw s, $bw s, ratio $w; with baselines cpu $fc s, ratio $f"
    done
    m() { printf '%s\n' "$@" | median; }
    awk -v h="$hit" -v n="$n" -v p="$pairs" -v c="$cpu" -v a="$(m "${rc[@]}")" -v b="$(m "${pc[@]}")" \
        -v r="$(m "${cr[@]}")" -v w="$(m "${wr[@]}")" -v f="$(m "${fr[@]}")" 'BEGIN {
        printf "hit%s: %d translations each side, %d pairs pinned to cpu %s; median cpu time: iommu-sim %.4f s = %.0f translations/s, SimPy %.3f s = %.0f/s\n", h, n, p, c, a, n / a, b, n / b
        printf "hit%s: ratio iommu-sim --no-baselines / SimPy (median of pairs): %.1fx on cpu time, %.1fx on wall time; goal >= 200x %s\n", h, r, w, (r >= 200 ? "reached" : "not reached")
        printf "hit%s: with the two baselines (plain run, three passes): %.1fx on cpu time\n", h, f
    }'
    [ -x "$one_run" ] || continue
    lr=()
    for i in $(seq "$pairs"); do
        read -r _ full < <(timed_n "${pin[@]}" "$one_run" "$here/hit$hit.ron" vfio-type1)
        read -r _ setup < <(timed_n "${pin[@]}" "$one_run" "$here/../icount/simpy-setup-hit$hit.ron" vfio-type1)
        py=$("${pin[@]}" "$python" "$here/model.py" --hit "$hit" | field loop_cpu_seconds)
        lr+=("$(awk -v a="$full" -v s="$setup" -v b="$py" 'BEGIN {printf "%.1f", b / (a - s)}')")
        echo "hit$hit loop pair $i: cpu iommu-sim $full - $setup s (setup), SimPy $py s, ratio ${lr[-1]}"
    done
    echo "hit$hit: loops alone, ratio (median of pairs, cpu time): $(m "${lr[@]}")x"
done
echo "load after: $(uptime)"
