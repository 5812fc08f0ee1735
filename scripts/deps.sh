#!/usr/bin/env bash
# Install every Debian package adm needs to build, test, demo and bench.
# Idempotent: installs only what is missing. --check only reports.
set -o errexit -o nounset -o pipefail

PKGS=(
	# build
	make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev
	libinih-dev libjansson-dev libmicrohttpd-dev libhiredis-dev libmariadb-dev
	# servers the tests start themselves (never as system services)
	redis-server redis-sentinel mariadb-server
	# tests
	libcmocka-dev libclang-rt-14-dev iproute2 procps util-linux curl jq
	# promtool (check and unit-test deploy/prometheus/); its server is never run
	prometheus
	# bench and demo
	nftables netsniff-ng nginx-light ethtool tcpdump
)

check=0
[ "${1:-}" = "--check" ] && check=1

missing=()
for p in "${PKGS[@]}"; do
	case "$p" in \#*) continue ;; esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	[ "$check" -eq 1 ] && echo "deps: all ${#PKGS[@]} packages installed"
	exit 0
fi
if [ "$check" -eq 1 ]; then
	echo "deps: missing: ${missing[*]}"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run scripts/deps.sh as root" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Servers are started per test run; keep apt from starting them system-wide.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 0755 "$policy"
	created_policy=1
fi
trap '[ "$created_policy" -eq 1 ] && rm -f "$policy"' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Only promtool of the prometheus package is used: keep its server from
# starting at the next boot too (policy-rc.d covers only this install).
for p in "${missing[@]}"; do
	if [ "$p" = prometheus ] && command -v systemctl >/dev/null 2>&1; then
		systemctl disable --now prometheus.service >/dev/null 2>&1 || true
	fi
done
echo "deps: done"
