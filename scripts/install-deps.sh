#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Yendor needs; as non-root, prints the apt-get line and stops.
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "yendor: missing system packages: ${missing[*]}" >&2
    echo "run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Test harnesses that play a foreign peer (a pyzmq client, an OpenAI-compatible stub) use pyzmq and numpy;
# the Kubernetes manifest test validates offline with kubernetes-validate.
if ! python3 -c 'import zmq, numpy, kubernetes_validate' 2>/dev/null; then
  if [ "$(id -u)" -ne 0 ] && [ -z "${VIRTUAL_ENV:-}" ]; then
    echo "yendor: the tests need pyzmq, numpy and kubernetes-validate: python3 -m pip install --user pyzmq numpy kubernetes-validate" >&2
    exit 1
  fi
  python3 -m pip install -q pyzmq numpy kubernetes-validate || python3 -m pip install -q --break-system-packages pyzmq numpy kubernetes-validate
fi
