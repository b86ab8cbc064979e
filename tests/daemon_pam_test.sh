#!/usr/bin/env bash
# `sftpd serve` with password and keyboard-interactive logins through the
# real PAM stack (pam_unix, a test user's password), driven by OpenSSH's sftp
# with SSH_ASKPASS: right password served, wrong one refused, an expired
# account refused by pam_acct_mgmt (for a key login too), [auth] methods
# honoured, the failure log line, and no password in the log; while
# /etc/nologin exists (made by the test, only where absent) a login by each
# method is refused by pam_nologin, and served once it is gone; a name that
# may not log in sees the same keyboard-interactive prompt and waits as long
# for a failed password as one that may.
# Installs deploy/pam.d/sftpd as /etc/pam.d/sftpd if that file is absent,
# and removes it at exit (package_test needs a machine without it). The test changes a user's password, expiry and lock,
# so it uses a user of its own, sftpdtpam (created if absent, reset to "*" at
# exit), not the shared sftpdt1..3 that concurrent runs of the other tests
# use; two runs of this test wait for each other on a lock file.
# Usage: daemon_pam_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

SRC=$(cd "$(dirname "$0")/.." && pwd)
readonly PUSER=sftpdtpam
exec 9>/run/lock/sftpd-daemon-pam-test.lock
flock -w 120 9 || die "another daemon_pam_test holds the lock"
if ! id "$PUSER" >/dev/null 2>&1; then
  useradd -M -d "$T_HOMES/$PUSER" -s /bin/bash "$PUSER"
fi
SRV=$TMP/srv
K=$TMP/keys
L=$TMP/local
H=$SRV/users/$PUSER
AUDIT=$TMP/audit/audit.jsonl
mkdir -p "$H" "$K" "$L" "$TMP/hk" "$TMP/askpass" "$TMP/audit"
chown "$PUSER:" "$H"
chmod 0755 "$K" "$TMP/hk" "$TMP/askpass"

if [[ ! -e /etc/pam.d/sftpd ]]; then
  install -m 0644 "$SRC/deploy/pam.d/sftpd" /etc/pam.d/sftpd
  at_exit "cmp -s '$SRC/deploy/pam.d/sftpd' /etc/pam.d/sftpd && rm -f /etc/pam.d/sftpd"
  log "installed /etc/pam.d/sftpd (removed at exit)"
fi

PW="pw-$RANDOM$RANDOM-Tq7"
WRONG="wrong-$RANDOM$RANDOM-Xz"
at_exit "usermod -p '*' '$PUSER'; chage -E -1 '$PUSER'"
set_password() { printf '%s:%s\n' "$PUSER" "$PW" | chpasswd; }
set_password
chage -E -1 "$PUSER"

# askpass NAME SECRET: a script that prints SECRET, as ssh's askpass.
askpass() {
  local f="$TMP/askpass/$1"
  printf '%s\n' "$2" >"$f.txt"
  printf '#!/bin/sh\ncat %q\n' "$f.txt" >"$f"
  chmod 0700 "$f"
  printf '%s' "$f"
}
AP_RIGHT=$(askpass right "$PW")
AP_WRONG=$(askpass wrong "$WRONG")

# write_config FILE PORT METHODS (a TOML array body)
write_config() {
  { daemon_config "$2" "auth: methods = [$3]" "audit: syslog = false"
    cat <<CONFIG; } | install_config "$1"
[exports.home]
path = "$SRV/users/%u"
access = "rw"
owner_only = true

[users.$PUSER]
exports = ["home"]
allow_from = ["127.0.0.1/32"]

# The failures here, invalid names included, outnumber the defender's
# threshold; daemon_defender_test tests it.
[defender]
never_ban = ["127.0.0.1"]
CONFIG
}

stop_daemon() {
  kill "$DPID" 2>/dev/null || true
  timeout 5 tail --pid="$DPID" -f /dev/null || true
}

COMMON=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o LogLevel=ERROR -o ConnectTimeout=10 -o NumberOfPasswordPrompts=1)

# psftp METHOD ASKPASS < batch: sftp as $PUSER with METHOD only, the
# secret from ASKPASS. sftp -b turns BatchMode on, which forbids asking;
# an earlier -o BatchMode=no wins (ssh keeps the first value).
psftp() {
  SSH_ASKPASS=$2 SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
    setsid -w timeout 30 sftp -q "${COMMON[@]}" -o BatchMode=no \
    -o PreferredAuthentications="$1" -o PubkeyAuthentication=no \
    -P "$PORT" -b - "$PUSER@127.0.0.1" >"$OUT" 2>"$ERR"
}
# ksftp < batch: sftp as $PUSER with the test key only.
ksftp() {
  timeout 30 sftp -q "${COMMON[@]}" -o BatchMode=yes -o IdentitiesOnly=yes \
    -o PreferredAuthentications=publickey -i "$TMP/client_key" \
    -P "$PORT" -b - "$PUSER@127.0.0.1" >"$OUT" 2>"$ERR"
}

# nologin_check DESC LOG CMD...: while an /etc/nologin of this test's
# exists, CMD (a login as $PUSER, "ls" on stdin) is refused by pam_nologin
# and LOG gains "PAM ... for $PUSER"; once it is gone, CMD is served. The
# file is made only where none exists (else the check is skipped), and
# removed right after the refused login, and at exit.
NOLOGIN_TEXT="daemon_pam_test $$ $RANDOM: logins refused for a test"
printf '%s\n' "$NOLOGIN_TEXT" >"$TMP/nologin"
at_exit "cmp -s '$TMP/nologin' /etc/nologin && rm -f /etc/nologin"
nologin_check() {
  local desc=$1 logf=$2 seen rc=0; shift 2
  if ! (set -C; cat "$TMP/nologin" >/etc/nologin) 2>/dev/null; then
    log "SKIP $desc while /etc/nologin exists: there is one, not this test's"
    return 0
  fi
  seen=$(wc -l <"$logf")
  check_not "$desc is refused while /etc/nologin exists" "$@" <<<"ls"
  cmp -s "$TMP/nologin" /etc/nologin && rm -f /etc/nologin
  if (($(tail -n "+$((seen + 1))" "$logf" | grep -c "PAM [a-z-]* for $PUSER from 127.0.0.1:") > 0)); then pass "  ... by PAM, logged"
  else fail "  ... by PAM, logged" "$(tail -5 "$logf")"; fi
  set_password
  "$@" <<<"ls" || rc=$?
  if ((rc == 0)); then pass "  ... and served once /etc/nologin is gone"
  else fail "  ... and served once /etc/nologin is gone" "exit $rc" "$(head -c 600 "$ERR")" "daemon: $(tail -5 "$logf")"; fi
}

ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key" -C sftpd-pam-test
install -m 0644 "$TMP/client_key.pub" "$K/$PUSER"

log "methods = password, keyboard-interactive"
PORT=$(free_loopback_port) || die "no free port found"
CFG=$TMP/etc/pw.toml
DLOG=$TMP/pw.log
write_config "$CFG" "$PORT" '"password", "keyboard-interactive"'
start_sftpd_serve "$CFG" "$PORT" "$DLOG"

mkfile "$L/up.bin" 200 root
rc=0
set_password
psftp password "$AP_RIGHT" <<BATCH || rc=$?
put $L/up.bin up.bin
get up.bin $L/down.bin
BATCH
if ((rc == 0)); then pass "password: put/get with the right password"
else fail "password: put/get with the right password" "exit $rc" "$(head -c 600 "$ERR")" "daemon: $(tail -5 "$DLOG")"; fi
check_eq "  ... the upload is on disk" "$(sha "$L/up.bin")" "$(sha "$H/up.bin" 2>&1)"
check_eq "  ... owned by $PUSER" "$PUSER:$PUSER" "$(stat -c %U:%G "$H/up.bin" 2>&1)"
check_eq "  ... and comes back" "$(sha "$L/up.bin")" "$(sha "$L/down.bin" 2>&1)"
if grep -q "Accepted password for $PUSER from 127.0.0.1 port [0-9]* ssh2$" "$DLOG"; then pass "  ... logged as accepted"
else fail "  ... logged as accepted" "$(tail -5 "$DLOG")"; fi
check "  ... its login line names the method, and no key" \
  wait_audit "\"user\":\"$PUSER\".*\"op\":\"login\",\"result\":\"ok\",.*\"method\":\"password\"}"

mkfile "$L/kbd.bin" 50 root
rc=0
set_password
psftp keyboard-interactive "$AP_RIGHT" <<BATCH || rc=$?
put $L/kbd.bin kbd.bin
BATCH
if ((rc == 0)); then pass "keyboard-interactive: put with the right password"
else fail "keyboard-interactive: put with the right password" "exit $rc" "$(head -c 600 "$ERR")" "daemon: $(tail -5 "$DLOG")"; fi
check_eq "  ... owned by $PUSER" "$PUSER" "$(stat -c %U "$H/kbd.bin" 2>&1)"
check "  ... its login line names the method" \
  wait_audit "\"user\":\"$PUSER\".*\"op\":\"login\",\"result\":\"ok\",.*\"method\":\"keyboard-interactive\"}"

check_not "password: a wrong password is refused" psftp password "$AP_WRONG" <<<"ls"
if grep -q "Failed password for $PUSER from 127.0.0.1 port [0-9]* ssh2" "$DLOG"; then pass "  ... logged as Failed password for $PUSER from 127.0.0.1"
else fail "  ... logged as Failed password" "$(tail -5 "$DLOG")"; fi
check_not "keyboard-interactive: a wrong password is refused" \
  psftp keyboard-interactive "$AP_WRONG" <<<"ls"
if grep -q "Failed keyboard-interactive for $PUSER from 127.0.0.1 port [0-9]* ssh2" "$DLOG"; then pass "  ... and logged"
else fail "  ... and logged" "$(tail -5 "$DLOG")"; fi
# fail2ban's own sshd filter, told the daemon is called sftpd, must find
# both failures with user and address.
if command -v fail2ban-regex >/dev/null; then
  found=$(fail2ban-regex -d '{NONE}' --out row "$DLOG" 'sshd[_daemon=sftpd]' 2>&1 |
    grep -c "^\['127.0.0.1',.*'user': '$PUSER'" || true)
  check "  ... fail2ban's sshd filter finds both failures ($found)" test "$found" -ge 2
else fail "fail2ban-regex is installed (deploy/install-deps)"; fi
check_not "publickey is refused (not in methods)" ksftp <<<"ls"

log "a name that may not log in is answered as one that may"
# ssh_probe.py claims any name and shows the keyboard-interactive rounds
# the server sends (a JSON line each), then "ok" or "refused".
probe() { timeout 60 /usr/bin/python3 "$(dirname "$0")/ssh_probe.py" "$PORT" "$@"; }
NOUSER=nosuchuser-sftpd-pam
real=$(probe kbdint "$PUSER" "$WRONG" 2>&1 || true)
check "keyboard-interactive: $PUSER is shown PAM's prompt, then refused" \
  grep -qz '^{"instruction": "", "prompts": \[\["[^"]*", false\]\]}.refused.$' <<<"$real"
for name in "$NOUSER" "$T_USER3"; do
  check_eq "  ... $name (no such user / no entry) sees the same" \
    "$real" "$(probe kbdint "$name" "$WRONG" 2>&1 || true)"
done
got=$(probe kbdint "$T_USER3" "$PW" 2>&1 | tail -1 || true)
check_eq "  ... and is refused whatever it answers" "refused" "$got"
# A client may drop a keyboard-interactive conversation for a new request;
# that request is checked as any other: here it claims another name.
got=$(probe steps "kbdint-cut:$PUSER:$NOUSER" 2>&1 || true)
check_eq "a request for another name cutting a conversation short ends the connection" \
  "closed Change of username or service not allowed" "$got"
check "  ... audited with rule user name changed" \
  wait_audit "\"user\":\"$PUSER\".*\"rule\":\"user name changed\",\"detail\":\"to $NOUSER\""
# Each failed password waits for PAM (pam_unix's hashing and fail delay,
# about 2 s): a name that may not log in must not fail measurably sooner.
# Medians of 5; the bound is loose, so only a real difference fails it.
median_failure() {
  local i
  for ((i = 0; i < 5; i++)); do
    probe password "$1" "$WRONG" 2>/dev/null | awk '$1 == "refused" {print $2}'
  done | sort -n | sed -n 3p
}
valid=$(median_failure "$PUSER")
invalid=$(median_failure "$NOUSER")
noentry=$(median_failure "$T_USER3")
log "failed password, median of 5: $PUSER ${valid:-?} s, $NOUSER ${invalid:-?} s, $T_USER3 ${noentry:-?} s"
for pair in "$NOUSER:$invalid" "$T_USER3:$noentry"; do
  check "  ... $pair s is at least half of $PUSER's $valid s" \
    awk -v v="${valid:-0}" -v i="${pair#*:}" 'BEGIN { exit !(v > 0 && i != "" && i >= v / 2) }'
done

# Debian's pam_unix refuses an expired account already in its auth step;
# the key login below shows pam_acct_mgmt refusing on its own.
chage -E 0 "$PUSER"
seen=$(wc -l <"$DLOG")
check_not "an expired account is refused with the right password" \
  psftp password "$AP_RIGHT" <<<"ls"
if (($(tail -n "+$((seen + 1))" "$DLOG" | grep -c "PAM password for $PUSER from 127.0.0.1:") > 0)); then pass "  ... by PAM, logged"
else fail "  ... by PAM, logged" "$(tail -5 "$DLOG")"; fi
chage -E -1 "$PUSER"
rc=0
set_password
psftp password "$AP_RIGHT" <<<"ls" || rc=$?
if ((rc == 0)); then pass "  ... and served again once the expiry is lifted"
else fail "  ... and served again once the expiry is lifted" "exit $rc" "$(head -c 600 "$ERR")" "daemon: $(tail -5 "$DLOG")"; fi

usermod -L "$PUSER"
check_not "a locked account is refused with the right password" \
  psftp keyboard-interactive "$AP_RIGHT" <<<"ls"
usermod -U "$PUSER"
nologin_check "password: the right password" "$DLOG" psftp password "$AP_RIGHT"
nologin_check "keyboard-interactive: the right password" "$DLOG" \
  psftp keyboard-interactive "$AP_RIGHT"
stop_daemon

log "methods = publickey"
PORT=$(free_loopback_port) || die "no free port found"
CFG=$TMP/etc/key.toml
KLOG=$TMP/key.log
write_config "$CFG" "$PORT" '"publickey"'
start_sftpd_serve "$CFG" "$PORT" "$KLOG"
check_not "password is refused (not in methods)" psftp password "$AP_RIGHT" <<<"ls"
check_not "keyboard-interactive is refused (not in methods)" \
  psftp keyboard-interactive "$AP_RIGHT" <<<"ls"
check "the key is served" ksftp <<<"ls"
chage -E 0 "$PUSER"
check_not "an expired account is refused with its key (pam_acct_mgmt)" ksftp <<<"ls"
chage -E -1 "$PUSER"
if grep -q "PAM account for $PUSER from 127.0.0.1:" "$KLOG"; then pass "  ... by the account check, logged"
else fail "  ... logged" "$(tail -5 "$KLOG")"; fi
nologin_check "publickey: the key" "$KLOG" ksftp
stop_daemon

for f in "$DLOG" "$KLOG"; do
  if grep -qF -e "$PW" -e "$WRONG" "$f"; then fail "$(basename "$f") holds a password" "$(grep -F -e "$PW" -e "$WRONG" "$f" | head -3)"
  else pass "$(basename "$f") holds no password"; fi
done

finish
