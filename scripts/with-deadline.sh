#!/usr/bin/env bash
# Runs a command with a deadline: a test run that hangs fails with the stack of every thread of the
# test process (via gdb, when installed) instead of running into CI's own timeout with no clue.
#   bash scripts/with-deadline.sh SECONDS COMMAND...
set -uo pipefail
limit="$1"; shift
setsid "$@" &
pid=$!
# The command runs in its own process group; a SIGINT/SIGTERM to this script stops all of it.
trap 'kill -TERM -- -$pid 2>/dev/null; wait $pid; exit 130' INT TERM
# The timer's sleep holds none of our output pipes, so nothing outlives the run holding them open.
( sleep "$limit" </dev/null >/dev/null 2>&1
  if kill -0 "$pid" 2>/dev/null; then
    echo "with-deadline: '$*' still running after ${limit}s: stopping it; threads of its test processes follow" >&2
    for p in $(pgrep -g "$pid" -f 'xctest|PackageTests'); do
      echo "--- process $p: $(tr '\0' ' ' </proc/$p/cmdline | cut -c1-200)" >&2
      if command -v gdb >/dev/null; then timeout 120 gdb -p "$p" -batch -ex "thread apply all bt 25" 2>&1 | grep -v '^\[New LWP' >&2
      else echo "(gdb is not installed: no stacks)" >&2; fi
    done
    kill -TERM -- -"$pid" 2>/dev/null; sleep 10; kill -KILL -- -"$pid" 2>/dev/null
  fi ) &
watchdog=$!
wait "$pid"; status=$?
# SIGINT for the timer's sleep: bash reports a child killed by SIGTERM ("Terminated") on its stderr.
pkill -INT -P "$watchdog" 2>/dev/null; kill "$watchdog" 2>/dev/null; wait "$watchdog" 2>/dev/null
exit "$status"
