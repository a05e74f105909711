#!/usr/bin/env bash
# Fills fuzz/corpus/TARGET/ with seeds from the repository's own files (docs/fuzzing.md).
# Usage: bash fuzz/seed.sh [path/to/iommu-sim]   (the binary writes the trace seeds)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/iommu-sim}
c=fuzz/corpus
mkdir -p $c/topology $c/scenario $c/expected $c/trace $c/results
cp topologies/*.ron tests/data/strategies/topologies/*.ron tests/data/check/topo.ron tests/data/topology/malformed/*.ron $c/topology/ 2>/dev/null || true
cp scenarios/*.ron scenarios/long/*.ron tests/data/hostile/*.ron tests/data/check/small.ron $c/scenario/
for f in scenarios/*.expected; do cp "$f" $c/expected/; done
cp tests/data/reports/*.json $c/results/
if [ -x "$bin" ]; then
    tmp=$(mktemp -d)
    cp tests/data/check/small.ron tests/data/check/topo.ron "$tmp"/
    "$bin" run "$tmp/small.ron" --trace "$tmp/t.trace" >/dev/null
    cp "$tmp"/*.trace $c/trace/
    "$bin" run --json "$tmp/small.ron" > $c/results/small.json
    # Small seeds that fit the -max_len of docs/fuzzing.md whole.
    "$bin" run --json --strategy per-group "$tmp/small.ron" > $c/results/small-per-group.json
    "$bin" check --bless "$tmp/small.ron" >/dev/null
    cp "$tmp/small.expected" $c/expected/
    rm -rf "$tmp"
fi
echo "seeded: $(ls $c/* | wc -l) files in $c"
