#!/usr/bin/env python3
"""Writes the scaling inputs of issue 15 into DIR (default /tmp/i15), the same shapes as
benches/lib.rs: attachN.ron (N groups, each behind its own SMMUv3, one container, vfio-type1),
flatN.ron + gensN.ron (N devices behind one VT-d, one NIC generator each), and the setup-only
twins of the SimPy-shaped scenarios (benches/icount.sh now uses the committed twins in
benches/icount/)."""
import os, sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/i15"
os.makedirs(out, exist_ok=True)
here = os.path.dirname(os.path.abspath(__file__))


def w(name, text):
    with open(os.path.join(out, name), "w") as f:
        f.write(text)


for n in (250, 500, 1000):
    t = 'Topology(name: "many-smmu", iommus: ['
    t += "".join('Iommu(id: "smmu%d", kind: ArmSmmuV3),' % i for i in range(n))
    t += "], buses: ["
    t += "".join('RootComplex(id: "pci%04x:00", iommu: "smmu%d"), RootPort(id: "%04x:00:01.0", parent: "pci%04x:00"),' % (i, i, i, i) for i in range(n))
    t += "], devices: ["
    t += "".join('Device(id: "%04x:01:00.0", parent: "%04x:00:01.0"),' % (i, i) for i in range(n))
    w("many%d.ron" % n, t + "])")
    s = 'Scenario(name: "attach", topology: "many%d.ron", seed: 1, strategies: ["vfio-type1"], containers: [Container(id: "c")], events: [' % n
    s += "".join('(at: %d, op: Attach(device: "%04x:01:00.0", container: "c")),' % (i + 1, i) for i in range(n))
    w("attach%d.ron" % n, s + "])")


def dev(i):
    return "%04x:%02x:00.0" % (i // 255, i % 255 + 1)


for n in (10000, 20000, 40000, 100000):
    port = lambda i: "%04x:00:%02x.%d" % (i // 255, (i % 255) // 8, (i % 255) % 8)
    t = 'Topology(name: "flat", iommus: [Iommu(id: "dmar0", kind: IntelVtd)], buses: ['
    t += "".join('RootComplex(id: "pci%04x:00", iommu: "dmar0"),' % seg for seg in range((n + 254) // 255))
    t += "".join('RootPort(id: "%s", parent: "pci%04x:00"),' % (port(i), i // 255) for i in range(n))
    t += "], devices: ["
    t += "".join('Device(id: "%s", parent: "%s"),' % (dev(i), port(i)) for i in range(n))
    w("flat%d.ron" % n, t + "])")
    s = 'Scenario(name: "gens", topology: "flat%d.ron", seed: 1, duration: 1, strategies: ["per-group"], containers: [Container(id: "c")], events: [], generators: [' % n
    s += "".join('Nic(id: "nic%d", device: "%s", container: "c", start: 10, rate: Gbps(1)),' % (i, dev(i)) for i in range(n))
    w("gens%d.ron" % n, s + "])")

for hit, dmas in ((50, 25000), (0, 50000)):
    text = open(os.path.join(here, "simpy", "hit%d.ron" % hit)).read()
    w("simpy-maponly-hit%d.ron" % hit, text.replace("count: %d," % dmas, "count: 1,"))
w("simpy.ron", open(os.path.join(here, "simpy", "simpy.ron")).read())
