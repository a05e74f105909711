#!/usr/bin/env bash
# Instruction counts (valgrind; independent of machine load) of the issue-15 workloads for one
# build of the CLI. Usage: benches/icount.sh path/to/iommu-sim [scratch-dir]
# The scratch dir must hold the generated attach/flat files (see the notes) for the scaling rows.
set -uo pipefail
bin=$1
scratch=${2:-/tmp/i15}
here=$(cd "$(dirname "$0")" && pwd)
ir() { valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*I *refs: *//p' | tr -d ,; }
loop_ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='sim_core::sim::run' "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : *//p'; }
for hit in 50 0; do
    echo "simpy hit$hit whole-process Ir: $(ir "$bin" run "$here/simpy/hit$hit.ron")"
    echo "simpy hit$hit sim::run-only Ir: $(loop_ir "$bin" run "$here/simpy/hit$hit.ron")"
    # The same scenario with one DMA per device: its sim::run is the setup (attach, map) to
    # subtract for the translation loop alone.
    [ -f "$scratch/simpy-maponly-hit$hit.ron" ] && echo "simpy hit$hit setup-only sim::run Ir: $(loop_ir "$bin" run "$scratch/simpy-maponly-hit$hit.ron")"
done
for n in 250 500; do
    [ -f "$scratch/attach$n.ron" ] && echo "attach vfio-type1 $n instances Ir: $(ir "$bin" run --strategy vfio-type1 "$scratch/attach$n.ron")"
done
echo "default.ron (all strategies) Ir: $(ir "$bin" run "$here/../scenarios/default.ron")"
