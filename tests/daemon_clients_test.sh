#!/usr/bin/env bash
# `sftpd serve` with the SFTP clients people use besides OpenSSH's sftp: an
# sshfs mount, paramiko and curl (libssh2), each with a key login, checked on
# disk; 50 concurrent sftp sessions with distinct files, every checksum right
# and no session process left afterwards; and, while sessions are open, each
# session process holds only its user's uid, gid and groups, no_new_privs,
# a seccomp filter and (where the kernel has it) Landlock.
# Usage: daemon_clients_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

readonly PY=/usr/bin/python3   # Debian's, which has python3-paramiko
readonly SESSIONS=50
readonly SOURCES=5             # 127.0.0.1..5: 10 sessions each, under the per-address cap

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
AUDIT=$TMP/audit/audit.jsonl
H1=$SRV/users/$T_USER1
H2=$SRV/users/$T_USER2
K=$TMP/keys
L=$TMP/local
MNT=$TMP/mnt
mkdir -p "$H1" "$H2" "$K" "$L" "$TMP/audit" "$TMP/hk" "$MNT/1" "$MNT/2"
chown "$T_USER1:" "$H1"
chown "$T_USER2:" "$H2"
chmod 0755 "$K" "$TMP/hk"

PORT=$(free_loopback_port) || die "no free port found"
# write_config FILE [SERVER_LINE...]: sftpdt1 by name, from the first
# loopback addresses; sftpdt2 through its group, as in the other tests.
write_config() {
  local file=$1; shift
  { daemon_config "$PORT" "${@/#/server: }"; cat <<CONFIG; } | install_config "$file"
[exports.home]
path = "$SRV/users/%u"
access = "rw"
owner_only = true

[users.$T_USER1]
exports = ["home"]
allow_from = ["127.0.0.0/29"]

[groups.$T_GROUP]
exports = ["home"]
allow_from = ["127.0.0.1/32"]
CONFIG
}
# The concurrent sessions below are all sftpdt1's and start at once: where
# the daemon has limits on unauthenticated connections and sessions per user,
# raise them above $SESSIONS (a daemon without those keys refuses them as
# unknown, and has no such limits).
LIMITS=("max_startups = $((SESSIONS + 14))" "max_sessions_per_user = $((SESSIONS + 14))"
  "max_startups_per_address = $((SESSIONS + 14))")
write_config "$CFG" "${LIMITS[@]}"
if "$SFTPD" check-config --config "$CFG" >"$OUT" 2>&1; then
  log "limits set: ${LIMITS[*]}"
else
  grep -q 'max_startups' "$OUT" || die "check-config: $(cat "$OUT")"
  log "this sftpd has no max_startups/max_sessions_per_user keys; default limits"
  write_config "$CFG"
  "$SFTPD" check-config --config "$CFG" >"$OUT" 2>&1 || die "check-config: $(cat "$OUT")"
fi

ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key" -C sftpd-test
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER1"
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER2"

DLOG=$TMP/daemon.log
start_sftpd_serve "$CFG" "$PORT" "$DLOG"
log "sftpd serve on 127.0.0.1:$PORT (pid $DPID)"
ssh-keygen -y -f "$TMP/hk/host_key" >"$TMP/host_key.pub"
echo "[127.0.0.1]:$PORT $(cat "$TMP/host_key.pub")" >"$TMP/known_hosts"

SSH_OPTS=(-F /dev/null -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes
  -o UserKnownHostsFile="$TMP/known_hosts" -o BatchMode=yes -o LogLevel=ERROR
  -o ConnectTimeout=10)

# status_field PID NAME: a field of /proc/PID/status, whitespace squeezed.
status_field() {
  awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ +/, ""); print }' "/proc/$1/status"
}
# child_of_uid UID: the session process running as UID (real uid).
child_of_uid() {
  local p
  for p in $(daemon_children); do
    [[ "$(status_field "$p" Uid 2>/dev/null | cut -d' ' -f1)" == "$1" ]] &&
      { echo "$p"; return 0; }
  done
  return 1
}
# sorted_words: the words on stdin, sorted numerically, one line.
sorted_words() { tr -s ' \t' '\n\n' | grep . | sort -n | tr '\n' ' ' | sed 's/ $//'; }

# mount_as USER DIR: an sshfs mount of USER's namespace at DIR (bounded).
mount_as() {
  timeout 20 sshfs -p "$PORT" \
    -o "IdentityFile=$TMP/client_key,IdentitiesOnly=yes,BatchMode=yes" \
    -o "StrictHostKeyChecking=yes,UserKnownHostsFile=$TMP/known_hosts" \
    -o "LogLevel=ERROR,ConnectTimeout=10" \
    "$1@127.0.0.1:/" "$2"
}
unmount() {
  mountpoint -q "$1" || return 0
  timeout 10 fusermount3 -u "$1" 2>/dev/null || timeout 10 umount -l "$1"
}
at_exit "unmount '$MNT/1'; unmount '$MNT/2'"

log "sshfs"
if mount_as "$T_USER1" "$MNT/1" 2>"$ERR"; then pass "sshfs mounts $T_USER1's namespace"
else fail "sshfs mounts $T_USER1's namespace" "$(head -c 400 "$ERR")" "daemon: $(tail -5 "$DLOG")"; fi
check_eq "  ... / holds exactly the export" "home" "$(ls "$MNT/1" 2>&1)"
mkfile "$L/fs.bin" 700 root
check "  ... write a file through the mount" cp "$L/fs.bin" "$MNT/1/home/fs.bin"
check_eq "  ... read it back" "$(sha "$L/fs.bin")" "$(sha "$MNT/1/home/fs.bin" 2>&1)"
check_eq "  ... content on disk" "$(sha "$L/fs.bin")" "$(sha "$H1/fs.bin" 2>&1)"
check_eq "  ... owned by $T_USER1 on disk" "$T_USER1:$T_USER1" "$(stat -c %U:%G "$H1/fs.bin" 2>&1)"
check "  ... mkdir and rename through the mount" \
  bash -c "mkdir '$MNT/1/home/dir' && mv '$MNT/1/home/fs.bin' '$MNT/1/home/dir/fs2.bin'"
check_eq "  ... ls -R of the tree" "home dir fs2.bin" \
  "$(cd "$MNT/1" && ls -R . 2>&1 | grep -v -e '^\..*:$' -e '^$' | tr '\n' ' ' | sed 's/ $//')"
check_eq "  ... the rename on disk" "$(sha "$L/fs.bin")" "$(sha "$H1/dir/fs2.bin" 2>&1)"

log "session processes, while $T_USER1 and $T_USER2 have mounts"
if mount_as "$T_USER2" "$MNT/2" 2>"$ERR"; then pass "sshfs mounts $T_USER2's namespace (granted by its group)"
else fail "sshfs mounts $T_USER2's namespace (granted by its group)" "$(head -c 400 "$ERR")"; fi
check_eq "two session processes" "2" "$(daemon_children | wc -l)"
landlock_abi=$("$PY" -c 'import ctypes; print(ctypes.CDLL(None).syscall(444, None, 0, 1))')
# What the login line adds after the ABI: TCP rights from ABI 4, scopes from 6.
landlock_extras=""
((landlock_abi >= 4)) && landlock_extras+=" +tcp"
((landlock_abi >= 6)) && landlock_extras+=" +scopes"
for u in "$T_USER1" "$T_USER2"; do
  uid=$(id -u "$u") gid=$(id -g "$u")
  pid=$(child_of_uid "$uid") || { fail "a session process runs as $u" "$(ps -o pid,uid,args --ppid "$DPID")"; continue; }
  pass "a session process runs as $u (pid $pid)"
  check_eq "  ... real, effective, saved and fs uid" "$uid $uid $uid $uid" "$(status_field "$pid" Uid)"
  check_eq "  ... real, effective, saved and fs gid" "$gid $gid $gid $gid" "$(status_field "$pid" Gid)"
  check_eq "  ... supplementary groups are $u's" "$(id -G "$u" | sorted_words)" \
    "$(status_field "$pid" Groups | sorted_words)"
  check_eq "  ... no capabilities" "0000000000000000 0000000000000000" \
    "$(status_field "$pid" CapPrm) $(status_field "$pid" CapEff)"
  check_eq "  ... NoNewPrivs" "1" "$(status_field "$pid" NoNewPrivs)"
  check_eq "  ... Seccomp (2: a filter)" "2" "$(status_field "$pid" Seccomp)"
  login=$(grep '"op":"login","result":"ok"' "$AUDIT" | grep "\"user\":\"$u\"" | tail -1)
  if ((landlock_abi > 0)); then
    if grep -q "\"detail\":\"no_new_privs, landlock ABI $landlock_abi$landlock_extras, seccomp; apparmor " <<<"$login"; then
      pass "  ... Landlock ABI $landlock_abi$landlock_extras and seccomp in force (audit login detail)"
    else fail "  ... Landlock ABI $landlock_abi$landlock_extras and seccomp in force (audit login detail)" "$login"; fi
    # No AppArmor here: before login the process had no_new_privs and
    # Landlock over what it could change.
    check "  ... and before login, changes beneath the exports only" grep -q \
      "before login: no_new_privs, landlock ABI $landlock_abi, changes beneath exports only" <<<"$login"
  else
    log "  this kernel has no Landlock (probe: $landlock_abi); only no_new_privs and seccomp are checked"
    check "  ... the login says landlock is unavailable" grep -q 'no_new_privs, seccomp; landlock unavailable' <<<"$login"
  fi
done
check_eq "$T_USER2's /home is its own tree, not $T_USER1's" "" "$(ls -A "$MNT/2/home" 2>&1)"
unmount "$MNT/1"; unmount "$MNT/2"
check_not "both mounts are gone" bash -c "mountpoint -q '$MNT/1' || mountpoint -q '$MNT/2'"
check "  ... and so are their session processes" wait_daemon_children 0 10

log "paramiko"
mkfile "$L/pm.bin" 900 root
mkfile "$L/pm-rm.bin" 10 root
cat >"$TMP/pm.py" <<'PYTHON'
import hashlib, io, json, sys
import paramiko

port, key_file, known_hosts, local, local_rm, back = sys.argv[1:7]
client = paramiko.SSHClient()
client.load_host_keys(known_hosts)
client.set_missing_host_key_policy(paramiko.RejectPolicy())
client.connect("127.0.0.1", port=int(port), username=sys.argv[7],
               key_filename=key_file, allow_agent=False, look_for_keys=False,
               timeout=10, banner_timeout=10, auth_timeout=10)
sftp = client.open_sftp()
out = {"cwd": sftp.normalize(".")}
sftp.put(local, "pm.bin")
sftp.put(local_rm, "pm-rm.bin")
sftp.get("pm.bin", back)
out["listdir"] = sorted(sftp.listdir("."))
out["root"] = sorted(sftp.listdir("/"))
st = sftp.stat("/home/pm.bin")
out["size"], out["uid"] = st.st_size, st.st_uid
with sftp.open("pm.bin", "rb") as f:
    out["sha256_remote_read"] = hashlib.sha256(f.read()).hexdigest()
sftp.rename("pm.bin", "pm-renamed.bin")
try:
    sftp.stat("pm.bin")
    out["old_name"] = "still there"
except FileNotFoundError:
    out["old_name"] = "gone"
sftp.remove("pm-rm.bin")
# paramiko sends SYMLINK's target first (OpenSSH's order) to every server.
sftp.symlink("pm-renamed.bin", "pm-link")
out["after"] = sorted(sftp.listdir("."))
try:
    sftp.listdir("/etc")
    out["etc"] = "listed"
except IOError as e:
    out["etc"] = type(e).__name__
sftp.close()
client.close()
print(json.dumps(out))
PYTHON
rc=0
timeout 30 "$PY" "$TMP/pm.py" "$PORT" "$TMP/client_key" "$TMP/known_hosts" \
  "$L/pm.bin" "$L/pm-rm.bin" "$L/pm.back" "$T_USER1" >"$OUT" 2>"$ERR" || rc=$?
if ((rc == 0)); then pass "paramiko: connect with the key, put, get, listdir, stat, rename, remove"
else fail "paramiko: connect with the key, put, get, listdir, stat, rename, remove" \
  "exit $rc" "$(tail -c 600 "$ERR")" "daemon: $(tail -3 "$DLOG")"; fi
pm() { "$PY" -c 'import json, sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]; print(" ".join(v) if isinstance(v, list) else v)' "$OUT" "$1" 2>/dev/null || true; }
check_eq "  ... start directory" "/home" "$(pm cwd)"
check_eq "  ... listdir / holds exactly the export" "home" "$(pm root)"
check_eq "  ... listdir after two puts" "dir pm-rm.bin pm.bin" "$(pm listdir)"
check_eq "  ... stat: size" "$((900 * 1024))" "$(pm size)"
check_eq "  ... stat: the user's uid" "$(id -u "$T_USER1")" "$(pm uid)"
check_eq "  ... get: checksum" "$(sha "$L/pm.bin")" "$(sha "$L/pm.back" 2>&1)"
check_eq "  ... read through a handle: checksum" "$(sha "$L/pm.bin")" "$(pm sha256_remote_read)"
check_eq "  ... rename: the old name is gone" "gone" "$(pm old_name)"
check_eq "  ... listdir after rename, remove and symlink" "dir pm-link pm-renamed.bin" "$(pm after)"
check_eq "  ... on disk: the symlink at the link's path names the target" "pm-renamed.bin" \
  "$(readlink "$H1/pm-link" 2>&1)"
check_eq "  ... /etc is not reachable" "FileNotFoundError" "$(pm etc)"
check_eq "  ... on disk: renamed file, content" "$(sha "$L/pm.bin")" "$(sha "$H1/pm-renamed.bin" 2>&1)"
check_eq "  ... on disk: owned by $T_USER1" "$T_USER1" "$(stat -c %U "$H1/pm-renamed.bin" 2>&1)"
check_not "  ... on disk: removed file is gone" test -e "$H1/pm-rm.bin"

log "curl (libssh2)"
# curl checks the host key by its SHA-256 fingerprint (base64, no padding).
hostsha=$(ssh-keygen -l -E sha256 -f "$TMP/host_key.pub" | awk '{print $2}' | sed 's/^SHA256://')
CURL=(timeout 30 curl -sS --user "$T_USER1:" --key "$TMP/client_key"
  --pubkey "$TMP/client_key.pub" --hostpubsha256 "$hostsha")
mkfile "$L/curl.bin" 1500 root
rc=0
"${CURL[@]}" -T "$L/curl.bin" "sftp://127.0.0.1:$PORT/home/curl.bin" >"$OUT" 2>"$ERR" || rc=$?
if ((rc == 0)); then pass "curl -T uploads over sftp://"
else fail "curl -T uploads over sftp://" "exit $rc" "$(head -c 400 "$ERR")" "daemon: $(tail -3 "$DLOG")"; fi
check_eq "  ... content on disk" "$(sha "$L/curl.bin")" "$(sha "$H1/curl.bin" 2>&1)"
check_eq "  ... owned by $T_USER1" "$T_USER1" "$(stat -c %U "$H1/curl.bin" 2>&1)"
rc=0
"${CURL[@]}" -o "$L/curl.back" "sftp://127.0.0.1:$PORT/home/curl.bin" >"$OUT" 2>"$ERR" || rc=$?
check_eq "curl downloads it: exit status" "0" "$rc"
check_eq "  ... checksum" "$(sha "$L/curl.bin")" "$(sha "$L/curl.back" 2>&1)"
rc=0
"${CURL[@]}" -l "sftp://127.0.0.1:$PORT/home/" >"$OUT" 2>"$ERR" || rc=$?
if ((rc == 0)) && grep -qx 'curl.bin' "$OUT"; then pass "curl lists the directory"
else fail "curl lists the directory" "exit $rc" "$(head -c 300 "$OUT")" "$(head -c 300 "$ERR")"; fi
rc=0
timeout 30 curl -sS --user "$T_USER1:" --key "$TMP/client_key" --pubkey "$TMP/client_key.pub" \
  --hostpubsha256 "AAAA${hostsha:4}" -o "$L/curl.bad" \
  "sftp://127.0.0.1:$PORT/home/curl.bin" >"$OUT" 2>"$ERR" || rc=$?
if ((rc != 0)) && grep -q 'fingerprint' "$ERR"; then pass "  ... and refuses a wrong host key fingerprint (exit $rc)"
else fail "  ... and refuses a wrong host key fingerprint" "exit $rc" "$(head -c 300 "$ERR")"; fi

log "libssh (the client library of KDE's sftp:/)"
# libssh sends SYMLINK's link first (the draft's order) to a server whose
# version is not OpenSSH's; the daemon knows it by libssh's version string.
LIBSSH_CLIENT=${SFTPD_LIBSSH_CLIENT:-}
if [[ -x "$LIBSSH_CLIENT" ]]; then
  lc() { timeout 30 "$LIBSSH_CLIENT" "$PORT" "$T_USER1" "$TMP/client_key" "$@" >"$OUT" 2>"$ERR"; }
  mkfile "$L/ls.bin" 1200 root
  check "libssh: put" lc put "$L/ls.bin" /home/ls.bin
  check_eq "  ... content on disk" "$(sha "$L/ls.bin")" "$(sha "$H1/ls.bin" 2>&1)"
  check "  ... get" lc get /home/ls.bin "$L/ls.back"
  check_eq "  ... checksum" "$(sha "$L/ls.bin")" "$(sha "$L/ls.back" 2>&1)"
  check "  ... symlink" lc symlink ls.bin /home/ls.link
  check_eq "  ... on disk: the symlink at the link's path names the target" "ls.bin" \
    "$(readlink "$H1/ls.link" 2>&1)"
  lc readlink /home/ls.link || true
  check_eq "  ... readlink" "ls.bin" "$(cat "$OUT")"
  # libssh alone keeps a channel's window at 1.28 MB (daemon/channels.cc).
  check "  ... the channel's receive window" lc window
  check "  ... is 4 MiB once the session has read a request: $(cat "$OUT")" \
    test "$(cat "$OUT")" -ge $((4 * 1024 * 1024))
  # Topped up once a quarter of it is used: a 16 MiB put takes a few
  # adjusts (one a MiB), not one per read of the channel (hundreds).
  mkfile "$L/adj.bin" 16384 root
  check "  ... a 16 MiB put" lc put-adjusts "$L/adj.bin" /home/adj.bin
  adjusts=$(cat "$OUT")
  check "  ... takes 1 to 32 window adjusts of the server's: $adjusts" \
    test "$adjusts" -ge 1 -a "$adjusts" -le 32
  check "  ... the audit trail's login names the client" \
    grep -q '"op":"login","result":"ok".*"detail":"[^"]*; client SSH-2.0-libssh_' "$AUDIT"
else
  fail "libssh: the test client is built (SFTPD_LIBSSH_CLIENT)" "SFTPD_LIBSSH_CLIENT='$LIBSSH_CLIENT'"
fi

check "no session process left after the single clients" wait_daemon_children 0 10

log "$SESSIONS concurrent sftp sessions from $SOURCES source addresses"
t0=$SECONDS
audit_from=$(($(wc -l <"$AUDIT") + 1))
pids=()
for ((i = 0; i < SESSIONS; i++)); do
  head -c 1048576 /dev/urandom >"$L/c$i.bin"
  printf 'put %s c%d.bin\nget c%d.bin %s\n' "$L/c$i.bin" "$i" "$i" "$L/c$i.back" >"$L/c$i.batch"
  timeout 60 sftp -q "${SSH_OPTS[@]}" -i "$TMP/client_key" -P "$PORT" \
    -o BindAddress="127.0.0.$((i % SOURCES + 1))" -b "$L/c$i.batch" \
    "$T_USER1@127.0.0.1" >"$L/c$i.out" 2>"$L/c$i.err" &
  pids+=($!)
done
failed=() bad=()
for ((i = 0; i < SESSIONS; i++)); do
  wait "${pids[$i]}" || failed+=("$i:$?")
done
for ((i = 0; i < SESSIONS; i++)); do
  s=$(sha "$L/c$i.bin")
  [[ "$(sha "$L/c$i.back" 2>/dev/null)" == "$s" && "$(sha "$H1/c$i.bin" 2>/dev/null)" == "$s" ]] ||
    bad+=("$i")
done
log "  $SESSIONS sessions took $((SECONDS - t0)) s"
if ((${#failed[@]} == 0)); then pass "all $SESSIONS sessions exited 0"
else fail "all $SESSIONS sessions exited 0" "failed (session:status): ${failed[*]}" \
  "first error: $(cat "$L/c${failed[0]%%:*}.err" | head -c 300)" "daemon: $(tail -3 "$DLOG")"; fi
check_eq "every upload on disk and every download matches its source" "" "${bad[*]}"
check_eq "  ... $SESSIONS distinct files on disk" "$SESSIONS" \
  "$(find "$H1" -maxdepth 1 -name 'c[0-9]*.bin' -user "$T_USER1" | wc -l)"
check_eq "  ... $SESSIONS logins from $SOURCES addresses in the audit trail" "$SOURCES $SESSIONS" \
  "$(tail -n "+$audit_from" "$AUDIT" | grep '"op":"login","result":"ok"' | grep -o '"addr":"127\.0\.0\.[0-9]*"' |
     sort | uniq -c | awk '$1 == '$((SESSIONS / SOURCES))' { n++; s += $1 } END { print n + 0, s + 0 }')"
if wait_daemon_children 0 15; then pass "no session process left"
else fail "no session process left" "$(ps -o pid,stat,etime,args --ppid "$DPID")"; fi
check "the listener is still running" kill -0 "$DPID"
check "  ... and still serves" bash -c \
  "timeout 30 sftp -q ${SSH_OPTS[*]@Q} -i '$TMP/client_key' -P '$PORT' -b - '$T_USER1@127.0.0.1' <<<ls >/dev/null 2>&1"

kill "$DPID" 2>/dev/null || true
finish
