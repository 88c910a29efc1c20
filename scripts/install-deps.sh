#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Yendor needs (as non-root, prints the apt-get line and stops), the
# test harness Python packages, and the project virtualenv .venv with the pinned nle wheel.
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

# The project virtualenv <repo>/.venv with the pinned nle wheel (python/requirements-nle.txt): the NLE
# equivalence test and `yendor bench env --env nle` run the real `nle` package from it. Quick when it is
# already made (a stamp holding the requirements it was made from, plus a find_spec check). If it cannot be
# made, say so loudly and go on: the NLE-dependent tests then skip with a message naming this step.
# YENDOR_SKIP_NLE_VENV=1 skips this step.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"
req="$repo/python/requirements-nle.txt"
stamp="$venv/.yendor-requirements"
venv_ok() {
  [ -x "$venv/bin/python" ] && cmp -s "$req" "$stamp" &&
    "$venv/bin/python" -c 'import importlib.util as u, sys
sys.exit(0 if all(u.find_spec(m) for m in ("nle", "gymnasium", "numpy", "zmq", "kubernetes_validate")) else 1)' 2>/dev/null &&
    [ -f "$("$venv/bin/python" -c 'import importlib.util as u, os; print(os.path.join(os.path.dirname(u.find_spec("nle").origin), "libnethack.so"))' 2>/dev/null)" ]
}
venv_warn() {
  {
    echo "############################################################################"
    echo "yendor: WARNING: could not make the NLE virtualenv $venv"
    echo "yendor:   ($1)"
    echo "yendor:   The NLE tests will SKIP. Fix the cause and run 'make deps' again."
    echo "############################################################################"
  } >&2
}
if [ "${YENDOR_SKIP_NLE_VENV:-0}" = 1 ]; then
  echo "yendor: YENDOR_SKIP_NLE_VENV=1: not making $venv" >&2
elif ! venv_ok; then
  # python3 on PATH first (may be a pyenv build), then Debian's (needs python3-venv). nle 1.3.0 has binary
  # wheels for cp310-cp313; numpy 2.4 needs 3.11 or newer.
  made="" tried=" "
  for py in python3 /usr/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    "$py" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null || continue
    exe="$("$py" -c 'import os, sys; print(os.path.realpath(sys.executable))')"
    case "$tried" in *" $exe "*) continue ;; esac
    tried="$tried$exe "
    rm -rf "$venv"
    echo "yendor: making $venv with $("$py" -c 'import sys; print(sys.executable)') and $req" >&2
    if "$py" -m venv "$venv" >&2 &&
       "$venv/bin/python" -m pip install -q --disable-pip-version-check --only-binary=nle,numpy,pyzmq -r "$req" >&2 &&
       cp "$req" "$stamp" && venv_ok; then
      made=yes
      break
    fi
    rm -rf "$venv"
  done
  if [ -z "$made" ]; then
    venv_warn "no python3 (3.11-3.13) with venv and pip could install $req from binary wheels"
  fi
fi

# The env server package python/ (`yendor-env`, import yendor_env), editable, and what it is used and tested
# with (python/requirements-env.txt: crc32c, minigrid, minihack, pytest), into the same .venv. Quick when
# already there: a stamp holding both files, plus a check that yendor_env is this checkout's python/.
if [ "${YENDOR_SKIP_NLE_VENV:-0}" != 1 ] && [ -x "$venv/bin/python" ]; then
  envreq="$repo/python/requirements-env.txt"
  envstamp="$venv/.yendor-env-requirements"
  want="$(cat "$envreq" "$repo/python/pyproject.toml")"
  env_ok() {
    [ -f "$envstamp" ] && [ "$(cat "$envstamp")" = "$want" ] &&
      "$venv/bin/python" - "$repo/python" <<'PY' 2>/dev/null
import importlib.util as u, os, sys
if not all(u.find_spec(m) for m in ("crc32c", "minigrid", "minihack", "pytest", "yendor_env")):
    sys.exit(1)
origin = os.path.realpath(u.find_spec("yendor_env").origin)
sys.exit(0 if origin.startswith(os.path.realpath(sys.argv[1]) + os.sep) else 1)
PY
  }
  if ! env_ok; then
    echo "yendor: installing python/ (yendor-env, editable) and $envreq into $venv" >&2
    if (cd "$repo" && "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$envreq" -e ./python >&2) &&
       printf '%s' "$want" > "$envstamp" && env_ok; then
      :
    else
      rm -f "$envstamp"
      {
        echo "############################################################################"
        echo "yendor: WARNING: could not install python/ and $envreq into $venv"
        echo "yendor:   The python/ tests and gym: environment servers will not run. Fix the cause"
        echo "yendor:   and run 'make deps' again."
        echo "############################################################################"
      } >&2
    fi
  fi
fi
exit 0
