#!/usr/bin/env bash
# `sftpd serve`, the libssh daemon, on a free loopback port with OpenSSH's
# sftp and ssh: key login, files owned by the user on disk, refusals (wrong
# key, a group-writable authorized_keys file, from= and command= key
# options, a user without a key, root, exec, shell, forwarding, a source
# address outside allow_from), a clean end of the session, the generated
# host key, the audit trail, no zombies, and the non-root mode.
# Usage: daemon_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
AUDIT=$TMP/audit/audit.jsonl
H=$SRV/users/$T_USER1
K=$TMP/keys
L=$TMP/local
mkdir -p "$H" "$SRV/users/$T_USER3" "$K" "$L" "$TMP/audit" "$TMP/hk"
chown "$T_USER1:" "$H"
chown "$T_USER3:" "$SRV/users/$T_USER3"
chmod 0755 "$K" "$TMP/hk"

# write_config FILE PORT HOSTKEY ["SECTION: LINE"...]
write_config() {
  { daemon_config "$2" "server: host_keys = [\"$3\"]" "${@:4}"; cat <<CONFIG; } | install_config "$1"
[exports.home]
path = "$SRV/users/%u"
access = "rw"
owner_only = true

[users.$T_USER1]
exports = ["home"]
allow_from = ["127.0.0.1/32"]

[users.$T_USER3]
exports = ["home"]
allow_from = ["127.0.0.1/32"]
CONFIG
}

ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key" -C sftpd-test
ssh-keygen -q -t ed25519 -N '' -f "$TMP/wrong_key" -C sftpd-wrong
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER1"

PORT=$(free_loopback_port) || die "no free port found"
write_config "$CFG" "$PORT" "$TMP/hk/host_key"
DLOG=$TMP/daemon.log
start_sftpd_serve "$CFG" "$PORT" "$DLOG"
log "sftpd serve on 127.0.0.1:$PORT (pid $DPID)"

check_eq "the missing host key was generated 0600" "600 root" \
  "$(stat -c '%a %U' "$TMP/hk/host_key" 2>&1)"
check "  ... and is an ed25519 key" \
  bash -c "ssh-keygen -l -f '$TMP/hk/host_key' | grep -q ED25519"

log "sftp with the right key"
mkfile "$L/up.bin" 300 root
rc=0
dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<BATCH || rc=$?
pwd
put $L/up.bin up.bin
ls -l
get up.bin $L/down.bin
BATCH
if ((rc == 0)); then pass "sftp put/ls/get as $T_USER1"
else fail "sftp put/ls/get as $T_USER1" "exit $rc" "$(head -c 600 "$ERR")" "daemon: $(tail -5 "$DLOG")"; fi
if grep -q "closed by remote host" "$ERR"; then
  fail "the session ends with the client's close, not the server's" "$(head -c 300 "$ERR")"
else pass "the session ends with the client's close, not the server's"; fi
check_eq "start directory /home" "/home" "$(sed -n 's/^Remote working directory: //p' "$OUT")"
if grep -q 'up\.bin' "$OUT"; then pass "ls -l lists the upload"; else fail "ls -l lists the upload" "$(head -c 600 "$OUT")"; fi
check_eq "put: content on disk" "$(sha "$L/up.bin")" "$(sha "$H/up.bin" 2>&1)"
check_eq "  ... owned by $T_USER1" "$T_USER1:$T_USER1" "$(stat -c %U:%G "$H/up.bin" 2>&1)"
check_eq "get: content back" "$(sha "$L/up.bin")" "$(sha "$L/down.bin" 2>&1)"
if grep -q "Accepted publickey for $T_USER1 from 127.0.0.1 port [0-9]* ssh2" "$DLOG"; then pass "daemon logged the key login"
else fail "daemon logged the key login" "$(tail -5 "$DLOG")"; fi

log "audit trail"
# The session process writes its logout after the client has gone: wait
# for it (bounded).
for ((i = 0; i < 50; i++)); do
  grep -q '"op":"logout"' "$AUDIT" 2>/dev/null && break
  sleep 0.1
done
check_eq "audit: one login" "1" "$(grep -c '"op":"login","result":"ok"' "$AUDIT" 2>/dev/null || true)"
check_eq "audit: one clean logout" "1" "$(grep -c '"op":"logout","result":"ok"' "$AUDIT" 2>/dev/null || true)"
if grep '"op":"login"' "$AUDIT" |
    grep -q "\"user\":\"$T_USER1\",\"uid\":$(id -u "$T_USER1"),\"addr\":\"127.0.0.1\",\"port\":[1-9]"; then
  pass "audit: login names user, uid, address and port"
else fail "audit: login names user, uid, address and port" "$(head -c 600 "$AUDIT")"; fi
if grep -q '"op":"close","path":"/home/up.bin".*"bytes_written":307200' "$AUDIT"; then
  pass "audit: the upload's close with its bytes"
else fail "audit: the upload's close with its bytes" "$(head -c 900 "$AUDIT")"; fi

log "rekeying: the session signs new key exchanges with its host key"
# The connection's process has freed the listener's copy of the host keys;
# the key its connection uses must still sign each rekeying (the client
# asks for one after every MiB here).
mkfile "$L/rekey.bin" 8192 root
rc=0
dsftp "$TMP/client_key" -v -o RekeyLimit=1M "$T_USER1@127.0.0.1" <<BATCH || rc=$?
put $L/rekey.bin rekey.bin
get rekey.bin $L/rekey.back
BATCH
check_eq "an 8 MiB put and get with RekeyLimit=1M: exit 0" "0" "$rc"
kex=$(grep -c "SSH2_MSG_NEWKEYS received" "$ERR" || true)
check "  ... over several key exchanges (saw $kex)" test "$kex" -ge 4
check_eq "  ... put intact" "$(sha "$L/rekey.bin")" "$(sha "$H/rekey.bin" 2>&1)"
check_eq "  ... get intact" "$(sha "$L/rekey.bin")" "$(sha "$L/rekey.back" 2>&1)"

log "refusals"
check_not "a wrong key is refused" dsftp "$TMP/wrong_key" "$T_USER1@127.0.0.1" <<<"ls"
if grep -q "Failed publickey for $T_USER1 from 127.0.0.1 port [0-9]* ssh2" "$DLOG"; then pass "  ... logged as a failed publickey"
else fail "  ... logged as a failed publickey" "$(tail -5 "$DLOG")"; fi

chmod 0664 "$K/$T_USER1"
check_not "a group-writable authorized_keys file is refused" \
  dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<<"ls"
chmod 0644 "$K/$T_USER1"
if grep -q "$K/$T_USER1 is group- or other-writable" "$DLOG"; then pass "  ... and the reason is logged"
else fail "  ... and the reason is logged" "$(tail -5 "$DLOG")"; fi
chmod 0777 "$K"
check_not "a world-writable directory above it is refused" \
  dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<<"ls"
chmod 0755 "$K"
check "  ... with the modes repaired the key works again" \
  dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<<"ls"

# Key options: from= admits the key only from the addresses it names.
install -m 0644 /dev/null "$K/$T_USER1.opts"
printf 'from="127.0.0.2,!127.0.0.1" %s\n' "$(cat "$TMP/client_key.pub")" >"$K/$T_USER1.opts"
cp "$K/$T_USER1" "$K/$T_USER1.plain"
cp "$K/$T_USER1.opts" "$K/$T_USER1"
check_not "a key whose from= excludes 127.0.0.1 is refused from there" \
  dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<<"ls"
if grep -q "key of $T_USER1 from 127.0.0.1:[0-9]* refused by $K/$T_USER1:1: .*127.0.0.1" "$DLOG"; then
  pass "  ... the line and the reason are logged"
else fail "  ... the line and the reason are logged" "$(tail -5 "$DLOG")"; fi
printf 'restrict,from="127.0.0.0/8" %s\n' "$(cat "$TMP/client_key.pub")" >"$K/$T_USER1"
check "a key with restrict and a matching from= CIDR is served" \
  dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<<"ls"
printf 'command="/bin/true" %s\n' "$(cat "$TMP/client_key.pub")" >"$K/$T_USER1"
check_not "a key with command= is refused (no command can be forced here)" \
  dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<<"ls"
cp "$K/$T_USER1.plain" "$K/$T_USER1"
rm -f "$K/$T_USER1.opts" "$K/$T_USER1.plain"

check_not "$T_USER3 (no authorized_keys) is refused with $T_USER1's key" \
  dsftp "$TMP/client_key" "$T_USER3@127.0.0.1" <<<"ls"
check_not "root is refused (no [users.root])" \
  dsftp "$TMP/client_key" "root@127.0.0.1" <<<"ls"

rc=0
dssh "$TMP/client_key" -n "$T_USER1@127.0.0.1" "id; touch $TMP/pwned-exec" \
  >"$TMP/exec.out" 2>"$TMP/exec.err" || rc=$?
if ((rc != 0 && rc != 124)) && ! grep -q 'uid=' "$TMP/exec.out" && [[ ! -e $TMP/pwned-exec ]]; then
  pass "ssh user id (exec) runs nothing (exit $rc)"
else fail "ssh user id (exec) runs nothing" "exit $rc" "$(head -c 300 "$TMP/exec.out")"; fi
rc=0
printf 'id\ntouch %s/pwned-shell\nexit\n' "$TMP" |
  dssh "$TMP/client_key" -tt "$T_USER1@127.0.0.1" >"$TMP/shell.out" 2>&1 || rc=$?
if ((rc != 0 && rc != 124)) && ! grep -q 'uid=' "$TMP/shell.out" && [[ ! -e $TMP/pwned-shell ]]; then
  pass "ssh -tt (pty, shell) runs nothing (exit $rc)"
else fail "ssh -tt (pty, shell) runs nothing" "exit $rc" "$(head -c 300 "$TMP/shell.out")"; fi
if grep -q "refused exec" "$DLOG" && grep -q "refused shell" "$DLOG" &&
    grep -q "refused pty-req" "$DLOG"; then
  pass "  ... exec, pty-req and shell refusals are logged"
else fail "  ... exec, pty-req and shell refusals are logged" "$(tail -8 "$DLOG")"; fi
rc=0
dssh "$TMP/client_key" -N -o ExitOnForwardFailure=yes \
  -R "127.0.0.1:$((PORT + 1)):127.0.0.1:$PORT" "$T_USER1@127.0.0.1" \
  >/dev/null 2>&1 || rc=$?
if ((rc != 0 && rc != 124)); then pass "remote port forwarding is refused (exit $rc)"
else fail "remote port forwarding is refused" "ssh -N -R exit $rc"; fi

log "allow_from"
rc=0
dsftp "$TMP/client_key" -o BindAddress=127.0.0.2 "$T_USER1@127.0.0.1" <<<"ls" || rc=$?
if ((rc != 0 && rc != 124)); then pass "a client bound to 127.0.0.2 is refused (exit $rc)"
else fail "a client bound to 127.0.0.2 is refused" "sftp exit $rc"; fi
if grep -q "dropped connection from 127.0.0.2:" "$DLOG"; then pass "  ... dropped by the listener, with a log line"
else fail "  ... dropped by the listener, with a log line" "$(tail -5 "$DLOG")"; fi
check "a client from 127.0.0.1 is still served" \
  dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<<"ls"

log "no zombies"
zombies=
for ((i = 0; i < 30; i++)); do
  zombies=$(ps -o pid=,stat= --ppid "$DPID" | awk '$2 ~ /^Z/' || true)
  [[ -z "$zombies" ]] && break
  sleep 0.1
done
check_eq "the listener reaped its children" "" "$zombies"
check "the listener is still running" kill -0 "$DPID"
kill "$DPID" 2>/dev/null || true

log "non-root mode: $T_USER1 runs its own daemon"
PORT=$(free_loopback_port) || die "no free port found"
mkdir -p "$TMP/own"
chown "$T_USER1:" "$TMP/own"
chown "$T_USER1:" "$AUDIT"
write_config "$TMP/etc/own.toml" "$PORT" "$TMP/own/host_key" \
  "server: control_socket = \"$TMP/own/control.sock\""
start_sftpd_serve "$TMP/etc/own.toml" "$PORT" "$TMP/own.log" runuser -u "$T_USER1" --
mkfile "$L/own.bin" 20 root
rc=0
dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<BATCH || rc=$?
put $L/own.bin own.bin
BATCH
if ((rc == 0)); then pass "the non-root daemon serves its own user"
else fail "the non-root daemon serves its own user" "exit $rc" "$(head -c 400 "$ERR")" "$(tail -5 "$TMP/own.log")"; fi
check_eq "  ... the file is the user's" "$T_USER1" "$(stat -c %U "$H/own.bin" 2>&1)"
check_eq "  ... its generated host key is the user's, 0600" "600 $T_USER1" \
  "$(stat -c '%a %U' "$TMP/own/host_key" 2>&1)"
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER3"
check_not "  ... and refuses another user, even with a listed key" \
  dsftp "$TMP/client_key" "$T_USER3@127.0.0.1" <<<"ls"
if grep -q "serves only the account it runs as" "$TMP/own.log"; then pass "  ... saying why"
else fail "  ... saying why" "$(tail -5 "$TMP/own.log")"; fi
kill "$DPID" 2>/dev/null || true

finish
