#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the rig and its tests use, with the machine's own apt
# sources. Installs only what is missing; needs root (or sudo) only when something is.
set -euo pipefail

packages=(
  python3-venv make git openssh-client
  redis-server redis-tools           # the Redis that RedisJSON (rejson.so) is loaded into
  prometheus prometheus-node-exporter prometheus-redis-exporter prometheus-process-exporter
  systemd-container debootstrap iptables iproute2 zstd   # lab-in-a-box
  wrk                                # raw HTTP baseline in bench/
  haproxy                            # the load balancer of `rig local --app-instances N`
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "missing packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
"${sudo[@]}" apt-get update -q
# Services these packages enable at install time are not needed: the rig starts its own copies
# on free ports. policy-rc.d keeps apt from starting them where a service manager runs.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  created_policy=1
fi
trap '[ $created_policy -eq 1 ] && "${sudo[@]}" rm -f "$policy"' EXIT
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
