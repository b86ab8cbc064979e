#!/usr/bin/env bash
# `sftpd serve` over a link with a round trip and losses: two network
# namespaces of this test joined by tests/delay_line (the kernel here may
# have no netem), as bench/run's links part uses them.
#   - the delay line itself: a TCP connect takes at least the round trip,
#     and a lossy link drops packets (its counts);
#   - gets and puts through the daemon over 20 ms of round trip, with and
#     without losses, arrive whole (the daemon's pacing on a link whose
#     round trip TCP reports);
#   - a listing of 2000 entries over the link is complete.
# Usage: delay_line_test.sh /path/to/sftpd (DELAY_LINE: the delay_line
# binary, set by CMake)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"
DL_BIN=${DELAY_LINE:?DELAY_LINE names the delay_line binary}

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
AUDIT=$TMP/audit.jsonl
K=$TMP/keys
L=$TMP/local
HOME1=$SRV/users/$T_USER1
mkdir -p "$HOME1/list" "$K" "$L" "$TMP/hk"
chown -R "$T_USER1:" "$HOME1"
chmod 0755 "$K" "$TMP/hk"
ssh-keygen -q -t ed25519 -N '' -f "$TMP/hk/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key"
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER1"

NS_S=sftpdt-dls-$$ NS_C=sftpdt-dlc-$$
at_exit "ip netns del '$NS_S' 2>/dev/null; ip netns del '$NS_C' 2>/dev/null"
DL_LOG=$TMP/delay_line.log
PORT=2222
{ daemon_config "$PORT" "server: listen = [\"$DL_SERVER_ADDR:$PORT\"]" \
    "audit: syslog = false"
  cat <<CONFIG; } | install_config "$CFG"
# The probes of the link (bare TCP connects) would count as offences.
[defender]
never_ban = ["$DL_CLIENT_ADDR/32"]

[exports.home]
path = "$SRV/users/%u"

[users.$T_USER1]
exports = ["home"]
CONFIG

# link ONE_WAY_MS LOSS_PPM: (re)starts the delay line with these figures.
link() {
  delay_line_stop 2>>"$DL_LOG"
  delay_line_start "$DL_BIN" "$NS_S" "$NS_C" $(($1 * 1000)) "$2" 2>>"$DL_LOG"
}
# in_client CMD...: CMD in the client's namespace.
in_client() { ip netns exec "$NS_C" "$@"; }
# connect_ms: the least of 5 TCP connects' times to the daemon, in ms.
connect_ms() {
  in_client python3 - "$DL_SERVER_ADDR" "$PORT" <<'PY'
import socket, sys, time
best = None
for _ in range(5):
    t = time.monotonic()
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
    dt = time.monotonic() - t
    s.close()
    best = dt if best is None else min(best, dt)
print(int(best * 1000))
PY
}
# lsftp < batch: an sftp batch from the client's namespace over the link.
lsftp() {
  in_client timeout 120 sftp -q "${DAEMON_SSH_OPTS[@]}" -i "$TMP/client_key" \
    -P "$PORT" -b - "$T_USER1@$DL_SERVER_ADDR" >"$OUT" 2>"$ERR"
}

log "a link of 20 ms round trip"
link 10 0
DLOG=$TMP/daemon.log
T_SERVER_LOGS+=("$DLOG")
ip netns exec "$NS_S" "$SFTPD" serve --config "$CFG" 2>"$DLOG" &
DPID=$!
at_exit "kill $DPID 2>/dev/null; timeout 5 tail --pid=$DPID -f /dev/null"
listening() { in_client timeout 2 bash -c "exec 3<>/dev/tcp/$DL_SERVER_ADDR/$PORT" 2>/dev/null; }
for ((i = 0; i < 50; i++)); do listening && break; sleep 0.1; done
check "the daemon listens on $DL_SERVER_ADDR in its namespace" listening
ms=$(connect_ms)
log "  least TCP connect: $ms ms"
check "a TCP connect takes at least the round trip (20 ms)" test "$ms" -ge 20
check "... and not many times it (< 200 ms)" test "$ms" -lt 200

head -c 48M /dev/urandom >"$L/up"
cp "$L/up" "$HOME1/down"
(cd "$HOME1/list" && seq -f 'entry-%05.0f' 1 2000 | xargs touch)
chown -R "$T_USER1:" "$HOME1"

transfers() {
  rm -f "$L/down" "$HOME1/up"
  check "a 48 MiB get and put over the link ($1)" lsftp <<EOF
get /home/down $L/down
put $L/up /home/up
EOF
  check_eq "  the get arrives whole" "$(sha "$HOME1/down")" "$(sha "$L/down")"
  check_eq "  the put arrives whole" "$(sha "$L/up")" "$(sha "$HOME1/up")"
}
transfers "no losses"
check "a listing of 2000 entries over the link" lsftp <<<"ls -l /home/list"
check_eq "  every entry is listed" 2000 "$(grep -c '/list/entry-' "$OUT")"

log "the same link losing 2 % of its packets"
link 10 20000
check "the daemon still listens after the link was replaced" listening
transfers "2 % of packets lost"
delay_line_stop 2>>"$DL_LOG"
log "  $(tail -n 1 "$DL_LOG")"
lost=$(tail -n 1 "$DL_LOG" | grep -o '[0-9]* lost' | awk '{n += $1} END {print n + 0}')
check "the lossy link dropped packets ($lost)" test "$lost" -gt 0
check_eq "no session ended abnormally" 0 "$(audit_count "ended abnormally")"

finish
