#!/usr/bin/env bash
# `sftpd serve`'s audit trail and connection limits: the listener, not the
# user's session process, writes the audit file (the session holds no fd on
# it); refused logins, drops before key exchange and a killed session are on
# it; a flood of refused requests costs it a bounded amount, the listener
# counting what it does not write; SIGHUP reopens it after a rotation;
# [server] max_sessions_per_user, max_startups, idle_timeout (set by a
# SIGHUP) and [auth] login_grace_time (silent and slow-loris clients),
# max_tries are enforced and audited with their rule or reason (a first
# "none" free, later ones counted); a second user name on one connection
# ends it; a claimed user name holding a line break cannot forge a log line;
# max_startups_per_address keeps one address holding idle connections from
# locking out another.
# Usage: daemon_audit_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
AUDIT=$TMP/audit/audit.jsonl
K=$TMP/keys
L=$TMP/local
mkdir -p "$SRV/users/$T_USER1" "$SRV/archive" "$K" "$L" "$TMP/audit" "$TMP/hk"
chown "$T_USER1:" "$SRV/users/$T_USER1"
chmod 0755 "$K" "$TMP/hk"

PORT=$(free_loopback_port) || die "no free port found"
{ daemon_config "$PORT" "server: max_startups = 2" "server: max_sessions_per_user = 1" \
    "auth: login_grace_time = 3" "auth: max_tries = 2" "audit: syslog = false"
  cat <<CONFIG; } | install_config "$CFG"
# This test refuses 127.0.0.1 on purpose, more than the defender allows;
# daemon_defender_test tests the defender.
[defender]
never_ban = ["127.0.0.1"]

[exports.home]
path = "$SRV/users/%u"
owner_only = true

[exports.archive]
path = "$SRV/archive"
access = "ro"

[users.$T_USER1]
exports = ["home", "archive"]
allow_from = ["127.0.0.1/32"]
CONFIG

ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key" -C sftpd-test
ssh-keygen -q -t ed25519 -N '' -f "$TMP/wrong_key" -C sftpd-wrong
ssh-keygen -q -t ed25519 -N '' -f "$TMP/wrong_key2" -C sftpd-wrong2
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER1"

DLOG=$TMP/daemon.log
# The daemon is started with a descriptor it has no use for (as from a
# careless init script): it must not keep it, nor hand it to sessions.
echo stray >"$TMP/stray"
exec 7<"$TMP/stray"
start_sftpd_serve "$CFG" "$PORT" "$DLOG"
exec 7<&-
log "sftpd serve on 127.0.0.1:$PORT (pid $DPID)"

log "a held session: the audit file is the listener's alone"
# An sftp subsystem kept open by a client that sends nothing yet: its
# stdin is a FIFO this shell holds open on fd 5.
mkfifo "$TMP/hold"
timeout 40 ssh "${DAEMON_SSH_OPTS[@]}" -i "$TMP/client_key" -p "$PORT" \
  -s "$T_USER1@127.0.0.1" sftp <"$TMP/hold" >/dev/null 2>&1 &
HELD=$!
exec 5>"$TMP/hold"
at_exit "kill $HELD 2>/dev/null"
check "the session is logged in" wait_audit '"op":"login","result":"ok"'
SPID=$(daemon_children | head -1)
check "the session process runs as $T_USER1" \
  test "$(awk '/^Uid:/ {print $2}' "/proc/$SPID/status" 2>/dev/null)" = "$(id -u "$T_USER1")"
held_audit=$(ls -l "/proc/$SPID/fd" 2>/dev/null | grep -c "$AUDIT" || true)
check_eq "the session process holds no fd on the audit file" "0" "$held_audit"
check_eq "the listener holds it" "1" \
  "$(ls -l "/proc/$DPID/fd" 2>/dev/null | grep -c "$AUDIT" || true)"
check_eq "the audit file is root's, 0600" "600 root" "$(stat -c '%a %U' "$AUDIT" 2>&1)"
check_not "$T_USER1 cannot append to it" runuser -u "$T_USER1" -- sh -c "echo forged 2>/dev/null >> '$AUDIT'"

log "descriptors: nothing inherited is kept, the session's stdio is /dev/null"
# fd_targets PID: "FD TARGET" for each open descriptor of PID.
fd_targets() {
  local f
  for f in /proc/"$1"/fd/*; do
    printf '%s %s\n' "${f##*/}" "$(readlink "$f" 2>/dev/null)"
  done
}
fd_targets "$DPID" >"$TMP/listener.fds"
fd_targets "$SPID" >"$TMP/session.fds"
check_not "the listener closed the stray descriptor" grep -q "$TMP/stray" "$TMP/listener.fds"
check_not "the session never had it" grep -q "$TMP/stray" "$TMP/session.fds"
# Under ASan a session keeps stderr for its reports.
stdio_fds="0 1 2"
[ -n "${ASAN_OPTIONS:-}" ] && stdio_fds="0 1"
for fd in $stdio_fds; do
  check_eq "  ... session fd $fd is /dev/null" "$fd /dev/null" \
    "$(grep "^$fd " "$TMP/session.fds")"
done
# What is left: the connection and the relay to the listener, no more; in
# particular no datagram socket to syslog or the journal (/proc/net/unix
# lists each socket's inode with its type, 0002 a datagram socket).
session_sockets=$(sed -n 's/.* socket:\[\([0-9]*\)\]$/\1/p' "$TMP/session.fds")
check_eq "  ... it holds two sockets, the connection and the relay" "2" \
  "$(wc -w <<<"$session_sockets")"
dgram=0
for inode in $session_sockets; do
  awk -v i="$inode" '$7 == i && $5 == "0002"' /proc/net/unix | grep -q . && dgram=$((dgram + 1))
done
check_eq "  ... neither a datagram socket (syslog, the journal)" "0" "$dgram"
# The session holds the host key its connection signs rekeyings with: the
# user it runs as can neither read its memory nor trace it.
check_eq "  ... its /proc files are root's, though it runs as $T_USER1" "root" \
  "$(stat -c %U "/proc/$SPID/fd")"
stack=$((16#$(awk '/\[stack\]/ {sub(/-.*/, "", $1); print $1; exit}' "/proc/$SPID/maps")))
read_stack() { "$@" dd if="/proc/$SPID/mem" bs=1 count=1 skip="$stack" status=none of=/dev/null; }
check "  ... root can read its stack" read_stack
check_not "  ... $T_USER1 cannot" read_stack runuser -u "$T_USER1" --
check_not "  ... nor its environment" runuser -u "$T_USER1" -- cat "/proc/$SPID/environ"
check "  ... its lines reach the log through the listener, under its pid" \
  grep -q "^sftpd\[$SPID\]: Accepted publickey for $T_USER1 from 127.0.0.1" "$DLOG"

log "max_sessions_per_user = 1"
check_not "a second session of $T_USER1 is refused" dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<<"ls"
check "  ... audited with its rule" wait_audit '"result":"refused","rule":"max_sessions_per_user"'
if grep -q "refused user $T_USER1 from 127.0.0.1:[0-9]*: user has 1 sessions already" "$DLOG"; then
  pass "  ... and logged"
else fail "  ... and logged" "$(tail -5 "$DLOG")"; fi

log "a killed session"
kill -KILL "$SPID"
check "the listener writes its logout" \
  wait_audit '"op":"logout","result":"ended abnormally: killed by signal 9"'
exec 5>&-
kill "$HELD" 2>/dev/null || true
wait "$HELD" 2>/dev/null || true
check "the listener has no children left" wait_daemon_children 0

log "a full session after it"
mkfile "$L/up.bin" 64 root
check "put and get as $T_USER1" dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<BATCH
put $L/up.bin up.bin
get up.bin $L/down.bin
BATCH
check_eq "  ... the file came back" "$(sha "$L/up.bin")" "$(sha "$L/down.bin" 2>&1)"
check "  ... its logout is written" wait_audit '"op":"logout","result":"ok"'
session=$(grep '"op":"logout","result":"ok"' "$AUDIT" | sed -n 's/.*"session":"\([0-9a-f]*\)".*/\1/p')
check_eq "  ... login, two opens and closes, logout under one session id" "6" \
  "$(grep "\"session\":\"$session\"" "$AUDIT" | grep -cE '"op":"(login|open|close|logout)"' || true)"

log "a flood of refused requests: the listener counts what the session repeats"
# 10000 MKDIRs of 4 KiB paths in the read-only /archive, each refused with no
# filesystem work. The listener writes a few, counts the rest per session
# and writes their count at the logout: the session process is not trusted
# to limit itself.
FLOODS=10000
bytes_before=$(stat -c %s "$AUDIT")
flood=$(timeout 120 /usr/bin/python3 "$(dirname "$0")/refusal_flood.py" \
  "$FLOODS" /archive 4000 -- ssh "${DAEMON_SSH_OPTS[@]}" -i "$TMP/client_key" \
  -p "$PORT" -s "$T_USER1@127.0.0.1" sftp || true)
check_eq "every one of $FLOODS MKDIRs in /archive is refused" "denied=$FLOODS other=0" "$flood"
check "  ... the session's logout is written" wait_audit '"op":"logout","result":"ok"'
bytes=$(($(stat -c %s "$AUDIT") - bytes_before))
log "  audit: $bytes bytes for $FLOODS refused requests"
check "  ... the audit file grew by under 128 KiB ($bytes bytes)" test "$bytes" -lt 131072
rule='"rule":"read-only export"'
written=$(grep "$rule" "$AUDIT" | grep -vc '"repeated":' || true)
summed=$(sed -n 's/.*"rule":"read-only export","repeated":\([0-9]*\)}$/\1/p' "$AUDIT" | paste -sd+ | bc)
check "  ... a few are written one by one ($written)" test "${written:-0}" -ge 1 -a "${written:-0}" -le 20
check_eq "  ... and the listener's summary lines count the rest exactly" "$FLOODS" "$((written + ${summed:-0}))"
check "  ... with the session's identity" \
  grep -q "\"user\":\"$T_USER1\",\"uid\":[0-9]*,\"addr\":\"127.0.0.1\",\"port\":[0-9]*,\"op\":\"mkdir\",\"result\":\"Permission denied\",$rule,\"repeated\":" "$AUDIT"

log "a path too long for the audit line is cut, and the line says so"
# 4000 bytes of 0x01 escape to 24 000: the line keeps 4 KiB of them.
cut_before=$(grep -c '"cut":' "$AUDIT" || true)
flood=$(timeout 60 /usr/bin/python3 "$(dirname "$0")/refusal_flood.py" \
  3 /archive 4000 --control -- ssh "${DAEMON_SSH_OPTS[@]}" -i "$TMP/client_key" \
  -p "$PORT" -s "$T_USER1@127.0.0.1" sftp || true)
check_eq "three MKDIRs of escaped paths are refused" "denied=3 other=0" "$flood"
check "  ... their lines name the path as cut" \
  wait_audit '"op":"mkdir","path":"/archive/2-\\u0001[\\u0001]*","result":"Permission denied","rule":"read-only export","cut":"path"}$'
check_eq "  ... three of them, and no other" "3" "$(($(grep -c '"cut":' "$AUDIT") - cut_before))"
check "  ... which sftpd audit shows" \
  bash -c "'$SFTPD' audit --file '$AUDIT' --op mkdir | grep -q '/archive/2-???.*read-only export) \[cut: path\]$'"

log "a flood of malformed requests: each refused, with its reason, boundedly"
# 10000 MKDIRs whose ATTRS carry flag bit 0x10, which SFTP v3 does not
# define: each is answered BAD_MESSAGE. The listener audits and logs a few,
# naming the reason, and counts the rest; then unknown extensions whose name
# holds a line break cannot forge a log line.
wait_daemon_children 0 || true
log_before=$(wc -l <"$DLOG")
flood=$(timeout 120 /usr/bin/python3 "$(dirname "$0")/refusal_flood.py" \
  "$FLOODS" /home 100 --malformed -- ssh "${DAEMON_SSH_OPTS[@]}" -i "$TMP/client_key" \
  -p "$PORT" -s "$T_USER1@127.0.0.1" sftp || true)
check_eq "every one of $FLOODS malformed MKDIRs is answered BAD_MESSAGE" \
  "malformed=$FLOODS other=0" "$flood"
reason='"op":"mkdir","result":"Malformed request","rule":"malformed request","detail":"MKDIR: attrs: unknown flag bits 0x00000010"'
malformed_total() {
  local written summed
  written=$(grep -F "$reason" "$AUDIT" | grep -vc '"repeated":' || true)
  summed=$(grep -F "$reason" "$AUDIT" | sed -n 's/.*"repeated":\([0-9]*\)}$/\1/p' | paste -sd+ | bc)
  echo "$((written + ${summed:-0})) $written"
}
for ((i = 0; i < 100; i++)); do
  [[ $(malformed_total) == "$FLOODS "* ]] && break
  sleep 0.1
done
read -r total written <<<"$(malformed_total)"
check "  ... a few are audited one by one, with the reason ($written)" \
  test "${written:-0}" -ge 1 -a "${written:-0}" -le 20
check_eq "  ... and the summary lines count the rest exactly" "$FLOODS" "$total"
wait_daemon_children 0 || true
new_log=$(tail -n +"$((log_before + 1))" "$DLOG")
logged=$(grep -c 'refused a malformed request: MKDIR: attrs: unknown flag bits 0x00000010$' <<<"$new_log" || true)
check_eq "  ... each one audited is logged, naming its session" "$written" "$logged"
check "  ... and the summaries too" \
  grep -qE '^sftpd: session [0-9a-f]+: refused [0-9]+ more like it: MKDIR: attrs: unknown flag bits' <<<"$new_log"
check "  ... the log grew by a bounded number of lines ($(wc -l <<<"$new_log"))" \
  test "$(wc -l <<<"$new_log")" -le 40
FORGED_EXT=$'x\nsftpd: session 0: forged\x1b[0m'
log_before=$(wc -l <"$DLOG")
flood=$(timeout 120 /usr/bin/python3 "$(dirname "$0")/refusal_flood.py" \
  100 / 1 --extension "$FORGED_EXT" -- ssh "${DAEMON_SSH_OPTS[@]}" -i "$TMP/client_key" \
  -p "$PORT" -s "$T_USER1@127.0.0.1" sftp || true)
check_eq "100 unknown extensions are answered OP_UNSUPPORTED" "unsupported=100 other=0" "$flood"
check "  ... audited with the name, escaped" \
  wait_audit '"op":"extended","result":"Unsupported extension","rule":"unsupported request","detail":"unsupported extension x\\\\x0asftpd: session 0: forged\\\\x1b\[0m"'
wait_daemon_children 0 || true
new_log=$(tail -n +"$((log_before + 1))" "$DLOG")
check "  ... logged on one line, the line break escaped" \
  grep -qF 'refused an unsupported request: unsupported extension x\x0asftpd: session 0: forged\x1b[0m' <<<"$new_log"
check_eq "  ... no line of the log starts with the forged one" "0" \
  "$(grep -c '^sftpd: session 0: forged' "$DLOG" || true)"

log "refused logins are audited"
check_not "two wrong keys are refused" \
  dsftp "$TMP/wrong_key" -i "$TMP/wrong_key2" "$T_USER1@127.0.0.1" <<<"ls"
check "  ... audited as a failed authentication of $T_USER1" \
  wait_audit "\"user\":\"$T_USER1\".*\"op\":\"login\",\"result\":\"refused\",\"rule\":\"authentication\""
check "  ... and as max_tries after [auth] max_tries = 2 failures" \
  wait_audit '"rule":"max_tries","detail":"2 failed attempts"'
if grep -q "maximum authentication attempts exceeded for $T_USER1 from 127.0.0.1 port [0-9]* ssh2" "$DLOG"; then
  pass "  ... logged as sshd would"
else fail "  ... logged as sshd would" "$(tail -5 "$DLOG")"; fi
if command -v fail2ban-regex >/dev/null; then
  check "  ... which fail2ban's sshd filter counts against 127.0.0.1" \
    bash -c "fail2ban-regex -d '{NONE}' --out row '$DLOG' 'sshd[_daemon=sftpd]' |
      grep -q \"^\\['127.0.0.1',.*'user': '$T_USER1'\""
fi
check_not "an unknown user is refused" dsftp "$TMP/client_key" "nosuchuser-sftpd@127.0.0.1" <<<"ls"
check "  ... audited with the name tried" \
  wait_audit '"user":"nosuchuser-sftpd".*"rule":"unknown user"'

log "one user name per connection; \"none\" counts but the first"
# ssh_probe.py sends one request a step on one connection: "refused" is a
# failure answered, "closed REASON" the server's disconnect.
steps() { timeout 60 /usr/bin/python3 "$(dirname "$0")/ssh_probe.py" "$PORT" steps "$@" 2>&1 || true; }
got=$(steps none:"$T_USER1" none:"$T_USER1" none:"$T_USER1" none:"$T_USER1" none:"$T_USER1")
check_eq "a first none is free, the next two fail max_tries = 2" \
  "refused refused refused closed" "$(tr '\n' ' ' <<<"$got" | sed 's/closed .*/closed/')"
for ((i = 0; i < 50; i++)); do
  (($(audit_count '"detail":"failed none"') >= 2)) && break
  sleep 0.1
done
check_eq "  ... each counted none is audited as a failure" "2" \
  "$(audit_count '"rule":"authentication","detail":"failed none"')"
check_eq "  ... and logged as sshd would" "2" \
  "$(grep -c "Failed none for $T_USER1 from 127.0.0.1 port [0-9]* ssh2" "$DLOG" || true)"
CHANGED=nosuchuser-sftpd-changed
got=$(steps none:"$CHANGED" publickey:"$T_USER1":"$TMP/client_key")
check_eq "a change of user name ends the connection, the right key unheard" \
  "refused closed Change of username or service not allowed" "$(tr '\n' ' ' <<<"$got" | sed 's/ $//')"
check "  ... audited under the first name, with the new one" \
  wait_audit "\"user\":\"$CHANGED\".*\"rule\":\"user name changed\",\"detail\":\"to $T_USER1\""
if grep -q "refused user $CHANGED from 127.0.0.1:[0-9]*: user name changed to $T_USER1\$" "$DLOG"; then
  pass "  ... and logged"
else fail "  ... and logged" "$(tail -5 "$DLOG")"; fi
got=$(steps none:"$T_USER1" none:$'x\nsftpd: forged\x1b[0m')
check_eq "a new name holding a line break ends it too" "closed" "$(sed -n '2s/ .*//p' <<<"$got")"
check "  ... audited escaped" \
  wait_audit '"rule":"user name changed","detail":"to x\\\\x0asftpd: forged\\\\x1b\[0m"'
check "  ... and logged on one line, escaped" \
  grep -qF 'user name changed to x\x0asftpd: forged\x1b[0m' "$DLOG"

log "a claimed user name cannot forge a log line"
# The name holds a line break and a whole sshd failure line for another
# address: unescaped, the journal (and fail2ban reading it) would see that
# line on its own and ban 127.0.0.9.
FORGED="Failed password for root from 127.0.0.9 port 1 ssh2"
got=$(timeout 40 /usr/bin/python3 "$(dirname "$0")/ssh_probe.py" "$PORT" \
  password $'x\n'"$FORGED"$'\r\n' wrong 2>&1 || true)
check_eq "the name is refused" "refused" "${got%% *}"
if grep -qF 'invalid user x\x0aFailed password for root from 127.0.0.9 port 1 ssh2\x0d\x0a from 127.0.0.1 port' "$DLOG"; then
  pass "  ... logged on one line, the line break escaped"
else fail "  ... logged on one line, the line break escaped" "$(tail -5 "$DLOG")"; fi
check_eq "  ... no line of the log starts with the forged one" "0" \
  "$(grep -c "^Failed password for root from 127\.0\.0\.9" "$DLOG" || true)"
check_eq "  ... no line holds a carriage return or an escape" "0" \
  "$(grep -c $'[\r\x1b]' "$DLOG" || true)"
if command -v fail2ban-regex >/dev/null; then
  # The log as the journal holds the daemon's stderr: every line an entry
  # of its own, which fail2ban reads as "sftpd[PID]: LINE". A row of
  # fail2ban-regex starts with the address it counts against (the forged
  # text may stand in its user field).
  sed -E '/^sftpd(\[[0-9]+\])?: /!s/^/sftpd[0]: /' "$DLOG" >"$TMP/journal.log"
  check_eq "  ... fail2ban's sshd filter counts no failure against 127.0.0.9" "0" \
    "$(fail2ban-regex -d '{NONE}' --out row "$TMP/journal.log" 'sshd[_daemon=sftpd]' 2>&1 |
      grep -c "^\['127\.0\.0\.9'" || true)"
fi
check_not "a client from 127.0.0.2 is refused" \
  dsftp "$TMP/client_key" -o BindAddress=127.0.0.2 "$T_USER1@127.0.0.1" <<<"ls"
check "  ... audited by the listener before key exchange" \
  wait_audit '"addr":"127.0.0.2".*"rule":"allow_from","detail":"dropped before key exchange'

log "max_startups = 2 and login_grace_time = 3"
wait_daemon_children 0 || true
exec 3<>"/dev/tcp/127.0.0.1/$PORT" 4<>"/dev/tcp/127.0.0.1/$PORT"
check "two silent connections are held" wait_daemon_children 2
# Before authentication a connection's process is root with four
# capabilities (setgid, setuid, audit_write, audit_control: 0x600000c0),
# in its bounding set too, where the listener has them all.
preauth=$(daemon_children | head -1)
caps_of() { awk '/^Cap(Inh|Prm|Eff|Bnd|Amb):/ {printf "%s=%s ", $1, $2}' "/proc/$1/status"; }
check_eq "  ... a process before login keeps only the capabilities it needs" \
  "CapInh:=0000000000000000 CapPrm:=00000000600000c0 CapEff:=00000000600000c0 CapBnd:=00000000600000c0 CapAmb:=0000000000000000 " \
  "$(caps_of "$preauth")"
check_not "  ... the listener keeps them all" grep -q "CapEff:.00000000600000c0" "/proc/$DPID/status"
check_not "a third connection is refused" dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<<"ls"
check "  ... audited with rule max_startups" wait_audit '"rule":"max_startups"'
start=$SECONDS
check "the silent ones are closed after the grace time" wait_daemon_children 0
check "  ... within 3..8 s" test $((SECONDS - start)) -le 8
exec 3>&- 4>&-
check_eq "  ... both audited with rule login_grace_time" "2" \
  "$(audit_count '"rule":"login_grace_time"')"
check "a client is served again" dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<<"ls"

log "a slow-loris client: one byte of its banner a second"
# Prints the seconds until the server closed the connection; fails when it
# stayed open for the whole (bounded: 30 bytes) drip.
slowloris() {
  python3 - "$PORT" <<'PY'
import select, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
start = time.monotonic()
for byte in b"SSH-2.0-slowloris-client-drip\r\n"[:30]:
    try:
        s.send(bytes([byte]))
        while select.select([s], [], [], 0)[0]:
            if not s.recv(4096):
                raise ConnectionResetError
    except OSError:
        print(round(time.monotonic() - start))
        sys.exit(0)
    time.sleep(1)
sys.exit(1)
PY
}
if took=$(slowloris); then
  check "  ... is closed after the grace time (${took} s), in 3..8 s" \
    test "$took" -ge 3 -a "$took" -le 8
else
  fail "  ... is closed after the grace time" "still open after 30 s of drip"
fi
for ((i = 0; i < 50; i++)); do
  (($(audit_count '"rule":"login_grace_time"') >= 3)) && break
  sleep 0.1
done
check_eq "  ... audited with rule login_grace_time" "3" \
  "$(audit_count '"rule":"login_grace_time"')"

log "SIGHUP reopens the audit file"
mv "$AUDIT" "$AUDIT.1"
lines_before=$(wc -l <"$AUDIT.1")
check "the daemon answers SIGHUP" daemon_hup
check "a session after SIGHUP" dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<<"ls"
check "  ... is written to a new file" wait_audit '"op":"logout","result":"ok"'
check_eq "  ... the new file is root's, 0600" "600 root" "$(stat -c '%a %U' "$AUDIT" 2>&1)"
check_eq "  ... nothing more went to the rotated one" "$lines_before" "$(wc -l <"$AUDIT.1")"
log "[server] idle_timeout = 2, after a SIGHUP"
sed -i 's/^max_sessions_per_user = 1$/&\nidle_timeout = 2/' "$CFG"
check "the daemon answers SIGHUP" daemon_hup
check_eq "  ... and reloads" "2" "$(grep -c 'SIGHUP: reloaded' "$DLOG")"
# A session that sends INIT and then nothing (its stdin a FIFO held open).
mkfifo "$TMP/idle"
start=$SECONDS
timeout 30 ssh "${DAEMON_SSH_OPTS[@]}" -i "$TMP/client_key" -p "$PORT" \
  -s "$T_USER1@127.0.0.1" sftp <"$TMP/idle" >/dev/null 2>&1 &
IDLE=$!
exec 6>"$TMP/idle"
printf '\0\0\0\5\1\0\0\0\3' >&6  # SSH_FXP_INIT, version 3
at_exit "kill $IDLE 2>/dev/null"
check "an idle session is ended" \
  wait_audit '"op":"logout","result":"no request for 2 s (\[server\] idle_timeout)"'
check "  ... after 2..8 s" test $((SECONDS - start)) -ge 2 -a $((SECONDS - start)) -le 8
check "  ... and its client sees the end" timeout 10 tail --pid="$IDLE" -f /dev/null
exec 6>&-
# A session with a request every second for 5 s is not idle (ls asks the
# server; pwd would not).
check "a session busy for 5 s is not ended" dsftp "$TMP/client_key" \
  "$T_USER1@127.0.0.1" < <(for i in 1 2 3 4 5; do echo ls; sleep 1; done)
check_eq "  ... one idle logout only" "1" "$(audit_count 'idle_timeout')"

check "every audit line is one JSON object" \
  python3 -c 'import json,sys
for f in sys.argv[1:]:
    for line in open(f):
        assert isinstance(json.loads(line), dict)' "$AUDIT" "$AUDIT.1"

check "the listener is still running" kill -0 "$DPID"

log "max_startups_per_address: one address cannot take every startup"
# A daemon of its own: 127.0.0.5 and .6 are admitted, and never banned for
# the connections held here.
kill "$DPID" 2>/dev/null || true
timeout 10 tail --pid="$DPID" -f /dev/null || true
PORT=$(free_loopback_port) || die "no free port found"
CFG=$TMP/etc/startups.toml
AUDIT=$TMP/audit/startups.jsonl
DLOG=$TMP/startups.log
# startups_config PER_ADDRESS
startups_config() {
  { daemon_config "$PORT" "server: max_startups = 4" "server: max_startups_per_address = $1" \
      "auth: login_grace_time = 30" "audit: syslog = false"
    cat <<CONFIG; } | install_config "$CFG"
[defender]
never_ban = ["127.0.0.0/29"]

[exports.home]
path = "$SRV/users/%u"
owner_only = true

[users.$T_USER1]
exports = ["home"]
allow_from = ["127.0.0.0/29"]
CONFIG
}
startups_config 2
start_sftpd_serve "$CFG" "$PORT" "$DLOG"
# hold_from ADDR: 4 idle connections from ADDR, held in the background
# (bounded: 40 s) until `kill $HOLDER`; waits until all are open.
hold_from() {
  timeout 40 /usr/bin/python3 "$(dirname "$0")/ssh_probe.py" --bind "$1" \
    "$PORT" hold 4 40 >"$TMP/hold.out" 2>&1 &
  HOLDER=$!
  at_exit "kill $HOLDER 2>/dev/null"
  for ((i = 0; i < 100; i++)); do
    grep -q "held 4" "$TMP/hold.out" && return 0
    sleep 0.1
  done
  return 1
}
check "127.0.0.5 opens 4 idle connections" hold_from 127.0.0.5
check "  ... 2 of them are served (max_startups_per_address = 2)" \
  wait_daemon_children 2
check "  ... the others are dropped, audited with their rule" \
  wait_audit '"addr":"127.0.0.5".*"rule":"max_startups_per_address"'
if grep -q "dropped connection from 127.0.0.5:[0-9]*: 2 connections from that address not yet authenticated" "$DLOG"; then
  pass "  ... and logged"
else fail "  ... and logged" "$(tail -5 "$DLOG")"; fi
check "a login from 127.0.0.6 is served meanwhile" \
  dsftp "$TMP/client_key" -o BindAddress=127.0.0.6 "$T_USER1@127.0.0.1" <<<"ls"
kill "$HOLDER" 2>/dev/null || true
check "the held connections end with their client" wait_daemon_children 0
# The control: with a share as large as max_startups, the same 4 idle
# connections lock every other address out.
startups_config 4
check "the daemon answers SIGHUP (max_startups_per_address = 4)" daemon_hup
check "127.0.0.5 opens 4 idle connections again" hold_from 127.0.0.5
check "  ... all 4 are served" wait_daemon_children 4
check_not "  ... and a login from 127.0.0.6 is refused" \
  dsftp "$TMP/client_key" -o BindAddress=127.0.0.6 "$T_USER1@127.0.0.1" <<<"ls"
check "  ... with rule max_startups" \
  wait_audit '"addr":"127.0.0.6".*"rule":"max_startups"'
kill "$HOLDER" 2>/dev/null || true
check "the held connections end with their client" wait_daemon_children 0
finish
