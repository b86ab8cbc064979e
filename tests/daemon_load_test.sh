#!/usr/bin/env bash
# `sftpd serve` under load: CONCURRENT sessions at once (default 200), each
# putting its own file and getting it back, then SEQUENTIAL sessions one
# after another (default 1000), each putting a file; every file's SHA-256 is
# checked on both sides. Afterwards the listener has no child left, holds
# the fds it held before, its memory is back to its baseline (within
# RSS_SLACK_KIB), no process of the user is left, and the audit trail has
# one login and one clean logout per session. Loopback only; every client
# and the whole run are bounded in time.
# Usage: daemon_load_test.sh /path/to/sftpd
#   SFTPD_LOAD_CONCURRENT, SFTPD_LOAD_SEQUENTIAL override the counts.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

CONCURRENT=${SFTPD_LOAD_CONCURRENT:-200}
SEQUENTIAL=${SFTPD_LOAD_SEQUENTIAL:-1000}
WARMUP=10
RSS_SLACK_KIB=2048
SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
AUDIT=$TMP/audit/audit.jsonl
K=$TMP/keys
L=$TMP/local
HOME1=$SRV/users/$T_USER1
mkdir -p "$HOME1" "$K" "$L" "$TMP/audit" "$TMP/hk"
chown "$T_USER1:" "$HOME1"
chmod 0755 "$K" "$TMP/hk"

PORT=$(free_loopback_port) || die "no free port found"
limits=()
for key in max_startups max_startups_per_address max_connections \
  max_connections_per_address max_sessions_per_user; do
  limits+=("server: $key = $((CONCURRENT + 10))")
done
{ daemon_config "$PORT" "${limits[@]}" "auth: login_grace_time = 120" "audit: syslog = false"
  cat <<CONFIG; } | install_config "$CFG"
# A client that gives up while the server is saturated (ConnectTimeout in
# the banner exchange, as under the sanitizers) is scored as a scanner; the
# ban would then drop every later session. The defender has tests of its
# own; this one measures load.
[defender]
never_ban = ["127.0.0.1"]

[exports.home]
path = "$SRV/users/%u"
owner_only = true

[users.$T_USER1]
exports = ["home"]
allow_from = ["127.0.0.1/32"]
CONFIG

ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key" -C sftpd-load
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER1"

DLOG=$TMP/daemon.log
# Under ASan freed memory waits in a quarantine (256 MiB by default) before
# it is reused, so the listener's RSS would grow with every allocation it
# ever made: without one, what it measures is what the listener keeps.
if [ -n "${ASAN_OPTIONS:-}" ]; then
  export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=0"
fi
start_sftpd_serve "$CFG" "$PORT" "$DLOG"
log "sftpd serve on 127.0.0.1:$PORT (pid $DPID); $CONCURRENT concurrent, $SEQUENTIAL sequential sessions"

fds() { ls "/proc/$DPID/fd" | wc -l; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$DPID/status"; }
# put_one N: one session putting $L/s$N as s$N.
put_one() {
  timeout 60 sftp -q "${DAEMON_SSH_OPTS[@]}" -i "$TMP/client_key" -P "$PORT" \
    -b - "$T_USER1@127.0.0.1" <<<"put $L/s$1 s$1" >/dev/null 2>&1
}

log "warm-up: $WARMUP sessions"
head -c 16384 /dev/urandom >"$L/s0"
for ((i = 0; i < WARMUP; i++)); do put_one 0 || true; done
check "the warm-up sessions ended" wait_daemon_children 0 30
fds_before=$(fds)
rss_before=$(rss_kib)
log "listener before: $fds_before fds, VmRSS $rss_before KiB"

log "$CONCURRENT sessions at once"
for ((i = 1; i <= CONCURRENT; i++)); do
  head -c 65536 /dev/urandom >"$L/c$i"
done
peak=0
clients=()
# The gate that holds every session open until all are: a FIFO this script
# keeps open read-write until GO, so each client's reader blocks (costing no
# CPU) until the script closes it and they all read EOF at once. The clients
# must not inherit the writer, or EOF would never come.
GO=$TMP/go
mkfifo -m 0600 "$GO"
exec {go_fd}<>"$GO"
# held_batch I: client I's batch: its put, then (once the gate opens, or
# after 120 s) its get, so that every session is logged in and open at once.
held_batch() {
  printf 'put %s c%s\n' "$L/c$1" "$1"
  timeout 120 cat "$GO" >/dev/null || true
  printf 'get c%s %s\n' "$1" "$L/c$1.back"
}
start=$EPOCHREALTIME
for ((i = 1; i <= CONCURRENT; i++)); do
  { held_batch "$i" | timeout 180 sftp -q "${DAEMON_SSH_OPTS[@]}" \
      -o ConnectTimeout=60 -i "$TMP/client_key" -P "$PORT" -b - \
      "$T_USER1@127.0.0.1"; } {go_fd}>&- >"$TMP/c$i.out" 2>&1 &
  clients+=($!)
done
# any_client_running: some client has not ended yet.
any_client_running() {
  local pid
  for pid in "${clients[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}
# Wait (at most 120 s) until every session is up, then let them finish.
# Each look scans /proc, so twice a second: the sessions wait at the gate,
# so a slower look misses none of them.
for ((t = 0; t < 240; t++)); do
  n=$(pgrep -c -P "$DPID" || true)
  ((n > peak)) && peak=$n
  ((n >= CONCURRENT)) && break
  any_client_running || break
  sleep 0.5
done
held_rss=$(rss_kib)
exec {go_fd}>&-
for ((t = 0; t < 1800; t++)); do
  any_client_running || break
  sleep 0.1
done
failed_clients=0
for pid in "${clients[@]}"; do
  wait "$pid" || failed_clients=$((failed_clients + 1))
done
elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
check_eq "all $CONCURRENT clients succeeded" "0" "$failed_clients"
bad=0
for ((i = 1; i <= CONCURRENT; i++)); do
  want=$(sha "$L/c$i")
  [[ $(sha "$HOME1/c$i" 2>/dev/null) == "$want" && \
     $(sha "$L/c$i.back" 2>/dev/null) == "$want" ]] || bad=$((bad + 1))
done
check_eq "every file arrived and came back intact (SHA-256)" "0" "$bad"
check_eq "all $CONCURRENT sessions were open at once" "$CONCURRENT" "$peak"
log "concurrent: $CONCURRENT sessions in ${elapsed} s, $peak at once (listener VmRSS then $held_rss KiB)"
check "every session process ended" wait_daemon_children 0 30

log "$SEQUENTIAL sessions one after another"
bad=0
start=$EPOCHREALTIME
for ((i = 1; i <= SEQUENTIAL; i++)); do
  head -c 16384 /dev/urandom >"$L/s$i"
  if ! put_one "$i" || [[ $(sha "$HOME1/s$i" 2>/dev/null) != $(sha "$L/s$i") ]]; then
    bad=$((bad + 1))
  fi
  rm -f "$L/s$i" "$HOME1/s$i"
done
elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
check_eq "every sequential session moved its file intact (SHA-256)" "0" "$bad"
log "sequential: $SEQUENTIAL sessions in ${elapsed} s ($(awk -v n="$SEQUENTIAL" -v t="$elapsed" 'BEGIN {printf "%.1f", n / t}') sessions/s)"

log "afterwards"
check "no session process is left" wait_daemon_children 0 30
check_eq "no zombie" "0" "$(ps -o stat= --ppid "$DPID" | grep -c Z || true)"
check_eq "no process of $T_USER1 is left" "0" "$({ pgrep -u "$T_USER1" || true; } | wc -l)"
fds_after=$(fds)
rss_after=$(rss_kib)
log "listener after: $fds_after fds, VmRSS $rss_after KiB (before: $fds_before, $rss_before KiB)"
check_eq "the listener holds as many fds as before" "$fds_before" "$fds_after"
check "its memory is back to baseline (+$((rss_after - rss_before)) KiB, at most $RSS_SLACK_KIB)" \
  test "$rss_after" -le $((rss_before + RSS_SLACK_KIB))
total=$((WARMUP + CONCURRENT + SEQUENTIAL))
check_eq "the audit has one login per session" "$total" \
  "$(grep -c '"op":"login","result":"ok"' "$AUDIT" || true)"
check_eq "  ... and one clean logout per session" "$total" \
  "$(grep -c '"op":"logout","result":"ok"' "$AUDIT" || true)"
check_eq "  ... and no refusal" "0" "$(grep -c '"result":"refused"' "$AUDIT" || true)"

finish
