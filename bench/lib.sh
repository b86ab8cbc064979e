# shellcheck shell=bash
# Shared pieces of the benchmarks (sourced by bench/run, not run).
#
# A bench run owns one work dir $W on /dev/shm (tmpfs, so the servers are
# measured and not the disk), one CPU-accounting cgroup per server, and the
# server processes it starts; `bench_cleanup` (an EXIT trap) ends all of them,
# also on Ctrl-C. Every wait is bounded.

# --- CPU accounting: one cgroup per server --------------------------------
# cgroup v1 cpuacct where mounted (Debian 12 in a VM or container often has
# it), else the unified v2 hierarchy's cpu.stat; anything else is an error,
# since the CPU figures are half of what the bench is for.
CG_KIND=
CG_ROOT=
cg_init() {
  if [[ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]]; then
    CG_KIND=v1 CG_ROOT=/sys/fs/cgroup/cpuacct
  elif [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    CG_KIND=v2 CG_ROOT=/sys/fs/cgroup
  else
    echo "bench: no cgroup cpuacct (v1) or unified (v2) hierarchy" >&2
    return 1
  fi
}
cg_path() { printf '%s/sftpd-bench-%s' "$CG_ROOT" "$1"; }
cg_create() { mkdir -p "$(cg_path "$1")"; }
# cg_cpu_ns NAME: CPU nanoseconds used so far by every process ever in NAME.
cg_cpu_ns() {
  local d
  d=$(cg_path "$1")
  if [[ $CG_KIND == v1 ]]; then
    cat "$d/cpuacct.usage"
  else
    awk '$1 == "usage_usec" { printf "%d\n", $2 * 1000 }' "$d/cpu.stat"
  fi
}
cg_procs() { cat "$(cg_path "$1")/cgroup.procs" 2>/dev/null || true; }
# cg_remove NAME: kills what is left in NAME, then removes it.
cg_remove() {
  local d p i
  d=$(cg_path "$1")
  [[ -d $d ]] || return 0
  for ((i = 0; i < 50; i++)); do
    p=$(cat "$d/cgroup.procs" 2>/dev/null || true)
    [[ -z $p ]] && break
    # shellcheck disable=SC2086  # a list of pids
    kill -9 $p 2>/dev/null || true
    sleep 0.1
  done
  rmdir "$d" 2>/dev/null || true
}

# --- Peak RSS of session processes ----------------------------------------
# rss_sampler CGROUP UID NAME STOPFILE OUTFILE: until STOPFILE exists, reads
# VmHWM (KiB) of every process in CGROUP that runs as UID and whose name is
# NAME, and writes the largest value seen to OUTFILE. Only shell builtins in
# the loop (but sleep), so the sampler costs the client side little CPU.
rss_sampler() {
  local procs max=0 p k v name uid hwm i
  procs="$(cg_path "$1")/cgroup.procs"
  for ((i = 0; i < 30000; i++)); do
    [[ -e $4 ]] && break
    local -a pids=()
    mapfile -t pids <"$procs" 2>/dev/null || true
    for p in "${pids[@]}"; do
      name='' uid='' hwm=0
      { while read -r k v _; do
          case $k in
            Name:) name=$v ;;
            Uid:) uid=$v ;;
            VmHWM:) hwm=$v; break ;;
          esac
        done <"/proc/$p/status"; } 2>/dev/null || continue
      [[ $uid == "$2" && $name == "$3" ]] && ((hwm > max)) && max=$hwm
    done
    sleep 0.1
  done
  echo "$max" >"$5"
}

# --- Clients --------------------------------------------------------------
# Options of every ssh-based client: only the bench key, any host key, no
# prompts, quiet, and one key exchange for every server. OpenSSH 9.2 would
# pick sntrup761x25519 with sshd, which libssh 0.10 lacks (it gets
# curve25519), and the connect figures would compare key exchanges.
# shellcheck disable=SC2034  # used by the scripts that source this
BENCH_KEX=curve25519-sha256
# shellcheck disable=SC2034
BENCH_SSH_OPTS=(-o IdentitiesOnly=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR
  -o ConnectTimeout=20 -o "KexAlgorithms=$BENCH_KEX")

# Where the servers listen, and how a client is run: 127.0.0.1 from this
# namespace, or (bench/run's links part) the server's side of a delay line,
# from the client's namespace.
BENCH_HOST=127.0.0.1
BENCH_CLIENT_EXEC=()
# wait_port PORT PID: until something listens on $BENCH_HOST:PORT (10 s at
# most), failing early if PID has exited.
wait_port() {
  local i
  for ((i = 0; i < 100; i++)); do
    "${BENCH_CLIENT_EXEC[@]}" timeout 2 bash -c "exec 3<>/dev/tcp/$BENCH_HOST/$1" \
      2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# median_awk: an awk function median(space-separated list) for the reports.
# shellcheck disable=SC2016  # awk code, not shell
# shellcheck disable=SC2034
MEDIAN_AWK='
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++)
      for (j = i + 1; j <= n; j++)
        if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }'
