#!/bin/sh
# capture.sh: snapshot what iommu-sim needs to simulate this machine, read-only on the host.
#
#   sudo sh scripts/capture.sh [OUT.tar.gz]      (default: ./capture-$(hostname).tar.gz)
#   iommu-sim import OUT.tar.gz -o my-machine.ron
#
# It copies, into a temporary directory that mirrors /sys, for every PCI function: vendor,
# device, class, resource (its BARs and ROM as the kernel sized them), the binary config space
# (root is needed for more than the first 64 bytes),
# and the iommu, iommu_group and physfn links (as links, never followed); the names under
# /sys/class/iommu; the members of /sys/kernel/iommu_groups. Then it tars that directory and
# removes it. It writes nothing under /sys and runs nothing from the capture.
set -eu
out=${1:-"./capture-$(hostname 2>/dev/null || echo machine).tar.gz"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
top="$tmp/capture"
mkdir -p "$top/bus/pci/devices" "$top/class/iommu" "$top/kernel/iommu_groups"
echo "iommu-sim capture 1" > "$top/iommu-sim-capture"
uname -r > "$top/kernel_release" 2>/dev/null || true

copy_link() { # copy_link SRC_LINK DEST_LINK: recreate a link with the same relative target
    [ -L "$1" ] || return 0
    ln -s "$(readlink "$1")" "$2"
}

for link in /sys/bus/pci/devices/*; do
    [ -e "$link" ] || continue
    bdf=${link##*/}
    real=$(readlink -f "$link")            # /sys/devices/pci0000:00/.../BDF
    rel=${real#/sys/}                       # devices/pci0000:00/.../BDF
    mkdir -p "$top/$rel"
    ln -s "$(readlink "$link")" "$top/bus/pci/devices/$bdf"
    for f in vendor device class resource; do
        cat "$link/$f" > "$top/$rel/$f" 2>/dev/null || true
    done
    cat "$link/config" > "$top/$rel/config"
    for l in iommu iommu_group physfn; do
        copy_link "$link/$l" "$top/$rel/$l"
    done
    # The link targets must exist inside the capture.
    if [ -L "$link/iommu" ]; then
        t=$(readlink -f "$link/iommu"); mkdir -p "$top/${t#/sys/}"
    fi
done
for u in /sys/class/iommu/*; do
    [ -e "$u" ] || continue
    copy_link "$u" "$top/class/iommu/${u##*/}"
    t=$(readlink -f "$u"); mkdir -p "$top/${t#/sys/}"
done
for g in /sys/kernel/iommu_groups/*; do
    [ -d "$g" ] || continue
    mkdir -p "$top/kernel/iommu_groups/${g##*/}/devices"
    for d in "$g"/devices/*; do
        [ -e "$d" ] || continue
        copy_link "$d" "$top/kernel/iommu_groups/${g##*/}/devices/${d##*/}"
    done
done
tar -C "$tmp" -czf "$out" capture
echo "wrote $out: now run  iommu-sim import $out -o machine.ron" >&2
