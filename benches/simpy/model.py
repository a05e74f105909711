#!/usr/bin/env python3
"""SimPy model of the SimPy-shaped workload of issue 15, the reference iommu-sim is timed against.

Install (not needed by the tests, only by benches/simpy/compare.sh):

    pip install simpy==4.1.2

Usage: python3 benches/simpy/model.py [--hit 50|0]

What it models: the same work as benches/simpy/hit50.ron and hit0.ron (topology simpy.ron) do in
iommu-sim, written the way a SimPy user would write it (processes, a Resource, timeouts):

- 4 devices, each a process issuing a read DMA every 100 cycles from cycle 1001 + d (d = 0..3),
  at IOVA base_d + (k * 4096 mod 0x1fff000) (base_d = d * 32 MiB), like the scenario's
  `repeat: (every: 100, stride: 4096, wrap: 0x1fff000)`. hit50: 25 000 DMAs of 8 KiB per device
  (2 pages: the second page is the next DMA's first, so ~50 % IOTLB hits); hit0: 50 000 DMAs of
  4 KiB per device (every page new: 0 % hits). 200 000 translations either way.
- One translation per 4 KiB page (the Rust topology sets MRRS 4096: one TLP per page); the pages
  of a DMA are looked up in parallel (one process each).
- A 2048-entry 4-way set-associative LRU IOTLB (512 sets, set = page number mod 512; one domain).
  A hit costs 3 cycles.
- A miss walks a 4-level page table (4 KiB pages, level shifts 39/30/21/12) on one of 16 walkers
  (a simpy.Resource). The walk cache has one entry per cached depth (depths 2..4, keys
  iova >> 39, >> 30, >> 21), probed deepest first: the walk reads the tables below the deepest
  cached one. A walk holds a walker for 4 (walk-cache lookup) + 16 (walk overhead) + 100 per
  PTE read cycles: the SMMUv3 default costs of iommu-sim (sim-core/src/iommu/params.rs).
- As in iommu-sim, the IOTLB and walk-cache entries are installed when the miss is seen (the walk's
  time is charged to the request, not to the cache state), so both sides count the same hits
  and the same walk reads (cross-check: `iommu-sim run benches/simpy/hit50.ron` prints iotlb_hits,
  walks and walk_reads).

Not modelled here (iommu-sim does it on top, so the comparison favours SimPy): the PCIe link
(wire time, tags, completions), memory latency, attach/map, per-device histograms, the digest,
and the identity and iommu-off baseline runs `iommu-sim run` adds to every scenario.
"""

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
from collections import OrderedDict  # noqa: E402

import simpy  # noqa: E402

PAGE_SHIFT = 12
DEVICES = 4
DEVICE_SPAN = 0x2000000  # 32 MiB of IOVA per device
EVERY = 100
STRIDE = 4096
WRAP = 0x1FFF000
FIRST_AT = 1001

IOTLB_ENTRIES = 2048
IOTLB_WAYS = 4
WALKERS = 16
LEVEL_SHIFTS = (39, 30, 21, 12)  # 4-level table, 4 KiB granule

IOTLB_HIT = 3
WALK_CACHE_LOOKUP = 4
WALK_OVERHEAD = 16
PTE_READ = 100


class Iotlb:
    """Set-associative LRU cache of page numbers."""

    def __init__(self, entries, ways):
        self.ways = ways
        self.nsets = entries // ways
        self.sets = [OrderedDict() for _ in range(self.nsets)]

    def access(self, vpn):
        """True on a hit; on a miss the page is filled, evicting the set's LRU entry."""
        s = self.sets[vpn % self.nsets]
        if vpn in s:
            s.move_to_end(vpn)
            return True
        if len(s) >= self.ways:
            s.popitem(last=False)
        s[vpn] = True
        return False


class WalkCache:
    """One entry per cached depth (2..4): where the table for that depth was last found."""

    def __init__(self):
        self.entries = {d: None for d in range(2, len(LEVEL_SHIFTS) + 1)}

    def reads(self, iova):
        """PTE reads a walk of `iova` needs; fills the depths below the deepest hit."""
        start = 1
        for d in range(len(LEVEL_SHIFTS), 1, -1):
            if self.entries[d] == iova >> LEVEL_SHIFTS[d - 2]:
                start = d
                break
        for d in range(start + 1, len(LEVEL_SHIFTS) + 1):
            self.entries[d] = iova >> LEVEL_SHIFTS[d - 2]
        return len(LEVEL_SHIFTS) - start + 1


class Smmu:
    def __init__(self, env):
        self.env = env
        self.iotlb = Iotlb(IOTLB_ENTRIES, IOTLB_WAYS)
        self.walk_cache = WalkCache()
        self.walkers = simpy.Resource(env, capacity=WALKERS)
        self.translations = 0
        self.hits = 0
        self.walks = 0
        self.walk_reads = 0
        self.latency_sum = 0

    def translate(self, iova):
        """Process: one translation request for the page holding `iova`."""
        t0 = self.env.now
        self.translations += 1
        if self.iotlb.access(iova >> PAGE_SHIFT):
            self.hits += 1
            yield self.env.timeout(IOTLB_HIT)
        else:
            reads = self.walk_cache.reads(iova)
            self.walks += 1
            self.walk_reads += reads
            with self.walkers.request() as walker:
                yield walker
                yield self.env.timeout(WALK_CACHE_LOOKUP + WALK_OVERHEAD + reads * PTE_READ)
        self.latency_sum += self.env.now - t0


def device(env, smmu, d, count, nbytes):
    """Process: device d issues `count` read DMAs, one every EVERY cycles (open loop); each
    page of a DMA is one TLP, all in flight together, each translated by its own process."""
    yield env.timeout(FIRST_AT + d)
    base = d * DEVICE_SPAN
    for k in range(count):
        iova = base + (k * STRIDE) % WRAP
        for page in range(iova >> PAGE_SHIFT, ((iova + nbytes - 1) >> PAGE_SHIFT) + 1):
            env.process(smmu.translate(page << PAGE_SHIFT))
        yield env.timeout(EVERY)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hit", type=int, choices=(50, 0), default=50, help="workload: 50 or 0 %% IOTLB hits")
    args = ap.parse_args()
    count, nbytes = (25_000, 8192) if args.hit == 50 else (50_000, 4096)

    env = simpy.Environment()
    smmu = Smmu(env)
    for d in range(DEVICES):
        env.process(device(env, smmu, d, count, nbytes))
    t0, c0 = time.perf_counter(), time.process_time()
    env.run()
    t1, c1 = time.perf_counter(), time.process_time()

    n = smmu.translations
    print(f"workload          hit{args.hit}")
    print(f"translations      {n}")
    print(f"iotlb_hits        {smmu.hits}")
    print(f"iotlb_misses      {n - smmu.hits}")
    print(f"walks             {smmu.walks}")
    print(f"walk_reads        {smmu.walk_reads}")
    print(f"mean_latency      {smmu.latency_sum / n:.1f} cycles")
    print(f"end_cycle         {env.now}")
    print(f"loop_seconds      {t1 - t0:.3f}")
    print(f"loop_rate         {n / (t1 - t0):.0f} translations/s")
    print(f"loop_cpu_seconds  {c1 - c0:.3f}")
    print(f"process_seconds   {t1 - T_START:.3f} (from script start, interpreter start-up excluded)")
    print(f"process_rate      {n / (t1 - T_START):.0f} translations/s")


if __name__ == "__main__":
    main()
