# Network namespaces as "hosts" on one machine, shared by cluster/tests/netns-cluster.sh and
# cluster/bench/scale-out.sh. Source it, then:
#
#   netns_create PREFIX SUBNET HOST...   namespaces PREFIX-HOST with addresses SUBNET.1, SUBNET.2, …
#                                        (in HOST order) on a bridge in namespace PREFIX-br; the
#                                        veth of the I-th host is called vI in PREFIX-br (cut a
#                                        host's link with `ip -n PREFIX-br link set vI down`)
#   netns_destroy PREFIX HOST...         SIGTERM, then SIGKILL, to every process in those namespaces,
#                                        then deletes them (and PREFIX-br)
#   netns_check                          prints why namespaces cannot be used here and returns 1,
#                                        or returns 0
# The host's own network is never touched. Needs root and iproute2.

netns_check() {
  if [ "$(id -u)" != 0 ]; then echo "network namespaces need root (running as uid $(id -u))"; return 1; fi
  if ! command -v ip >/dev/null; then echo "iproute2's 'ip' is not installed"; return 1; fi
  return 0
}

netns_create() {
  local prefix="$1" subnet="$2"; shift 2
  local bridge="$prefix-br" i=1 h n
  ip netns add "$bridge" 2>/dev/null || { echo "cannot create network namespaces here (ip netns add failed)"; return 1; }
  ip -n "$bridge" link add br0 type bridge
  ip -n "$bridge" link set br0 up
  for h in "$@"; do
    n="$prefix-$h"
    ip netns add "$n"
    ip -n "$bridge" link add "v$i" type veth peer name eth0 netns "$n"
    ip -n "$bridge" link set "v$i" master br0 up
    ip -n "$n" addr add "$subnet.$i/24" dev eth0
    ip -n "$n" link set eth0 up
    ip -n "$n" link set lo up
    i=$((i + 1))
  done
}

netns_destroy() {
  local prefix="$1"; shift
  local h n pid
  for h in "$@" br; do
    n="$prefix-$h"
    ip netns list 2>/dev/null | grep -qw "^$n" || continue
    # Every process in the namespace: ask politely, then make sure.
    for pid in $(ip netns pids "$n" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null; done
  done
  sleep 0.5
  for h in "$@" br; do
    n="$prefix-$h"
    for pid in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$n" 2>/dev/null
  done
  return 0
}
