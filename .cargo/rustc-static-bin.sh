#!/usr/bin/env bash
# Cargo's `build.rustc-workspace-wrapper` (.cargo/config.toml): called as `$0 RUSTC ARGS...` for
# this workspace's own crates (never for dependencies or proc macros from crates.io).
#
# It adds `-C target-feature=+crt-static -C relocation-model=static` when compiling the
# `iommu-sim` binary itself for x86_64-unknown-linux-gnu on Linux, and changes nothing else: a
# static, non-PIE executable has no shared objects to load and bind and no relocations to apply,
# which is most of what separates a short `iommu-sim run` from /bin/true (issue 15; measured in
# the commit that added this). Only the final crate needs the flags (the libc and unwinder link
# kinds are chosen at the final link), so no dependency is rebuilt for them. Rust supports
# crt-static on *-linux-gnu; the program uses no NSS, iconv or dlopen. Bash, not sh: dash drops
# environment variables whose names are not identifiers, such as CARGO_BIN_EXE_iommu-sim.
rustc=$1
shift
case " $* " in
*" --crate-name iommu_sim "*" --crate-type bin "*) ;;
*) exec "$rustc" "$@" ;;
esac
[ "$(uname -s)" = Linux ] || exec "$rustc" "$@"
# The target: the one given, else the host's.
target=
prev=
for a in "$@"; do
    case $prev in --target) target=$a ;; esac
    case $a in --target=*) target=${a#--target=} ;; esac
    prev=$a
done
[ -n "$target" ] || target=$("$rustc" -vV | sed -n 's/^host: //p')
[ "$target" = x86_64-unknown-linux-gnu ] || exec "$rustc" "$@"
exec "$rustc" "$@" -C target-feature=+crt-static -C relocation-model=static
