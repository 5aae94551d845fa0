#!/usr/bin/env bash
# Debian packages the tests and package builds use (run as root; idempotent).
# The test peers themselves (Pushgateway, Prometheus, VictoriaMetrics,
# node_exporter) are fetched by scripts/lib/peers.ts with apt-get download.
# binutils-aarch64-linux-gnu strips the arm64 executable; the *-arm64-cross
# libraries let qemu-aarch64-static run it (-L /usr/aarch64-linux-gnu).
# gcc and gcc-aarch64-linux-gnu (with the libc headers) compile the native
# addon, native/edgepush.c (scripts/lib/native.ts). iproute2 (ip, tc) sets up
# the qdisc test's network namespace, btrfs-progs the btrfs test's filesystem,
# kmod (modprobe) tries mac80211_hwsim for the live wifi test.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(dpkg-dev rpm lintian qemu-user-static debootstrap systemd-container xz-utils binutils binutils-aarch64-linux-gnu libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross iproute2 btrfs-progs kmod)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-deps: installing ${missing[*]}" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
