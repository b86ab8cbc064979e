#!/usr/bin/env bash
# `sftpd serve` under faults, and what each one loses (nothing, is the goal):
#   - a client killed mid-upload: with atomic_uploads the partial file never
#     takes its name (and is removed); without, it is kept as sent;
#   - a session process SIGKILLed mid-upload while another session downloads:
#     the download finishes intact, the listener serves on, the audit has
#     the abnormal end, and the upload's name never appears;
#   - the export's disk full (a small tmpfs): ENOSPC reaches the client as a
#     failure, files written before are intact, an atomic upload leaves
#     nothing;
#   - the audit file's disk full (another tmpfs): on_failure = "refuse"
#     refuses file operations until a line can be written again, "continue"
#     serves on and writes the lines to stderr;
#   - half-open TCP connections (the client's link cut, in network
#     namespaces of this test): closed after login_grace_time before login
#     and after idle_timeout after it.
# (A SIGHUP with a broken config is daemon_signals_test's.)
# Usage: daemon_faults_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
AFS=$TMP/auditfs          # the audit file's own small filesystem
AUDIT=$AFS/audit.jsonl
SMALL=$TMP/small          # a small filesystem for two exports
K=$TMP/keys
L=$TMP/local
HOME1=$SRV/users/$T_USER1
ATOMIC1=$SRV/atomic/$T_USER1
mkdir -p "$HOME1" "$ATOMIC1" "$K" "$L" "$AFS" "$SMALL" "$TMP/hk"
mount -t tmpfs -o size=4m,mode=0755 sftpd-test-small "$SMALL"
at_exit "umount -l '$SMALL'"
mount -t tmpfs -o size=256k,mode=0755 sftpd-test-audit "$AFS"
at_exit "umount -l '$AFS'"
mkdir -p "$SMALL/plain" "$SMALL/atomic"
chown "$T_USER1:" "$HOME1" "$ATOMIC1" "$SMALL/plain" "$SMALL/atomic"
chmod 0755 "$K" "$TMP/hk"

PORT=$(free_loopback_port) || die "no free port found"
# write_config ON_FAILURE
write_config() {
  { daemon_config "$PORT" "audit: syslog = false" "audit: on_failure = \"$1\""
    cat <<CONFIG; } | install_config "$CFG"
[exports.home]
path = "$SRV/users/%u"

[exports.atomic]
path = "$SRV/atomic/%u"
atomic_uploads = true

[exports.small]
path = "$SMALL/plain"

[exports.smalla]
path = "$SMALL/atomic"
atomic_uploads = true

[users.$T_USER1]
exports = ["home", "atomic", "small", "smalla"]
allow_from = ["127.0.0.1/32"]
CONFIG
}
write_config refuse

ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key" -C sftpd-faults
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER1"

DLOG=$TMP/daemon.log
start_sftpd_serve "$CFG" "$PORT" "$DLOG"
log "sftpd serve on 127.0.0.1:$PORT (pid $DPID)"

# usftp [sftp options...] < batch: one session as $T_USER1.
usftp() { dsftp "$TMP/client_key" "$@" "$T_USER1@127.0.0.1"; }
# staged DIR: the uploads atomic_uploads has staged in DIR, one a line.
staged() { find "$1" -maxdepth 1 -name '.sftpd-upload.*' -printf '%f\n'; }
# size_of FILE: its size, 0 if absent.
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
# wait_bigger FILE_GLOB BYTES: waits (bounded, 20 s) until a file matching
# the glob holds more than BYTES.
wait_bigger() {
  local i f
  for ((i = 0; i < 200; i++)); do
    for f in $1; do
      [[ -f $f ]] && (($(size_of "$f") > $2)) && return 0
    done
    sleep 0.1
  done
  return 1
}
# slow_put SRC DEST: a background upload at 2 MB/s (lib.sh's dsftp_slow);
# sets UP.
slow_put() {
  dsftp_slow "$TMP/client_key" 16384 "$T_USER1@127.0.0.1" "$TMP/up.out" "put $1 $2"
  UP=$BG
}
# kill_job PID|-PGID: SIGKILL to a background job, reaped quietly.
kill_job() { { kill -KILL -- "$1"; wait "${1#-}"; } 2>/dev/null || true; }
# prefix_of PART WHOLE: PART holds the first bytes of WHOLE, nothing else.
prefix_of() { cmp -s -n "$(size_of "$1")" "$1" "$2"; }

head -c $((48 * 1024 * 1024)) /dev/urandom >"$L/big"
BIG=$(size_of "$L/big")

log "a client killed mid-upload, with atomic_uploads"
slow_put "$L/big" /atomic/big
check "the upload is staged and growing" wait_bigger "$ATOMIC1/.sftpd-upload.*" 1048576
check_not "  ... under a hidden name only" test -e "$ATOMIC1/big"
kill_job "-$UP"
check "the session ends" wait_daemon_children 0
check_not "  ... the partial file never took its name" test -e "$ATOMIC1/big"
check_eq "  ... and it is removed" "" "$(staged "$ATOMIC1")"
check "  ... audited as discarded" \
  wait_audit '"op":"close","path":"/atomic/big","result":"Upload incomplete: discarded","detail":"upload discarded: the session ended"'

log "a client killed mid-upload, without atomic_uploads"
slow_put "$L/big" /home/big
check "the upload is written in place" wait_bigger "$HOME1/big" 1048576
kill_job "-$UP"
check "the session ends" wait_daemon_children 0
kept=$(size_of "$HOME1/big")
check "the partial file is kept ($kept of $BIG bytes)" test "$kept" -gt 0 -a "$kept" -lt "$BIG"
check "  ... as sent: the first $kept bytes of the file" prefix_of "$HOME1/big" "$L/big"
check "  ... its close audited with the bytes written" \
  wait_audit "\"op\":\"close\",\"path\":\"/home/big\",\"result\":\"ok\",\"bytes_read\":0,\"bytes_written\":$kept\}"

log "a session process SIGKILLed mid-upload while another downloads"
head -c $((8 * 1024 * 1024)) /dev/urandom >"$HOME1/dl"
chown "$T_USER1:" "$HOME1/dl"
dsftp_slow "$TMP/client_key" 16384 "$T_USER1@127.0.0.1" "$TMP/dl.out" "get /home/dl $L/dl"
DL=$BG
check "the download's session is up" wait_daemon_children 1
DL_SESSION=$(daemon_children)
slow_put "$L/big" /atomic/victim
check "the upload is staged and growing" wait_bigger "$ATOMIC1/.sftpd-upload.*" 1048576
VICTIM=$(daemon_children | grep -vx "$DL_SESSION" || true)
check "  ... in a session process of its own" test -n "$VICTIM"
kill -KILL "$VICTIM"
up_rc=0
wait "$UP" || up_rc=$?  # bounded by the client's own timeout
check "the killed session's client fails (status $up_rc)" test "$up_rc" -ne 0
check "the audit records its abnormal end" \
  wait_audit '"op":"logout","result":"ended abnormally: killed by signal 9"'
check_not "  ... its upload never took its name" test -e "$ATOMIC1/victim"
check_eq "  ... its staged file is left, hidden, for the admin" "1" "$(staged "$ATOMIC1" | wc -l)"
check "the other session's download finishes" wait "$DL"
check_eq "  ... intact (SHA-256)" "$(sha "$HOME1/dl")" "$(sha "$L/dl" 2>/dev/null)"
check "the listener serves a new session" usftp <<<"ls /home"
rm -f "$ATOMIC1"/.sftpd-upload.*

log "the export's disk is full (a 4 MiB tmpfs)"
head -c $((1024 * 1024)) /dev/urandom >"$L/a"
head -c $((1024 * 1024)) /dev/urandom >"$L/b"
head -c $((8 * 1024 * 1024)) /dev/urandom >"$L/c"
check "two files of 1 MiB fit" usftp <<<"put $L/a /small/a
put $L/b /small/b"
if usftp <<<"put $L/c /small/c"; then
  fail "an 8 MiB upload fails"
elif session_died; then
  fail "an 8 MiB upload fails" "the session died instead" "$(head -c 600 "$ERR")"
else
  pass "an 8 MiB upload fails, reported to the client"
fi
check "  ... as a failed write" grep -q 'write remote "/small/c": Failure' "$ERR"
# OpenSSH's client prints the status code only; paramiko shows the message.
cat >"$TMP/full.py" <<'PYTHON'
import sys
import paramiko
port, key, user = sys.argv[1:4]
client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
client.connect("127.0.0.1", port=int(port), username=user, key_filename=key,
               allow_agent=False, look_for_keys=False, timeout=10)
sftp = client.open_sftp()
try:
    with sftp.open("/small/d", "w") as f:
        for _ in range(64):
            f.write(b"x" * 131072)
        f.flush()
    print("written")
except IOError as e:
    print(e)
sftp.remove("/small/d")
client.close()
PYTHON
check_eq "  ... whose message says why (paramiko)" "No space left on device" \
  "$(timeout 60 /usr/bin/python3 "$TMP/full.py" "$PORT" "$TMP/client_key" "$T_USER1" 2>&1 | tail -1)"
check_eq "  ... the earlier files are intact" "$(sha "$L/a") $(sha "$L/b")" \
  "$(sha "$SMALL/plain/a") $(sha "$SMALL/plain/b")"
check "  ... the partial file is kept as sent" prefix_of "$SMALL/plain/c" "$L/c"
rm -f "$SMALL/plain/c"
if usftp <<<"put $L/c /smalla/c"; then
  fail "an 8 MiB atomic upload fails"
else
  pass "an 8 MiB atomic upload fails"
fi
check_not "  ... and leaves no file" test -e "$SMALL/atomic/c"
check_eq "  ... nor a staged one" "" "$(staged "$SMALL/atomic")"
check "  ... audited as discarded" \
  wait_audit '"path":"/smalla/c","result":"Upload incomplete: discarded","detail":"upload discarded: a write failed"'
check_eq "  ... the earlier files are still intact" "$(sha "$L/a") $(sha "$L/b")" \
  "$(sha "$SMALL/plain/a") $(sha "$SMALL/plain/b")"
check "with the space back, an upload works" usftp <<<"put $L/a /smalla/a"
check_eq "  ... intact" "$(sha "$L/a")" "$(sha "$SMALL/atomic/a")"

# fill_audit_disk: takes every free block of the audit file's filesystem.
fill_audit_disk() {
  dd if=/dev/zero of="$AFS/filler" bs=4096 2>/dev/null || true
}
# busy_session: a session of 40 listings (each an audited opendir), so the
# last partly filled block of the audit file is full after it.
busy_session() {
  local i
  for ((i = 0; i < 40; i++)); do echo "-ls /home"; done | usftp || true
}

log "the audit file's disk is full, on_failure = \"refuse\""
head -c 4096 /dev/urandom >"$L/f1"
fill_audit_disk
busy_session
check "the listener reports the failure" \
  grep -q "audit log $AUDIT: write failed (No space left on device).*file operations are refused" "$DLOG"
expect_refused() {
  if usftp <<<"put $L/f1 /home/f1"; then fail "$1" "the upload succeeded"
  elif session_died; then fail "$1" "the session died instead" "$(head -c 600 "$ERR")"
  else pass "$1"; fi
}
expect_refused "an upload is refused"
check "  ... as permission denied" grep -qi "permission denied" "$ERR"
check_not "  ... nothing was written" test -e "$HOME1/f1"
check "  ... the refusal went to the daemon's stderr" \
  grep -q 'sftpd: audit .*"rule":"audit_unavailable"' "$DLOG"
rm -f "$AFS/filler"
busy_session
check "with space again the listener says so" grep -q "audit log $AUDIT is written again" "$DLOG"
check "  ... and an upload works" usftp <<<"put $L/f1 /home/f1"
check_eq "  ... intact" "$(sha "$L/f1")" "$(sha "$HOME1/f1" 2>/dev/null)"
check "  ... audited in the file" wait_audit '"op":"open","path":"/home/f1"'

log "the audit file's disk is full, on_failure = \"continue\""
write_config continue
check "SIGHUP reloads" daemon_hup
fill_audit_disk
busy_session
check "an upload works" usftp <<<"put $L/f1 /home/f2"
check_eq "  ... intact" "$(sha "$L/f1")" "$(sha "$HOME1/f2" 2>/dev/null)"
check "  ... its audit lines went to the daemon's stderr" \
  grep -q 'sftpd: audit .*"op":"open","path":"/home/f2"' "$DLOG"
check_eq "  ... not to the full file" "0" "$(audit_count '"path":"/home/f2"')"
rm -f "$AFS/filler"

log "half-open TCP connections (the client's link cut, network namespaces)"
NS_S=sftpdt-srv-$$ NS_C=sftpdt-cli-$$
ip netns add "$NS_S"
at_exit "ip netns del '$NS_S'"
ip netns add "$NS_C"
at_exit "ip netns del '$NS_C'"
ip link add sftpdt-s netns "$NS_S" type veth peer name sftpdt-c netns "$NS_C"
ip -n "$NS_S" addr add 192.0.2.1/24 dev sftpdt-s
ip -n "$NS_C" addr add 192.0.2.2/24 dev sftpdt-c
for ns in "$NS_S" "$NS_C"; do ip -n "$ns" link set lo up; done
ip -n "$NS_S" link set sftpdt-s up
ip -n "$NS_C" link set sftpdt-c up
CFG2=$TMP/etc/netns.toml
AUDIT2=$TMP/netns-audit.jsonl
{ AUDIT=$AUDIT2 daemon_config 2222 "server: listen = [\"192.0.2.1:2222\"]" \
    "server: control_socket = \"$TMP/ctl2/control.sock\"" "server: idle_timeout = 3" \
    "auth: login_grace_time = 3" "audit: syslog = false"
  cat <<CONFIG; } | install_config "$CFG2"
[defender]
never_ban = ["192.0.2.0/24"]

[exports.home]
path = "$SRV/users/%u"

[users.$T_USER1]
exports = ["home"]
allow_from = ["192.0.2.0/24"]
CONFIG
DLOG2=$TMP/daemon-netns.log
T_SERVER_LOGS+=("$DLOG2")
ip netns exec "$NS_S" "$SFTPD" serve --config "$CFG2" 2>"$DLOG2" &
DPID2=$!
at_exit "kill $DPID2 2>/dev/null; timeout 5 tail --pid=$DPID2 -f /dev/null"
netns_listening() { ip netns exec "$NS_C" timeout 2 bash -c 'exec 3<>/dev/tcp/192.0.2.1/2222' 2>/dev/null; }
for ((i = 0; i < 50; i++)); do netns_listening && break; sleep 0.1; done
check "a daemon listens on 192.0.2.1 in its namespace" netns_listening
wait_daemon_children 0 || true
# established_to_client: the server's TCP connections to the client.
established_to_client() {
  ip netns exec "$NS_S" ss -Htn state established dst 192.0.2.2 | wc -l
}
# cut_client: takes the client's link down, so nothing it sends (its FIN
# when it is killed) reaches the server, and kills the client.
cut_client() {
  ip -n "$NS_C" link set sftpdt-c down
  kill_job "$1"
}

# Before login: a client that read the banner and then vanished. The grace
# time runs from the connect.
start=$SECONDS
ip netns exec "$NS_C" python3 - >"$TMP/half.out" 2>&1 <<'PY' &
import socket, time
s = socket.create_connection(("192.0.2.1", 2222), timeout=10)
print(s.recv(256).decode(errors="replace").strip(), flush=True)
time.sleep(60)
PY
HALF=$!
for ((i = 0; i < 50; i++)); do grep -q SSH- "$TMP/half.out" && break; sleep 0.1; done
check "a pre-auth client got the banner" grep -q '^SSH-2.0-' "$TMP/half.out"
check_eq "  ... the server holds its connection" "1" "$(established_to_client)"
cut_client "$HALF"
for ((i = 0; i < 100; i++)); do
  (($(established_to_client) == 0)) && break
  sleep 0.1
done
took=$((SECONDS - start))
check_eq "its half-open connection is closed" "0" "$(established_to_client)"
check "  ... after login_grace_time (${took} s from the connect, in 3..8 s)" \
  test "$took" -ge 3 -a "$took" -le 8
check "  ... audited with rule login_grace_time" \
  wait_audit '"addr":"192.0.2.2".*"rule":"login_grace_time"' "$AUDIT2"
ip -n "$NS_C" link set sftpdt-c up

# After login: a session that vanished; idle_timeout ends it, counted from
# its last request (its login, after this start).
start=$SECONDS
mkfifo "$TMP/hold"
ip netns exec "$NS_C" timeout 60 ssh "${DAEMON_SSH_OPTS[@]}" -i "$TMP/client_key" \
  -p 2222 -s "$T_USER1@192.0.2.1" sftp <"$TMP/hold" >/dev/null 2>&1 &
HELD=$!
exec 7>"$TMP/hold"
check "a session logs in" wait_audit '"op":"login","result":"ok"' "$AUDIT2"
check_eq "  ... the server holds its connection" "1" "$(established_to_client)"
cut_client "$HELD"
exec 7>&-
check "its half-open session is ended by idle_timeout" \
  wait_audit '"op":"logout","result":"no request for 3 s (\[server\] idle_timeout)"' "$AUDIT2"
took=$((SECONDS - start))
check "  ... after ${took} s from the connect, in 3..12 s" \
  test "$took" -ge 3 -a "$took" -le 12
for ((i = 0; i < 50; i++)); do
  (($(established_to_client) == 0)) && break
  sleep 0.1
done
check_eq "  ... and its connection closed" "0" "$(established_to_client)"

finish
