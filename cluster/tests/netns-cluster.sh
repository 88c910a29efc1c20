#!/usr/bin/env bash
# Multi-host test on one machine: each "host" is a network namespace with its own address, joined
# through a bridge that lives in a namespace of its own (the host's network is never touched).
#
#   learner   10.213.0.1   CURVE server, allow-list = w1, w2 (+ its own key, for the health probe)
#   w1, w2    10.213.0.2/3 workers with allowed keys
#   intruder  10.213.0.4   a worker whose key is not on the allow-list
#   plain     10.213.0.5   a worker without CURVE at all
#
# Checks: training progresses over TCP with CURVE; cutting w1's link makes the learner time it out
# while training goes on, and restoring it makes w1 rejoin and contribute again (its trajectories,
# too stale by then, go on a fresh connection rather than wait for TCP's retransmission); the intruder and
# the plain peer never get in (the learner never lists them) nor out (no weights, no heartbeats).
#
# Usage: netns-cluster.sh [--prefix P] [--work DIR]      run the test (exit 0 pass, 1 fail, 77 skip)
#        netns-cluster.sh --cleanup P                     kill everything in P's namespaces, delete them
# YENDOR (or YENDOR_BINARY) names the binary; default .build/debug/yendor.
set -uo pipefail

PREFIX="yd$$"
WORK=""
CLEANUP_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --cleanup) PREFIX="$2"; CLEANUP_ONLY=1; shift 2 ;;
    *) echo "netns-cluster: unknown argument $1" >&2; exit 2 ;;
  esac
done
YENDOR="${YENDOR:-${YENDOR_BINARY:-.build/debug/yendor}}"
HOSTS=(learner w1 w2 intruder plain)
NS_BRIDGE="$PREFIX-br"
ns() { echo "$PREFIX-$1"; }
# shellcheck source=netns-lib.sh
source "$(dirname "$0")/netns-lib.sh"
cleanup() { netns_destroy "$PREFIX" "${HOSTS[@]}"; }

if [ "$CLEANUP_ONLY" = 1 ]; then cleanup; exit 0; fi

skip() { echo "SKIP: $*"; exit 77; }
why=$(netns_check) || skip "$why"
[ -x "$YENDOR" ] || { echo "FAIL: no yendor binary at $YENDOR"; exit 1; }
YENDOR="$(cd "$(dirname "$YENDOR")" && pwd)/$(basename "$YENDOR")"
trap cleanup EXIT
trap 'exit 1' INT TERM

WORK="${WORK:-$(mktemp -d /tmp/yendor-netns-XXXXXX)}"
mkdir -p "$WORK"
FAILURES=0
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
pass() { echo "ok: $*"; }
# An exited child not yet reaped (a zombie) counts as stopped.
alive() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
gone() { ! alive "$1"; }

# --- network: bridge namespace + one veth pair per host (v1 = learner, v2 = w1, …) ---
why=$(netns_create "$PREFIX" 10.213.0 "${HOSTS[@]}") || skip "$why"
LEARNER_IP=10.213.0.1
pass "5 namespaces on bridge 10.213.0.0/24"

# --- keys and configuration ---
# The Swift tests' tiny configuration (its `run:` section is last).
{ cat "$(dirname "$0")/../../Tests/Support/tiny.yaml" && echo "  checkpoint_interval: 5"; } > "$WORK/tiny.yaml" \
  || { fail "cannot read Tests/Support/tiny.yaml"; exit 1; }
for k in learner w1 w2 intruder; do "$YENDOR" keys generate --directory "$WORK/keys" "$k" >/dev/null || { fail "keys generate $k"; exit 1; }; done
mkdir -p "$WORK/allowed"
cp "$WORK/keys/w1.pub" "$WORK/keys/w2.pub" "$WORK/keys/learner.pub" "$WORK/allowed/"
client() { echo "--set transport.curve_secret_key_file=$WORK/keys/$1.key --set transport.curve_server_key=$WORK/keys/learner.pub"; }

run_in() {  # run_in VAR HOST LOG yendor-args...: starts in the background, sets VAR to its pid
  local -n pid_var="$1"
  local h="$2" log="$3"; shift 3
  ip netns exec "$(ns "$h")" "$YENDOR" "$@" >"$log" 2>&1 &
  pid_var=$!
}
env_steps() {
  tail -n 1 "$WORK/run/metrics.jsonl" 2>/dev/null | sed -n 's/.*"env_steps": *\([0-9.e+]*\).*/\1/p' | awk '{printf "%d", $1}'
}
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds="$1" what="$2"; shift 2
  local end=$((SECONDS + seconds))
  while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.2; done
  fail "timed out after ${seconds}s waiting for: $what"; return 1
}
steps_above() { [ "$(env_steps)" -gt "$1" ] 2>/dev/null; }
log_count() { grep -c -- "$2" "$WORK/$1.log" 2>/dev/null || true; }
count_at_least() { [ "$(log_count "$1" "$2")" -ge "$3" ]; }

# --- learner with CURVE and the allow-list ---
# A small policy lag, so that training with w2 alone while w1 is cut off (300 env steps: about 5
# updates of one trajectory each) leaves what w1 still holds too stale to train on.
LAG=(--set learner.max_policy_lag=2)
# Keepalive after 2 s of silence (3 probes 1 s apart), so the cut below shows w1's trajectory
# connections closed within seconds rather than the default's ~2 minutes.
run_in LEARNER learner "$WORK/learner.log" learner --config "$WORK/tiny.yaml" --run-dir "$WORK/run" --steps 100000000 "${LAG[@]}" \
  --set transport.keepalive_s=2 \
  --set "transport.curve_secret_key_file=$WORK/keys/learner.key" --set "transport.curve_allowed_clients=$WORK/allowed"
health_from() {  # health_from HOST KEY
  ip netns exec "$(ns "$1")" "$YENDOR" health learner --endpoint "tcp://$LEARNER_IP:5556" --timeout 3 $(client "$2") >>"$WORK/health.log" 2>&1
}
wait_for 60 "yendor health learner from w1's namespace" health_from w1 w1 && pass "learner answers 'yendor health' across namespaces with CURVE"

run_in W1 w1 "$WORK/w1.log" worker --config "$WORK/tiny.yaml" --learner "$LEARNER_IP" --id w1 "${LAG[@]}" $(client w1)
run_in W2 w2 "$WORK/w2.log" worker --config "$WORK/tiny.yaml" --learner "$LEARNER_IP" --id w2 "${LAG[@]}" $(client w2)
run_in INTRUDER intruder "$WORK/intruder.log" worker --config "$WORK/tiny.yaml" --learner "$LEARNER_IP" --id intruder $(client intruder)
run_in PLAIN plain "$WORK/plain.log" worker --config "$WORK/tiny.yaml" --learner "$LEARNER_IP" --id plain

wait_for 60 "worker w1 joined" count_at_least learner "worker w1 joined" 1 &&
wait_for 60 "worker w2 joined" count_at_least learner "worker w2 joined" 1 && pass "w1 and w2 joined over TCP"
wait_for 90 "env_steps > 500" steps_above 500 && pass "training progresses: env_steps $(env_steps)"

# --- cut w1's link, see the learner time it out and training go on with w2 ---
w1_trajectory_connections() { ip netns exec "$(ns learner)" ss -Htn state established "( sport = :5555 and dst 10.213.0.2 )" | grep -c . ; }
w1_trajectory_connections_closed() { [ "$(w1_trajectory_connections)" = 0 ]; }
W1_HELD=$(w1_trajectory_connections)
[ "$W1_HELD" -ge 1 ] || fail "the learner holds no trajectory connection of w1 before the cut"
ip -n "$NS_BRIDGE" link set v2 down
wait_for 30 "learner times out w1 after its link is cut" count_at_least learner "worker w1 timed out" 1 && pass "w1 timed out after its link went down"
# Nothing is sent to w1 on its trajectory connections, so only keepalive finds it gone (trial C8:
# a vanished node's connections stayed open for good).
wait_for 30 "the learner closes w1's trajectory connections" w1_trajectory_connections_closed &&
  pass "the learner closed w1's trajectory connections ($W1_HELD before the cut) while its link was down (keepalive)"
CUT=$(env_steps)
wait_for 60 "env_steps grows past $CUT + 300 with w1 cut off" steps_above $((CUT + 300)) && pass "training continued with w2 alone: $CUT -> $(env_steps)"
# Back, w1 is admitted by its Hello ("joined") or, when a trajectory reaches the learner first (the two
# connections retransmit on their own timers), as a member heard again ("is heard again ... rejoins").
W1_BACK='worker w1 joined\|worker w1 is heard again after timing out'
W1_JOINS=$(log_count learner "$W1_BACK")

# --- restore it: w1 reconnects by itself, rejoins and contributes ---
ip -n "$NS_BRIDGE" link set v2 up
wait_for 60 "w1 joins again after its link is restored" count_at_least learner "$W1_BACK" $((W1_JOINS + 1)) && pass "w1 rejoined after the link came back"
wait_for 60 "w1 renews its trajectory connection" count_at_least w1 "Sending on a fresh connection" 1 &&
  pass "w1 sent on a fresh connection: $(grep -o 'heard again after [0-9]* s, at policy version [0-9]*' "$WORK/w1.log" | head -1)"
kill -TERM "$W2" 2>/dev/null  # from now on only w1 can move env_steps
wait_for 30 "w2 exits on SIGTERM" gone "$W2"
AFTER=$(env_steps)
# More than w2 could have left queued (its PUSH queue, the learner's receive queue, the buffer).
wait_for 90 "env_steps grows past $AFTER + 1000 with w1 alone" steps_above $((AFTER + 1000)) && pass "w1 contributes again: $AFTER -> $(env_steps) with w2 stopped"

# --- unauthorised peers: nothing in, nothing out ---
if grep -q "intruder\|plain" "$WORK/learner.log"; then fail "the learner lists an unauthorised peer: $(grep "intruder\|plain" "$WORK/learner.log" | head -2)"; else pass "the learner never listed the intruder or the plain peer"; fi
if grep -q "received weights" "$WORK/intruder.log" "$WORK/plain.log"; then fail "an unauthorised peer received weights"; else pass "no weights reached the intruder or the plain peer"; fi
if health_from intruder intruder; then fail "the intruder's key could read the learner's heartbeats"; else pass "health probe with the intruder's key gets no heartbeat"; fi
if ip netns exec "$(ns plain)" "$YENDOR" health learner --endpoint "tcp://$LEARNER_IP:5556" --timeout 2 >>"$WORK/health.log" 2>&1; then
  fail "a peer without CURVE could read the learner's heartbeats"; else pass "health probe without CURVE gets no heartbeat"; fi

# --- clean stop ---
kill -TERM "$W1" "$INTRUDER" "$PLAIN" "$LEARNER" 2>/dev/null
for pid in "$LEARNER" "$W1" "$W2" "$INTRUDER" "$PLAIN"; do
  for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.2; done
done
wait "$LEARNER"; STATUS=$?
[ "$STATUS" = 0 ] && pass "learner stopped cleanly on SIGTERM" || fail "learner exited with $STATUS"

if [ "$FAILURES" -gt 0 ]; then
  # The test runner keeps the last 4,000 characters: events, not progress lines.
  echo "--- learner.log (tail, progress lines left out) ---"; grep -v "] steps " "$WORK/learner.log" | tail -n 25
  echo "--- w1.log (tail, progress lines left out) ---"; grep -v "] steps " "$WORK/w1.log" | tail -n 15
  echo "netns-cluster: $FAILURES check(s) failed; logs in $WORK"
  exit 1
fi
echo "netns-cluster: all checks passed (logs in $WORK)"
rm -rf "$WORK"
exit 0
