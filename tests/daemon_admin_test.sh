#!/usr/bin/env bash
# `sftpd sessions` and `sftpd kick` against a running daemon with two
# sessions: the listing (user, address, since, bytes moving, the file open
# now) matches the session processes; the control socket is root's (0600 in
# a 0700 directory), and a non-root peer that gets through anyway is refused
# by its uid and audited; kick by user and by session id ends just those
# sessions, audited, while the other goes on intact; errors exit 1 or 2;
# the socket is gone after the daemon stops.
# Usage: daemon_admin_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
AUDIT=$TMP/audit/audit.jsonl
SOCK=$TMP/run/control.sock
K=$TMP/keys
L=$TMP/local
H1=$SRV/users/$T_USER1
H2=$SRV/users/$T_USER2
mkdir -p "$H1" "$H2" "$K" "$L" "$TMP/audit" "$TMP/hk"
chown "$T_USER1:" "$H1"
chown "$T_USER2:" "$H2"
chmod 0755 "$K" "$TMP/hk"

PORT=$(free_loopback_port) || die "no free port found"
{ daemon_config "$PORT" "server: control_socket = \"$SOCK\"" "audit: syslog = false"
  cat <<CONFIG; } | install_config "$CFG"
[exports.home]
path = "$SRV/users/%u"
owner_only = true

[users.$T_USER1]
exports = ["home"]
allow_from = ["127.0.0.1/32"]

[groups.$T_GROUP]
exports = ["home"]
CONFIG

ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key" -C sftpd-admin
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER1"
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER2"

DLOG=$TMP/daemon.log
start_sftpd_serve "$CFG" "$PORT" "$DLOG"
log "sftpd serve on 127.0.0.1:$PORT (pid $DPID)"

check_eq "the control socket is root's, 0600" "root 600" "$(stat -c '%U %a' "$SOCK")"
check_eq "  ... in a directory of root's, 0700" "root 700" "$(stat -c '%U %a' "$TMP/run")"

# sessions [args...]: `sftpd sessions` with the test config into $OUT/$ERR.
sessions() { timeout 10 "$SFTPD" sessions --config "$CFG" "$@" >"$OUT" 2>"$ERR"; }
kick() { timeout 10 "$SFTPD" kick --config "$CFG" "$@" >"$OUT" 2>"$ERR"; }
# field N USER: field N of USER's row of the last listing.
field() { awk -v n="$1" -v u="$2" '$3 == u {print $n}' "$OUT"; }

check "no session: the listing is empty" sessions
check_eq "  ... a header alone" "1" "$(wc -l <"$OUT")"

log "two sessions: $T_USER1 downloads slowly, $T_USER2 sits idle"
head -c $((12 * 1024 * 1024)) /dev/urandom >"$H1/dl"
chown "$T_USER1:" "$H1/dl"
dsftp_slow "$TMP/client_key" 8192 "$T_USER1@127.0.0.1" "$TMP/dl.out" "get dl $L/dl"
DL=$BG
mkfifo "$TMP/hold"
timeout 60 ssh "${DAEMON_SSH_OPTS[@]}" -i "$TMP/client_key" -p "$PORT" \
  -s "$T_USER2@127.0.0.1" sftp <"$TMP/hold" >/dev/null 2>&1 &
IDLE=$!
exec 5>"$TMP/hold"
at_exit "kill $IDLE 2>/dev/null"
check "both are logged in" wait_daemon_children 2
for ((i = 0; i < 100; i++)); do
  [[ $(audit_count '"op":"login","result":"ok"') -ge 2 ]] && break
  sleep 0.1
done
sleep 2  # the download moves, and reports it (each second)
check "sftpd sessions lists them" sessions
check_eq "  ... two rows" "3" "$(wc -l <"$OUT")"
check_eq "  ... their pids are the session processes" \
  "$(daemon_children | sort | tr '\n' ' ')" \
  "$(tail -n +2 "$OUT" | awk '{print $2}' | sort | tr '\n' ' ')"
check_eq "  ... from 127.0.0.1" "127.0.0.1 127.0.0.1" "$(field 4 "$T_USER1") $(field 4 "$T_USER2")"
check_eq "  ... since today" "$(date -u +%F) $(date -u +%F)" "$(field 6 "$T_USER1") $(field 6 "$T_USER2")"
check_eq "  ... $T_USER1 has /home/dl open" "/home/dl" "$(awk -v u="$T_USER1" '$3 == u {print $NF}' "$OUT")"
first=$(sessions --json && /usr/bin/python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["user"] == sys.argv[2]: print(e["bytes_read"])' "$OUT" "$T_USER1")
check "  ... and has read bytes of it ($first)" test "${first:-0}" -gt 0
sleep 2
second=$(sessions --json && /usr/bin/python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["user"] == sys.argv[2]: print(e["bytes_read"])' "$OUT" "$T_USER1")
check "  ... more two seconds later ($second)" test "${second:-0}" -gt "${first:-0}"
check "  ... --json gives audit-format lines" /usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 2 and all(r["op"] == "session" and r["session"] for r in rows)
' "$OUT"
ID2=$(/usr/bin/python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["user"] == sys.argv[2]: print(e["session"])' "$OUT" "$T_USER2")

log "the control socket is for root"
rc=0
runuser -u "$T_USER3" -- timeout 10 "$SFTPD" sessions --config "$CFG" >"$OUT" 2>"$ERR" || rc=$?
check_eq "another user cannot reach it (exit 1)" "1" "$rc"
check "  ... for the file's permissions" grep -q "Permission denied" "$ERR"
# Opened up by hand, the listener still refuses by the peer's uid.
chmod 0755 "$TMP/run"
chmod 0666 "$SOCK"
rc=0
runuser -u "$T_USER3" -- timeout 10 "$SFTPD" sessions --config "$CFG" >"$OUT" 2>"$ERR" || rc=$?
chmod 0700 "$TMP/run"
chmod 0600 "$SOCK"
check_eq "with the socket opened up, a non-root peer is refused (exit 1)" "1" "$rc"
check "  ... by the daemon" grep -q "the daemon says: root only" "$ERR"
check "  ... audited" wait_audit "\"op\":\"control\",\"result\":\"refused\",\"rule\":\"control socket: root only\",\"detail\":\"uid $(id -u "$T_USER3")\""

log "kick"
rc=0
kick nosuchuser || rc=$?
check_eq "kick of nobody's sessions exits 1" "1" "$rc"
check "  ... saying so" grep -q "no session of a user or with an id 'nosuchuser'" "$ERR"
check "kick by session id ends $T_USER2's" kick "$ID2"
check "  ... says which" grep -q "^kicked session $ID2 of $T_USER2 from 127.0.0.1" "$OUT"
check "  ... its client sees the end" timeout 10 tail --pid="$IDLE" -f /dev/null
check "  ... audited: the kick" wait_audit "\"session\":\"$ID2\".*\"op\":\"kick\",\"result\":\"ok\",\"detail\":\"sftpd kick by uid 0\""
check "  ... and the logout" wait_audit "\"session\":\"$ID2\".*\"op\":\"logout\",\"result\":\"kicked (sftpd kick)\""
check "  ... one session is left" wait_daemon_children 1
check "  ... $T_USER1's download goes on" sessions
check_eq "  ... listed alone" "$T_USER1" "$(tail -n +2 "$OUT" | awk '{print $3}')"
check "kick by user name" kick "$T_USER1"
check "  ... ends the download" wait_daemon_children 0
rc=0
wait "$DL" || rc=$?
check "  ... whose client fails (status $rc)" test "$rc" -ne 0
check "  ... audited" wait_audit "\"user\":\"$T_USER1\".*\"op\":\"logout\",\"result\":\"kicked (sftpd kick)\""
check "a new session is served" dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<<"ls"

log "errors"
rc=0
timeout 10 "$SFTPD" kick --config "$CFG" >"$OUT" 2>"$ERR" || rc=$?
check_eq "kick without a target is a usage error (exit 2)" "2" "$rc"
rc=0
timeout 10 "$SFTPD" sessions --config "$CFG" --all >"$OUT" 2>"$ERR" || rc=$?
check_eq "sessions with an unknown option is a usage error (exit 2)" "2" "$rc"
kill -TERM "$DPID"
check "after SIGTERM the daemon ends" timeout 40 tail --pid="$DPID" -f /dev/null
check_not "  ... and removes its control socket" test -e "$SOCK"
rc=0
sessions || rc=$?
check_eq "with no daemon, sessions exits 1" "1" "$rc"
check "  ... saying it cannot reach it" grep -q "cannot reach the daemon" "$ERR"

finish
