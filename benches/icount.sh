#!/usr/bin/env bash
# Instruction counts (valgrind; independent of machine load) of the issue-15 workloads for one
# build. Usage: benches/icount.sh path/to/examples/one_run [path/to/iommu-sim [scratch-dir]]
# (`cargo build --release -p iommu-sim-benches --example one_run --example queue_icount`).
# `one_run` runs the translated strategy alone (no identity / IOMMU-off baselines); the loop
# cost per translation is (sim::run of the scenario − sim::run of its one-DMA setup twin) /
# translations. The CLI (optional) gives whole-process counts (all strategies + baselines).
# The scratch dir (optional) holds benches/gen_scaling.py's attach inputs.
set -uo pipefail
one=$1
bin=${2:-}
scratch=${3:-/tmp/i15}
here=$(cd "$(dirname "$0")" && pwd)
ir() { valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*I *refs: *//p' | tr -d ,; }
loop_ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='sim_core::sim::run' "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : *//p'; }
per() { # name scenario setup strategy translations
    local a b
    a=$(loop_ir "$one" "$2" "$4"); b=$(loop_ir "$one" "$3" "$4")
    echo "$1: sim::run $a, setup $b, loop $((a - b)) = $(( (a - b) / $5 )) per translation ($5)"
}
per "simpy hit50" "$here/simpy/hit50.ron" "$here/icount/simpy-setup-hit50.ron" vfio-type1 200000
per "simpy hit0" "$here/simpy/hit0.ron" "$here/icount/simpy-setup-hit0.ron" vfio-type1 200000
per "miss-heavy" "$here/icount/miss-heavy.ron" "$here/icount/miss-heavy-setup.ron" per-group 200000
if [ -n "$bin" ]; then
    for hit in 50 0; do echo "simpy hit$hit whole process (translated + 2 baselines) Ir: $(ir "$bin" run "$here/simpy/hit$hit.ron")"; done
    echo "miss-heavy whole process Ir: $(ir "$bin" run "$here/icount/miss-heavy.ron")"
    echo "default.ron whole process (7 strategies + 2 baselines) Ir: $(ir "$bin" run "$here/../scenarios/default.ron")"
    for n in 250 500; do
        [ -f "$scratch/attach$n.ron" ] && echo "attach vfio-type1 $n instances Ir: $(ir "$bin" run --strategy vfio-type1 "$scratch/attach$n.ron")"
    done
fi
q=$(dirname "$one")/queue_icount
if [ -x "$q" ]; then
    qi() { valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='queue_icount::run_*' "$q" "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : *//p'; }
    for p in 4 8 16 1000 10000; do
        for k in engine dary binary radix; do
            a=$(qi $k $p 1000000); b=$(qi $k $p $p)
            echo "queue $k, $p pending: $(( (a - b) / (1000000 - p) )) instructions per event (push + pop)"
        done
    done
    for k in engine dary; do
        a=$(qi $k 4 1000000 periodic); b=$(qi $k 4 4 periodic)
        echo "queue $k, 4 periodic sources: $(( (a - b) / (1000000 - 4) )) instructions per event (push + pop)"
    done
fi
