#!/usr/bin/env bash
# `sftpd --stdio` driven by OpenSSH's sftp client (sftp -D), as a test user:
# every client command, checked on disk; the virtual root; admission by user,
# group and address; the audit log, and what a flood of refusals costs it.
# Usage: stdio_client_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
AUDIT=$TMP/audit/audit.jsonl
H=$SRV/users/$T_USER1                   # /home of sftpdt1 on disk
L=$TMP/work/$T_USER1                    # sftpdt1's local side
mkdir -p "$SRV/users" "$H" "$SRV/shared" "$SRV/archive" "$TMP/audit" "$L"
chown "$T_USER1:" "$H" "$L"
chmod 1777 "$SRV/shared"
echo "archived" >"$SRV/archive/old.txt"
install -m 0666 /dev/null "$AUDIT"

install_config "$CFG" <<EOF
[audit]
log = "$AUDIT"

[exports.home]
path = "$SRV/users/%u"
access = "rw"
owner_only = true
umask = 0o027

[exports.shared]
path = "$SRV/shared"
access = "rw"
umask = "002"

[exports.archive]
path = "$SRV/archive"
access = "ro"

[users.$T_USER1]
exports = ["home", "shared", "archive"]
allow_from = ["127.0.0.1/32"]

[groups.$T_GROUP]
exports = ["shared"]
EOF

# step DESC USER < batch: the whole batch must succeed.
step() {
  if sftp_as "$2" "$CFG" "$T_LOCAL_ADDR"; then pass "$1"
  else fail "$1" "sftp exited non-zero; stderr:" "$(head -c 800 "$ERR")"; fi
}
# out_has DESC REGEX: the last session's stdout matches REGEX.
out_has() {
  if grep -Eq -- "$2" "$OUT"; then pass "$1"
  else fail "$1" "stdout lacks /$2/:" "$(head -c 800 "$OUT")"; fi
}

log "namespace: pwd, cd, ls /"
step "pwd, ls /, cd" "$T_USER1" <<'EOF'
pwd
ls -1 /
cd /shared
pwd
cd /
pwd
ls -1
cd /home
pwd
EOF
mapfile -t pwds < <(sed -n 's/^Remote working directory: //p' "$OUT")
check_eq "start directory is the first export" "/home" "${pwds[0]:-}"
check_eq "cd /shared" "/shared" "${pwds[1]:-}"
check_eq "cd /" "/" "${pwds[2]:-}"
check_eq "cd /home" "/home" "${pwds[3]:-}"
roots=$(awk '/^sftp> ls -1 \/$/{f=1;next} /^sftp> /{f=0} f' "$OUT" |
        sed 's|^/||' | LC_ALL=C sort | tr '\n' ' ')
check_eq "ls / shows exactly the exports" "archive home shared " "$roots"
roots=$(awk '/^sftp> ls -1$/{f=1;next} /^sftp> /{f=0} f' "$OUT" |
        LC_ALL=C sort | tr '\n' ' ')
check_eq "ls in / shows exactly the exports" "archive home shared " "$roots"
expect_fail "cd /etc fails" "$T_USER1" "$CFG" "cd /etc"
expect_fail "cd /nonexistent fails" "$T_USER1" "$CFG" "cd /nonexistent"
expect_fail "ls /etc fails" "$T_USER1" "$CFG" "ls /etc"

log "put, get, ls -l"
mkfile "$L/big.bin" 768 "$T_USER1"
chmod 0644 "$L/big.bin"
printf 'hello sftpd\n' >"$L/small.txt"
chown "$T_USER1:" "$L/small.txt"
chmod 0640 "$L/small.txt"
touch -d '2021-02-03 04:05:06' "$L/small.txt"
step "put, get, put -p, ls -l" "$T_USER1" <<EOF
put $L/big.bin big.bin
put -p $L/small.txt kept.txt
put $L/small.txt /shared/small.txt
mkdir /shared/sd
ls -l
ls -l /shared
get big.bin $L/big.back
get -p kept.txt $L/kept.back
EOF
check_eq "put: content on disk" "$(sha "$L/big.bin")" "$(sha "$H/big.bin" 2>&1)"
check_eq "put: file owned by the user" "$T_USER1" "$(stat -c %U "$H/big.bin" 2>&1)"
check_eq "put: local mode 644 under umask 027" "640" "$(stat -c %a "$H/big.bin" 2>&1)"
check_eq "mkdir in /shared under umask \"002\"" "775" "$(stat -c %a "$SRV/shared/sd" 2>&1)"
check_eq "get: content back" "$(sha "$L/big.bin")" "$(sha "$L/big.back" 2>&1)"
check_eq "put into /shared lands in its tree" "hello sftpd" "$(cat "$SRV/shared/small.txt" 2>&1)"
check_eq "put -p keeps the mode" "640" "$(stat -c %a "$H/kept.txt" 2>&1)"
check_eq "put -p keeps the mtime" "$(stat -c %Y "$L/small.txt")" "$(stat -c %Y "$H/kept.txt" 2>&1)"
check_eq "get -p keeps the mtime" "$(stat -c %Y "$L/small.txt")" "$(stat -c %Y "$L/kept.back" 2>&1)"
out_has "ls -l shows big.bin with its size" "^-rw.* 786432 .* big\.bin$"
out_has "ls -l shows kept.txt" "^-rw-r----- .* 12 .* kept\.txt$"
out_has "ls -l /shared shows small.txt" "small\.txt$"

log "resume: reput, reget, put -a, get -a"
half=$((768 * 512))
# A partial copy whose first half is zeros: after a real resume the result
# is zeros followed by the second half of the source, which a full rewrite
# cannot produce.
expect_resumed() {
  { head -c "$half" /dev/zero; tail -c +$((half + 1)) "$L/big.bin"; } | sha256sum | cut -d' ' -f1
}
want=$(expect_resumed)
for cmd in reput "put -a"; do
  head -c "$half" /dev/zero >"$H/part.bin"; chown "$T_USER1:" "$H/part.bin"
  step "$cmd after a truncated copy" "$T_USER1" <<<"$cmd $L/big.bin part.bin"
  check_eq "$cmd resumed at the remote size" "$want" "$(sha "$H/part.bin")"
done
for cmd in reget "get -a"; do
  head -c "$half" /dev/zero >"$L/part.back"; chown "$T_USER1:" "$L/part.back"
  step "$cmd after a truncated copy" "$T_USER1" <<<"$cmd big.bin $L/part.back"
  check_eq "$cmd resumed at the local size" "$want" "$(sha "$L/part.back")"
done

log "mkdir, rename, ln -s, ln, chmod, df, rm, rmdir"
step "mkdir, cd, rename, links, chmod" "$T_USER1" <<EOF
mkdir d
mkdir d.mode
cd d
pwd
put $L/small.txt s.txt
cd ..
rename d/s.txt d/t.txt
ln -s t.txt d/sym
ln d/t.txt d/hard
chmod 600 d/t.txt
chmod 700 d
ls -l d
get d/sym $L/via-sym.txt
lmkdir $L/ldir
lcd $L/ldir
lpwd
lls
version
EOF
out_has "cd d; pwd" "^Remote working directory: /home/d$"
check "mkdir: a directory on disk" test -d "$H/d"
check_eq "mkdir: mode 777 under umask 027" "750" "$(stat -c %a "$H/d.mode" 2>&1)"
check "rename: old name gone" test ! -e "$H/d/s.txt"
check_eq "rename: content under the new name" "hello sftpd" "$(cat "$H/d/t.txt" 2>&1)"
check_eq "ln -s: link on disk, target as given" "t.txt" "$(readlink "$H/d/sym" 2>&1)"
check_eq "ln: hard link count 2" "2" "$(stat -c %h "$H/d/t.txt" 2>&1)"
check_eq "ln: same inode" "$(stat -c %i "$H/d/t.txt" 2>&1)" "$(stat -c %i "$H/d/hard" 2>&1)"
check_eq "chmod 600 file" "600" "$(stat -c %a "$H/d/t.txt" 2>&1)"
check_eq "chmod 700 dir" "700" "$(stat -c %a "$H/d" 2>&1)"
check_eq "get through an inside symlink" "hello sftpd" "$(cat "$L/via-sym.txt" 2>&1)"
out_has "ls -l shows the symlink" "^lrwx.*[ /]sym$"
out_has "ls -l shows the file mode" "^-rw------- .*[ /]t\.txt$"
out_has "version reports protocol 3" "^SFTP protocol version 3$"

step "df, df -h, df -i" "$T_USER1" <<'EOF'
df
df -h
df -i
EOF
out_has "df prints a size line" "^ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+%$"

expect_fail "rmdir of a non-empty directory fails" "$T_USER1" "$CFG" "rmdir d"
check "  ... and leaves it" test -e "$H/d/t.txt"
step "rm, rmdir" "$T_USER1" <<'EOF'
rm d/hard
rm d/sym
rm d/t.txt
rmdir d
rmdir d.mode
rm kept.txt
EOF
check "rm: files gone, rmdir: directory gone" test ! -e "$H/d" -a ! -e "$H/d.mode"
check "rm kept.txt" test ! -e "$H/kept.txt"
expect_fail "rm of a missing file fails" "$T_USER1" "$CFG" "rm nothing-here"

log "read-only export and the virtual root refuse writes"
expect_fail_msg "put into ro /archive" "$T_USER1" "$CFG" "put $L/small.txt /archive/x" "[Pp]ermission denied"
check "  ... nothing created" test ! -e "$SRV/archive/x"
expect_fail "mkdir in / (virtual root)" "$T_USER1" "$CFG" "mkdir /newexport"
expect_fail "rm of an export (/shared)" "$T_USER1" "$CFG" "rmdir /shared"

log "admission: users, groups, addresses"
snap_before=$(snapshot "$SRV")
rc=0
timeout 10 runuser -u "$T_USER3" -- env -u SSH_CLIENT SSH_CONNECTION="$T_LOCAL_ADDR" \
  "$SFTPD" --stdio --config "$CFG" </dev/null >"$TMP/u3.out" 2>"$TMP/u3.err" || rc=$?
check_not "user in no entry: sftpd exits non-zero" test "$rc" -eq 0
if [[ -s "$TMP/u3.err" ]]; then pass "  ... and says why on stderr: $(head -1 "$TMP/u3.err")"
else fail "  ... and says why on stderr" "stderr empty"; fi
check_eq "  ... and writes nothing on stdout" "0" "$(stat -c %s "$TMP/u3.out")"
if printf 'put %s x\nls\n' "$L/small.txt" | sftp_as "$T_USER3" "$CFG" "$T_LOCAL_ADDR"; then
  fail "user in no entry: sftp session refused" "$(cat "$OUT")"
else pass "user in no entry: sftp session refused"; fi

rc=0
timeout 10 runuser -u "$T_USER1" -- env -u SSH_CLIENT SSH_CONNECTION="127.0.0.2 40022 127.0.0.1 22" \
  "$SFTPD" --stdio --config "$CFG" </dev/null >/dev/null 2>"$TMP/addr.err" || rc=$?
check_not "127.0.0.2 outside allow_from 127.0.0.1/32: exits non-zero" test "$rc" -eq 0
if [[ -s "$TMP/addr.err" ]]; then pass "  ... and says why on stderr: $(head -1 "$TMP/addr.err")"
else fail "  ... and says why on stderr" "stderr empty"; fi
if printf 'pwd\n' | sftp_as "$T_USER1" "$CFG" "127.0.0.2 40022 127.0.0.1 22"; then
  fail "127.0.0.2: sftp session refused" "$(cat "$OUT")"
else pass "127.0.0.2: sftp session refused"; fi
rc=0
timeout 10 runuser -u "$T_USER1" -- env -u SSH_CONNECTION SSH_CLIENT="127.0.0.2 40022 22" \
  "$SFTPD" --stdio --config "$CFG" </dev/null >/dev/null 2>&1 || rc=$?
check_not "SSH_CLIENT=127.0.0.2 (no SSH_CONNECTION): refused" test "$rc" -eq 0
check_eq "refusals touched nothing" "$snap_before" "$(snapshot "$SRV")"

rc=0
timeout 10 runuser -u "$T_USER1" -- env -u SSH_CLIENT SSH_CONNECTION="$T_LOCAL_ADDR" \
  "$SFTPD" --stdio --config "$CFG" </dev/null >/dev/null 2>"$TMP/eof.err" || rc=$?
check_eq "127.0.0.1 admitted; exit 0 on EOF" "0" "$rc"

# [server] idle_timeout: a session whose input stays open but silent ends.
{ printf '[server]\nidle_timeout = 1\n\n'; cat "$CFG"; } >"$TMP/idle.toml"
chmod 0644 "$TMP/idle.toml"
exec 7< <(sleep 30)  # input that stays open and says nothing
held=$!
rc=0
start=$SECONDS
timeout 15 runuser -u "$T_USER1" -- env -u SSH_CLIENT \
  SSH_CONNECTION="$T_LOCAL_ADDR" "$SFTPD" --stdio --config "$TMP/idle.toml" \
  <&7 >/dev/null 2>"$TMP/idle.err" || rc=$?
exec 7<&-
kill "$held" 2>/dev/null || true
check_eq "idle_timeout = 1: a silent session ends with status 1" "1" "$rc"
check "  ... after 1..5 s, not when its input closes" test $((SECONDS - start)) -le 5
check "  ... its logout gives the reason" \
  grep -q '"op":"logout","result":"no request for 1 s (\[server\] idle_timeout)"' "$AUDIT"

if printf 'pwd\nls -1 /\n' | sftp_as "$T_USER2" "$CFG" ""; then
  pass "group member, no SSH_CONNECTION (local): admitted"
  out_has "  ... sees only its group's export" "^Remote working directory: /shared$"
  check_eq "  ... ls / holds only /shared" "/shared" "$(grep -v '^sftp> ' "$OUT" | grep -v '^Remote' | tr -d ' ')"
else fail "group member, no SSH_CONNECTION (local): admitted" "$(cat "$ERR")"; fi
if printf 'pwd\n' | sftp_as "$T_USER2" "$CFG" "127.0.0.2 40022 127.0.0.1 22"; then
  pass "group entry without allow_from admits 127.0.0.2"
else fail "group entry without allow_from admits 127.0.0.2" "$(cat "$ERR")"; fi

log "a flood of refused requests costs the audit trail a bounded amount"
# 10000 MKDIRs of 4 KiB paths in the read-only /archive, each refused with
# no filesystem work: a few lines of their own, the rest counted, and a
# summary line whose count makes up the difference exactly.
FLOOD_AUDIT=$TMP/audit/flood.jsonl
FLOODS=10000
install -m 0666 /dev/null "$FLOOD_AUDIT"
sed "s|^log = \"$AUDIT\"|log = \"$FLOOD_AUDIT\"|" "$CFG" | install_config "$TMP/flood.toml"
flood=$(timeout 120 /usr/bin/python3 "$(dirname "$0")/refusal_flood.py" \
  "$FLOODS" /archive 4000 -- runuser -u "$T_USER1" -- env -u SSH_CLIENT \
  SSH_CONNECTION="$T_LOCAL_ADDR" "$SFTPD" --stdio --config "$TMP/flood.toml" \
  2>>"$TMP/sessions.err" || true)
check_eq "every one of $FLOODS MKDIRs in /archive is refused" \
  "denied=$FLOODS other=0" "$flood"
bytes=$(stat -c %s "$FLOOD_AUDIT")
log "  audit: $bytes bytes for $FLOODS refused requests"
check "  ... the audit file stays under 128 KiB ($bytes bytes)" test "$bytes" -lt 131072
written=$(grep '"op":"mkdir"' "$FLOOD_AUDIT" | grep '"rule":"read-only export"' | grep -vc '"repeated":' || true)
summed=$(grep '"op":"mkdir"' "$FLOOD_AUDIT" | sed -n 's/.*"rule":"read-only export","repeated":\([0-9]*\)}$/\1/p' | paste -sd+ | bc)
check "  ... a few are written one by one ($written)" test "${written:-0}" -ge 1 -a "${written:-0}" -le 20
check_eq "  ... and the summary lines count the rest exactly" "$FLOODS" "$((written + ${summed:-0}))"
check "  ... which come before the logout" \
  bash -c "tail -2 '$FLOOD_AUDIT' | head -1 | grep -q '\"repeated\":' && tail -1 '$FLOOD_AUDIT' | grep -q '\"op\":\"logout\",\"result\":\"ok\"'"
check "  ... and sftpd audit reads them" \
  bash -c "'$SFTPD' audit --file '$FLOOD_AUDIT' --op refused | grep -q 'and ${summed:-x} more like it'"

log "a path too long for the audit line is cut, and the line says so"
# 4000 bytes of 0x01 escape to 24 000: the line keeps 4 KiB of them.
CUT_AUDIT=$TMP/audit/cut.jsonl
install -m 0666 /dev/null "$CUT_AUDIT"
sed "s|^log = \"$AUDIT\"|log = \"$CUT_AUDIT\"|" "$CFG" | install_config "$TMP/cut.toml"
flood=$(timeout 60 /usr/bin/python3 "$(dirname "$0")/refusal_flood.py" \
  3 /archive 4000 --control -- runuser -u "$T_USER1" -- env -u SSH_CLIENT \
  SSH_CONNECTION="$T_LOCAL_ADDR" "$SFTPD" --stdio --config "$TMP/cut.toml" \
  2>>"$TMP/sessions.err" || true)
check_eq "three MKDIRs of escaped paths are refused" "denied=3 other=0" "$flood"
check_eq "  ... their three lines, and only they, name the path as cut" "3 3" \
  "$(grep -c '"cut":' "$CUT_AUDIT") $(grep -c '"op":"mkdir","path":"/archive/[0-9]-\\u0001[\\u0001]*","result":"Permission denied","rule":"read-only export","cut":"path"}$' "$CUT_AUDIT")"
check "  ... which sftpd audit shows" \
  bash -c "'$SFTPD' audit --file '$CUT_AUDIT' --op mkdir | grep -c '/archive/[0-9]-???.*read-only export) \[cut: path\]$' | grep -qx 3"

log "a flood of malformed requests: each refused, audited with its reason, boundedly"
# 10000 MKDIRs whose ATTRS carry flag bit 0x10, which SFTP v3 does not
# define. (Their log lines go to syslog, through the same limiter.)
BAD_AUDIT=$TMP/audit/malformed.jsonl
install -m 0666 /dev/null "$BAD_AUDIT"
sed "s|^log = \"$AUDIT\"|log = \"$BAD_AUDIT\"|" "$CFG" | install_config "$TMP/malformed.toml"
flood=$(timeout 120 /usr/bin/python3 "$(dirname "$0")/refusal_flood.py" \
  "$FLOODS" /home 100 --malformed -- runuser -u "$T_USER1" -- env -u SSH_CLIENT \
  SSH_CONNECTION="$T_LOCAL_ADDR" "$SFTPD" --stdio --config "$TMP/malformed.toml" \
  2>>"$TMP/sessions.err" || true)
check_eq "every one of $FLOODS malformed MKDIRs is answered BAD_MESSAGE" \
  "malformed=$FLOODS other=0" "$flood"
reason='"op":"mkdir","result":"Malformed request","rule":"malformed request","detail":"MKDIR: attrs: unknown flag bits 0x00000010"'
written=$(grep -F "$reason" "$BAD_AUDIT" | grep -vc '"repeated":' || true)
summed=$(grep -F "$reason" "$BAD_AUDIT" | sed -n 's/.*"repeated":\([0-9]*\)}$/\1/p' | paste -sd+ | bc)
check "  ... a few are audited one by one, with the reason ($written)" \
  test "${written:-0}" -ge 1 -a "${written:-0}" -le 20
check_eq "  ... and the summary lines count the rest exactly" "$FLOODS" "$((written + ${summed:-0}))"
check "  ... the audit file holds a bounded number of lines ($(wc -l <"$BAD_AUDIT"))" \
  test "$(wc -l <"$BAD_AUDIT")" -le 30
check "  ... and the session ended well" \
  bash -c "tail -1 '$BAD_AUDIT' | grep -q '\"op\":\"logout\",\"result\":\"ok\"'"

log "a live session's confinement, seen from outside"
# A session kept open by a batch that waits; its /proc status shows the
# filter (Seccomp 2) and no_new_privs once the confinement is in place.
(cd "$L" && timeout 30 runuser -u "$T_USER1" -- env SSH_CONNECTION="$T_LOCAL_ADDR" \
   sftp -q -b - -D "$(server_cmd "$CFG")" < <(sleep 5; echo pwd) >/dev/null 2>&1) &
held=$!
seccomp="" nnp="" spid=""
for _ in $(seq 40); do
  # The server, not the sftp client whose -D argument holds the same words.
  spid=$(pgrep -u "$T_USER1" -f -- "^$(server_cmd "$CFG")" | head -1 || true)
  if [[ -n $spid ]]; then
    seccomp=$(awk '$1 == "Seccomp:" { print $2 }' "/proc/$spid/status" 2>/dev/null || true)
    nnp=$(awk '$1 == "NoNewPrivs:" { print $2 }' "/proc/$spid/status" 2>/dev/null || true)
    [[ $seccomp == 2 ]] && break
  fi
  sleep 0.1
done
check_eq "a --stdio session runs under a seccomp filter (Seccomp: 2)" "2" "$seccomp"
check_eq "  ... with NoNewPrivs" "1" "$nnp"
wait "$held" || true

log "audit log"
if [[ -s "$AUDIT" ]]; then
  pass "audit log written ($(wc -l <"$AUDIT") lines)"
  bad=$(grep -cv '^{.*}$' "$AUDIT" || true)
  check_eq "every audit line is one JSON object" "0" "$bad"
  if command -v jq >/dev/null; then
    check "audit lines parse as JSON (jq)" jq -e . "$AUDIT" >/dev/null
  fi
  audit_has() {
    # grep -c reads all its input: with -q the first grep could die of
    # SIGPIPE, which pipefail counts as a failure.
    if (($(grep -E -- "$2" "$AUDIT" | grep -c "\"user\": *\"$T_USER1\"") > 0)); then pass "$1"
    else fail "$1" "no line matches /$2/ with user $T_USER1"; fi
  }
  audit_has "audit: put of /home/big.bin" '"op": *"[a-z_]*(open|write|put)[a-z_]*".*"path": *"/home/big\.bin"|"path": *"/home/big\.bin".*"op": *"[a-z_]*(open|write|put)'
  audit_has "audit: rm of /home/kept.txt" '"op": *"[a-z_]*(remove|rm|unlink)[a-z_]*".*"/home/kept\.txt"|"/home/kept\.txt".*"op": *"[a-z_]*(remove|rm|unlink)'
  audit_has "audit: rename of /home/d/s.txt" '"op": *"rename".*"/home/d/s\.txt"|"/home/d/s\.txt".*"op": *"rename"'
  check_eq "audit: every line has a result" "0" "$(grep -vc '"result": *"' "$AUDIT" || true)"
  audit_has "audit: refusal of the ro put names a rule" '"/archive/x".*"rule": *"|"rule": *"[^"]+".*"/archive/x"'
  audit_has "audit: close of /home/big.bin counts the bytes written" '"op": *"close", *"path": *"/home/big\.bin".*"bytes_written": *[1-9]'
  audit_has "audit: login says which confinement is active" '"op": *"login".*"detail": *"no_new_privs, (landlock ABI [0-9]+( \+tcp)?( \+scopes)?, seccomp;|seccomp; landlock unavailable)'
  audit_has "audit: a clean logout" '"op": *"logout", *"result": *"ok"'
  audit_has "audit: the login from 127.0.0.2 refused by allow_from" '"addr": *"127\.0\.0\.2".*"op": *"login", *"result": *"refused", *"rule": *"allow_from"'
  if (($(grep -E "\"user\": *\"$T_USER3\"" "$AUDIT" | grep -cE '"op": *"login", *"result": *"refused", *"rule": *"no entry"') > 0)); then
    pass "audit: the login of a user in no entry refused"
  else fail "audit: the login of a user in no entry refused" "no such line for $T_USER3"; fi
else
  fail "audit log written" "$AUDIT is empty"
fi

finish
