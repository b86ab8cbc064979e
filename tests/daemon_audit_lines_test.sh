#!/usr/bin/env bash
# The audit lines an auditor relies on, from `sftpd serve` and real OpenSSH
# clients: a login names its method and the key's fingerprint as
# `ssh-keygen -lf` prints it (and the log says "Accepted publickey ... ssh2:
# ED25519 SHA256:..." as sshd does); a session kicked, sent SIGTERM or
# dropped mid-upload still closes its open file with a close line whose
# bytes match the file, before its logout (sftpd --stdio under SIGTERM too,
# its logout naming the signal); a shell or exec is an audited
# refusal (the command escaped), not an abnormal end; the locale env that
# OpenSSH sends is not logged; a user refused by her allow_from is not an
# "invalid user"; `sftpd audit` shows each event's session, and
# --summary --json prints a JSON object per user.
# Usage: daemon_audit_lines_test.sh /path/to/sftpd
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
mkdir -p "$H1" "$K" "$L" "$TMP/audit" "$TMP/hk"
chown "$T_USER1:" "$H1"
chmod 0755 "$K" "$TMP/hk"

PORT=$(free_loopback_port) || die "no free port found"
{ daemon_config "$PORT" "server: control_socket = \"$SOCK\"" "audit: syslog = false"
  cat <<CONFIG; } | install_config "$CFG"
# Refusals from 127.0.0.1 are on purpose here.
[defender]
never_ban = ["127.0.0.1"]

[exports.home]
path = "$SRV/users/%u"
owner_only = true

[users.$T_USER1]
exports = ["home"]
allow_from = ["127.0.0.1/32"]

[users.$T_USER2]
exports = ["home"]
allow_from = ["127.0.0.9/32"]
CONFIG

ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key" -C sftpd-lines
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER1"
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER2"
FP=$(ssh-keygen -lf "$TMP/client_key.pub" | awk '{print $2}')
[[ $FP == SHA256:* ]] || die "ssh-keygen -lf printed no SHA256 fingerprint: $FP"

DLOG=$TMP/daemon.log
start_sftpd_serve "$CFG" "$PORT" "$DLOG"
log "sftpd serve on 127.0.0.1:$PORT (pid $DPID)"

log "a login names its method and key"
check "a public-key session" dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<<"ls"
check "  ... its login line has the method and the key as ssh-keygen -lf prints it" \
  wait_audit "\"user\":\"$T_USER1\".*\"op\":\"login\",\"result\":\"ok\",.*\"method\":\"publickey\",\"key\":\"ED25519 $FP\""
check "  ... and the log says so as sshd does" \
  grep -qE "Accepted publickey for $T_USER1 from 127\.0\.0\.1 port [0-9]+ ssh2: ED25519 $(sed 's/[+/]/\\&/g' <<<"$FP")\$" "$DLOG"
wait_daemon_children 0 || true

# upload_then KBITS NAME: starts a slow upload of $L/big to NAME as
# $T_USER1 (dsftp_slow, BG) and waits until the server holds some of it.
mkfile "$L/big" 2048 root
upload_then() {
  dsftp_slow "$TMP/client_key" "$1" "$T_USER1@127.0.0.1" "$TMP/up.out" "put $L/big $2"
  local i
  for ((i = 0; i < 100; i++)); do
    [[ $(stat -c %s "$H1/$2" 2>/dev/null || echo 0) -gt 0 ]] && break
    sleep 0.1
  done
  sleep 1
}
# close_bytes NAME: bytes_written of the close line of /home/NAME.
close_bytes() {
  grep "\"op\":\"close\",\"path\":\"/home/$1\"" "$AUDIT" |
    sed -n 's/.*"bytes_written":\([0-9]*\).*/\1/p' | tail -1
}
# session_of NAME: the session id of the close line of /home/NAME.
session_of() {
  grep "\"op\":\"close\",\"path\":\"/home/$1\"" "$AUDIT" |
    sed -n 's/.*"session":"\([0-9a-f.]*\)".*/\1/p' | tail -1
}
# close_before_logout ID: the session's close line comes before its logout.
close_before_logout() {
  local c l
  c=$(grep -n "\"session\":\"$1\".*\"op\":\"close\"" "$AUDIT" | head -1 | cut -d: -f1)
  l=$(grep -n "\"session\":\"$1\".*\"op\":\"logout\"" "$AUDIT" | head -1 | cut -d: -f1)
  [[ -n $c && -n $l && $c -lt $l ]]
}

log "a session kicked mid-upload"
upload_then 64 kicked.bin
check "sftpd kick" timeout 10 "$SFTPD" kick --config "$CFG" "$T_USER1"
check "  ... the session ends" wait_daemon_children 0
check "  ... its open file's close is audited" wait_audit '"op":"close","path":"/home/kicked.bin"'
size=$(stat -c %s "$H1/kicked.bin")
check_eq "  ... with the bytes the file holds" "$size" "$(close_bytes kicked.bin)"
check "  ... some, not all of it ($size)" test "$size" -gt 0 -a "$size" -lt $((2048 * 1024))
id=$(session_of kicked.bin)
check "  ... then the logout" wait_audit "\"session\":\"$id\".*\"op\":\"logout\",\"result\":\"kicked (sftpd kick)\""
check "  ... in that order" close_before_logout "$id"
kill -KILL -- -"$BG" 2>/dev/null || true
wait "$BG" 2>/dev/null || true

log "a session process sent SIGTERM mid-upload"
upload_then 64 termed.bin
SPID=$(daemon_children | head -1)
kill -TERM "$SPID"
check "  ... the session ends" wait_daemon_children 0
check "  ... its open file's close is audited" wait_audit '"op":"close","path":"/home/termed.bin"'
check_eq "  ... with the bytes the file holds" "$(stat -c %s "$H1/termed.bin")" "$(close_bytes termed.bin)"
id=$(session_of termed.bin)
check "  ... then the logout" wait_audit "\"session\":\"$id\".*\"op\":\"logout\",\"result\":\"ended abnormally: killed by signal 15\""
check "  ... in that order" close_before_logout "$id"
kill -KILL -- -"$BG" 2>/dev/null || true
wait "$BG" 2>/dev/null || true

log "a connection dropped mid-upload"
upload_then 64 dropped.bin
kill -KILL -- -"$BG"
wait "$BG" 2>/dev/null || true
check "  ... the session ends" wait_daemon_children 0
check "  ... its open file's close is audited" wait_audit '"op":"close","path":"/home/dropped.bin"'
check_eq "  ... with the bytes the file holds" "$(stat -c %s "$H1/dropped.bin")" "$(close_bytes dropped.bin)"
id=$(session_of dropped.bin)
check "  ... then the logout" wait_audit "\"session\":\"$id\".*\"op\":\"logout\""
check "  ... in that order" close_before_logout "$id"

log "sftpd --stdio sent SIGTERM mid-upload"
# As OpenSSH would run it, with an audit file the user may append to.
CFG2=$TMP/etc/stdio.toml
AUDIT2=$TMP/audit/stdio.jsonl
install -m 0666 /dev/null "$AUDIT2"
install_config "$CFG2" <<CONFIG
[audit]
log = "$AUDIT2"

[exports.home]
path = "$SRV/users/%u"
owner_only = true

[users.$T_USER1]
exports = ["home"]
allow_from = ["127.0.0.1/32"]
CONFIG
W=$TMP/work/$T_USER1
mkdir -p "$W"
chown "$T_USER1:" "$W"
install -m 0644 "$L/big" "$W/big"
(cd "$W" && setsid timeout 120 runuser -u "$T_USER1" -- \
  env SSH_CONNECTION="$T_LOCAL_ADDR" sftp -q -l 64 -b - \
  -D "$SFTPD --stdio --config $CFG2" <<<"put big stdio.bin" >/dev/null 2>&1) &
BG=$!
at_exit "kill -KILL -- -$BG 2>/dev/null"
for ((i = 0; i < 100; i++)); do
  [[ $(stat -c %s "$H1/stdio.bin" 2>/dev/null || echo 0) -gt 0 ]] && break
  sleep 0.1
done
sleep 1
SPID=$(pgrep -f -- "--stdio --config $CFG2" | head -1)
check "the session process runs" test -n "$SPID"
kill -TERM "$SPID"
check "  ... ends after SIGTERM" timeout 10 tail --pid="$SPID" -f /dev/null
check "  ... its open file's close is audited" \
  wait_audit '"op":"close","path":"/home/stdio.bin"' "$AUDIT2"
check_eq "  ... with the bytes the file holds" "$(stat -c %s "$H1/stdio.bin")" \
  "$(grep '"op":"close","path":"/home/stdio.bin"' "$AUDIT2" |
     sed -n 's/.*"bytes_written":\([0-9]*\).*/\1/p')"
check "  ... then the logout, naming the signal" \
  wait_audit '"op":"logout","result":"ended by signal 15 (SIGTERM)"' "$AUDIT2"
check_eq "  ... in that order" "close logout" \
  "$(sed -n 's/.*"op":"\(close\|logout\)".*/\1/p' "$AUDIT2" | tr '\n' ' ' | sed 's/ $//')"
kill -KILL -- -"$BG" 2>/dev/null || true
wait "$BG" 2>/dev/null || true

log "shell and exec are audited refusals"
rc=0
dssh "$TMP/client_key" "$T_USER1@127.0.0.1" </dev/null >"$OUT" 2>"$ERR" || rc=$?
check "ssh HOST (a shell) fails ($rc)" test "$rc" -ne 0
check "  ... audited as a refusal" \
  wait_audit '"op":"channel","result":"refused","rule":"unsupported channel request","detail":"shell"'
rc=0
dssh "$TMP/client_key" "$T_USER1@127.0.0.1" $'cat /etc/shadow\n\x1b[0m' </dev/null >"$OUT" 2>"$ERR" || rc=$?
check "ssh HOST CMD (an exec) fails ($rc)" test "$rc" -ne 0
check "  ... audited as a refusal, the command escaped" \
  wait_audit '"op":"channel","result":"refused","rule":"unsupported channel request","detail":"exec: cat /etc/shadow\\u000a\\u001b\[0m"'
check "  ... logged on one line, escaped" \
  grep -qF 'refused exec: cat /etc/shadow\x0a\x1b[0m' "$DLOG"
wait_daemon_children 0 || true
check "  ... their sessions end with a logout that says no sftp session started" \
  test "$(audit_count '"op":"logout","result":"ok","detail":"no sftp session started"')" -eq 2
check_eq "  ... and none ended abnormally" "0" "$(audit_count 'ended abnormally: exit status')"

log "the environment OpenSSH sends"
rc=0
LANG=C.UTF-8 LC_TIME=C dsftp "$TMP/client_key" -o "SendEnv=LANG LC_*" \
  -o SetEnv=FOO=bar "$T_USER1@127.0.0.1" <<<"ls" || rc=$?
check_eq "a session sending LANG and LC_* (and FOO) is served" "0" "$rc"
wait_daemon_children 0 || true
check_eq "  ... the log has no 'refused env' line" "0" "$(grep -c 'refused env' "$DLOG" || true)"
check_eq "  ... nor the trail" "0" "$(audit_count '"detail":"env')"

log "a user refused by her allow_from"
check_not "$T_USER2 (allow_from 127.0.0.9) from 127.0.0.1 is refused" \
  dsftp "$TMP/client_key" "$T_USER2@127.0.0.1" <<<"ls"
check "  ... logged as not allowed from the address" \
  grep -qE "Failed publickey for $T_USER2 from 127\.0\.0\.1 port [0-9]+ ssh2: not allowed from 127\.0\.0\.1\$" "$DLOG"
check_eq "  ... not as an invalid user" "0" "$(grep -c "invalid user $T_USER2" "$DLOG" || true)"
check "  ... audited with rule allow_from" \
  wait_audit "\"user\":\"$T_USER2\".*\"op\":\"login\",\"result\":\"refused\",\"rule\":\"allow_from\""

log "sftpd audit"
# audit_cli ARGS...: `sftpd audit` with the test config into $OUT and $ERR.
audit_cli() { timeout 10 "$SFTPD" audit --config "$CFG" "$@" >"$OUT" 2>"$ERR"; }
check "the table" audit_cli --user "$T_USER1" --op close
check "  ... has a session column" grep -qE '^TIME \(UTC\) +SESSION +USER ' "$OUT"
check "  ... naming the kicked session on its close" \
  grep -qE "^[0-9-]+ [0-9:]+  $(session_of kicked.bin) +$T_USER1 +127\.0\.0\.1 +close +/home/kicked\.bin" "$OUT"
check "--summary --json" audit_cli --summary --json
written=$(($(close_bytes kicked.bin) + $(close_bytes termed.bin) + $(close_bytes dropped.bin)))
check "  ... a JSON object per user, one a line, with the bytes written" \
  /usr/bin/python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
users = {r["user"]: r for r in rows}
assert {sys.argv[2], sys.argv[3]} <= set(users), users
assert users[sys.argv[2]]["bytes_written"] == int(sys.argv[4]), users
assert users[sys.argv[2]]["files_written"] == 3, users
assert users[sys.argv[3]]["refusals"] >= 1, users
' "$OUT" "$T_USER1" "$T_USER2" "$written"

finish
