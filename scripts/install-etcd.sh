#!/usr/bin/env bash
# Installs etcd (Debian's etcd-server package, 3.4) for `bin/raftkv bench --target etcd`, if `etcd` is not on the
# PATH yet. Only the etcd comparison needs it: the normal build and tests never do.
#   usage: scripts/install-etcd.sh
set -euo pipefail
if command -v etcd > /dev/null 2>&1; then
  echo "etcd is already installed: $(command -v etcd) ($(etcd --version 2>/dev/null | head -1))"
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo > /dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-etcd: not root and no sudo; install Debian's etcd-server package by hand" >&2
  exit 1
fi
if ! command -v apt-get > /dev/null 2>&1; then
  echo "install-etcd: no apt-get on this machine; install etcd 3.4 by other means and put it on the PATH" >&2
  exit 1
fi
"${as_root[@]}" apt-get update -q
# The package would otherwise start a system-wide etcd on the default ports; the benchmark starts its own.
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get install -y -q --no-install-recommends etcd-server
if command -v systemctl > /dev/null 2>&1 && systemctl is-active --quiet etcd 2>/dev/null; then
  "${as_root[@]}" systemctl stop etcd || true
fi
echo "installed: $(command -v etcd) ($(etcd --version 2>/dev/null | head -1))"
