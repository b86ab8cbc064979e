#!/usr/bin/env bash
# sftpd behind a real OpenSSH sshd: a Match block with ForceCommand, key
# authentication, sftp over it, no shell for `ssh user cmd`; a ~/.bashrc
# written over SFTP runs at the next login with bash as the login shell and
# not with sftpd; and an sshfs mount doing file work that is then checked
# on disk.
# Usage: sshd_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
H=$SRV/users/$T_USER1
SD=$TMP/sshd
MNT=$TMP/mnt
L=$TMP/local
mkdir -p "$H" "$SRV/shared" "$SD" "$MNT" "$L" /run/sshd
chown "$T_USER1:" "$H" "$SRV/shared"
chmod 0755 /run/sshd

install_config "$CFG" <<EOF
[exports.home]
path = "$SRV/users/%u"
access = "rw"
owner_only = true

[exports.shared]
path = "$SRV/shared"
access = "rw"

[users.$T_USER1]
exports = ["home", "shared"]
allow_from = ["127.0.0.1/32", "::1"]
EOF

port=$(free_loopback_port) || die "no free port found"

ssh-keygen -q -t ed25519 -N '' -f "$SD/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$SD/client_key" -C sftpd-test
mkdir -p "$SD/keys"
cp "$SD/client_key.pub" "$SD/keys/$T_USER1"
chmod 0755 "$SD/keys"; chmod 0644 "$SD/keys/$T_USER1"

SERVER="$SFTPD --stdio --config $CFG"
[[ -n "${SFTPD_SERVER_CMD:-}" ]] && SERVER=$SFTPD_SERVER_CMD
{ sshd_base_config "$SD" "$port" "$T_USER1"; cat <<EOF; } >"$SD/sshd_config"

Match User $T_USER1
    ForceCommand $SERVER
    DisableForwarding yes
    PermitTTY no
EOF
/usr/sbin/sshd -t -f "$SD/sshd_config" || die "sshd -t rejected the config"

start_sshd "$SD/sshd_config" "$SD/sshd.log" "$port"
log "sshd on 127.0.0.1:$port"

sshd_client_opts "$SD/client_key"

mkfile "$L/up.bin" 300 root
log "sftp over sshd"
rc=0
timeout 60 sftp -q "${SSH_OPTS[@]}" -P "$port" -b - "$T_USER1@127.0.0.1" \
  >"$OUT" 2>"$ERR" <<EOF || rc=$?
pwd
ls -1 /
put $L/up.bin up.bin
ls -l
mkdir dir
rename up.bin dir/up.bin
get dir/up.bin $L/down.bin
EOF
if ((rc == 0)); then pass "sftp batch over sshd"
else fail "sftp batch over sshd" "exit $rc" "$(head -c 800 "$ERR")" "sshd log: $(tail -5 "$SD/sshd.log")"; fi
check_eq "start directory /home" "/home" "$(sed -n 's/^Remote working directory: //p' "$OUT")"
check_eq "ls / shows the exports" "home shared " \
  "$(awk '/^sftp> ls -1 \/$/{f=1;next} /^sftp> /{f=0} f' "$OUT" | sed 's|^/||' | LC_ALL=C sort | tr '\n' ' ')"
check_eq "put+rename: content on disk" "$(sha "$L/up.bin")" "$(sha "$H/dir/up.bin" 2>&1)"
check_eq "  ... owned by the user" "$T_USER1" "$(stat -c %U "$H/dir/up.bin" 2>&1)"
check_eq "get: content back" "$(sha "$L/up.bin")" "$(sha "$L/down.bin" 2>&1)"
if grep -q "up.bin" "$OUT"; then pass "ls -l lists the upload"; else fail "ls -l lists the upload" "$(cat "$OUT")"; fi
if grep -q 'Accepted publickey for '"$T_USER1" "$SD/sshd.log"; then pass "sshd logged key auth"
else fail "sshd logged key auth" "$(tail -5 "$SD/sshd.log")"; fi

log "ForceCommand: no shell, no commands"
rc=0
timeout 20 ssh "${SSH_OPTS[@]}" -p "$port" -n "$T_USER1@127.0.0.1" id \
  >"$TMP/id.out" 2>"$TMP/id.err" || rc=$?
if grep -q 'uid=' "$TMP/id.out"; then fail "ssh user id does not run id" "$(cat "$TMP/id.out")"
else pass "ssh user id does not run id (exit $rc)"; fi
rc=0
timeout 20 ssh "${SSH_OPTS[@]}" -p "$port" -n "$T_USER1@127.0.0.1" \
  "touch $TMP/pwned" >/dev/null 2>&1 || rc=$?
check "ssh user 'touch ...' runs nothing" test ! -e "$TMP/pwned"
rc=0
timeout 20 ssh "${SSH_OPTS[@]}" -p "$port" -N -R "127.0.0.1:$((port + 1)):127.0.0.1:$port" \
  -o ExitOnForwardFailure=yes "$T_USER1@127.0.0.1" >/dev/null 2>&1 || rc=$?
if ((rc != 0 && rc != 124)); then pass "remote port forwarding is refused (exit $rc)"
else fail "remote port forwarding is refused" "ssh -N -R exit $rc"; fi

log "login shells: a ~/.bashrc written over SFTP, then sftpd as the shell"
# sftpdt2's home is exported read-write, by a config of its own and the
# Match block `sftpd policy sshd` prints for it. sshd runs ForceCommand
# through the login shell, and Debian's bash reads ~/.bashrc when sshd runs
# it: with bash, a ~/.bashrc written over SFTP runs at the next login,
# unconfined. With sftpd as the login shell (`sftpd -c`) nothing of the
# user's runs, and the session reads /etc/sftpd/sftpd.toml: sshd runs in a
# mount namespace of its own where /etc has that file (an overlay), so the
# system's /etc is not touched.
U=$T_USER2
UHOME=$(getent passwd "$U" | cut -d: -f6)
USHELL=$(getent passwd "$U" | cut -d: -f7)
CFG2=$TMP/etc/shells.toml
MARKS=$TMP/marks
mkdir -p "$MARKS" "$SD/overlay"
chown "$U:" "$MARKS"
at_exit "usermod -s '$USHELL' '$U'"
if [[ -e $UHOME/.bashrc ]]; then
  mv "$UHOME/.bashrc" "$TMP/bashrc.saved"
  at_exit "mv -f '$TMP/bashrc.saved' '$UHOME/.bashrc'"
fi
at_exit "rm -f '$UHOME/.bashrc'"
[[ $USHELL == /bin/bash ]] || usermod -s /bin/bash "$U"
cp "$SD/client_key.pub" "$SD/keys/$U"
chmod 0644 "$SD/keys/$U"
printf 'touch %s/bashrc-ran\n' "$MARKS" >"$L/bashrc"

install_config "$CFG2" <<EOF
[exports.home]
path = "%h"
access = "rw"

[users.$U]
exports = ["home"]
allow_from = ["127.0.0.1/32", "::1"]
EOF

# warnings EXPOSED DEFAULT: check-config and policy sshd (on stderr and in
# the text) warn about $U's login shell reading files $U can write
# (EXPOSED=1) or not (0), and about sftpd as the shell serving from the
# default config rather than $CFG2 (DEFAULT=1) or not; both exit 0. Where
# this machine's /etc/pam.d/sshd reads ~/.pam_environment (Debian's does),
# both also warn that $U can write one, whatever the shell.
PAMENV=0
grep -Eq '^[^#]*pam_env\.so.*user_readenv=1' /etc/pam.d/sshd 2>/dev/null && PAMENV=1
warnings() {
  local exposed="user $U: login shell [^ ]* may read startup files"
  local pamenv="user $U: sshd's PAM stack reads ~/.pam_environment"
  local default="user $U: login shell $SFTPD serves every session with /etc/sftpd/sftpd.toml, not $CFG2 "
  local shell rc=0
  shell=$(getent passwd "$U" | cut -d: -f7)
  timeout 10 "$SFTPD" check-config --config "$CFG2" >"$OUT" 2>"$ERR" || rc=$?
  check_eq "check-config exits 0 ($U's shell $shell)" 0 "$rc"
  check_eq "  ... warns about the exposed shell: $1" "$1" "$(grep -c "warning: $exposed" "$ERR")"
  check_eq "  ... about the default config: $2" "$2" "$(grep -cF "warning: $default" "$ERR")"
  check_eq "  ... about ~/.pam_environment: $PAMENV" "$PAMENV" "$(grep -cF "warning: $pamenv" "$ERR")"
  rc=0
  timeout 10 "$SFTPD" policy sshd --config "$CFG2" >"$SD/shells.conf" 2>"$ERR" || rc=$?
  check_eq "policy sshd exits 0" 0 "$rc"
  check_eq "  ... warns about the exposed shell: $1" "$1" "$(grep -c "^sftpd: warning: $exposed" "$ERR")"
  check_eq "  ... about the default config: $2" "$2" "$(grep -cF "sftpd: warning: $default" "$ERR")"
  check_eq "  ... about ~/.pam_environment: $PAMENV" "$PAMENV" "$(grep -cF "sftpd: warning: $pamenv" "$ERR")"
  check_eq "  ... and says so in the text" "$(($1 + $2 + PAMENV))" "$(grep -c "^# WARNING: user $U: " "$SD/shells.conf")"
}
warnings 1 0

# sftp2 PORT < batch: sftp as $U through the sshd on PORT.
sftp2() {
  timeout 30 sftp -q "${SSH_OPTS[@]}" -P "$1" -b - "$U@127.0.0.1" >"$OUT" 2>"$ERR"
}
port2=$(free_loopback_port) || die "no free port found"
{ sshd_base_config "$SD" "$port2" "$U"; cat "$SD/shells.conf"; } >"$SD/sshd_config.bash"
check "sshd -t accepts the printed block" /usr/sbin/sshd -t -f "$SD/sshd_config.bash"
start_sshd "$SD/sshd_config.bash" "$SD/sshd.bash.log" "$port2"
rc=0
sftp2 "$port2" <<EOF || rc=$?
put $L/bashrc .bashrc
EOF
check_eq "bash as the login shell: sftp writes ~/.bashrc" "0" "$rc"
check_eq "  ... in the home, the user's" "$U" "$(stat -c %U "$UHOME/.bashrc" 2>&1)"
rc=0
printf 'pwd\n' | sftp2 "$port2" || rc=$?
if [[ -e $MARKS/bashrc-ran ]]; then
  pass "control: at the next login bash ran the ~/.bashrc written over SFTP"
else
  fail "control: at the next login bash ran the ~/.bashrc written over SFTP" \
    "sftp exit $rc" "sshd: $(tail -3 "$SD/sshd.bash.log")"
fi
rm -f "$MARKS/bashrc-ran"

usermod -s "$SFTPD" "$U"
warnings 0 1
cat >"$SD/etc-overlay" <<EOF
#!/bin/bash
# In a mount namespace of its own: /etc gets sftpd/sftpd.toml (from
# $CFG2) over the system's, then runs the command.
set -e
mount -t tmpfs -o mode=0755 sftpdt-etc '$SD/overlay'
mkdir -p '$SD/overlay/upper/sftpd' '$SD/overlay/work'
chmod 0755 '$SD/overlay/upper' '$SD/overlay/upper/sftpd'
install -o root -g root -m 0644 '$CFG2' '$SD/overlay/upper/sftpd/sftpd.toml'
mount -t overlay sftpdt-etc \
  -o 'lowerdir=/etc,upperdir=$SD/overlay/upper,workdir=$SD/overlay/work' /etc
exec "\$@"
EOF
chmod 0755 "$SD/etc-overlay"
port3=$(free_loopback_port) || die "no free port found"
{ sshd_base_config "$SD" "$port3" "$U"; cat "$SD/shells.conf"; } >"$SD/sshd_config.sftpd"
start_sshd "$SD/sshd_config.sftpd" "$SD/sshd.sftpd.log" "$port3" \
  unshare -m --propagation private "$SD/etc-overlay"
rc=0
sftp2 "$port3" <<EOF || rc=$?
pwd
ls -1 /
get .bashrc $L/bashrc.back
EOF
if ((rc == 0)); then pass "sftpd as the login shell: sftp works"
else fail "sftpd as the login shell: sftp works" "exit $rc" "$(head -c 600 "$ERR")" \
  "sshd: $(tail -5 "$SD/sshd.sftpd.log")"; fi
check_eq "  ... / holds the export" "home " \
  "$(awk '/^sftp> ls -1 \/$/{f=1;next} /^sftp> /{f=0} f' "$OUT" | sed 's|^/||' | tr '\n' ' ')"
check_eq "  ... and reads ~/.bashrc as a file" "$(sha "$L/bashrc")" "$(sha "$L/bashrc.back" 2>&1)"
check "  ... and bash did not run it" test ! -e "$MARKS/bashrc-ran"
rc=0
timeout 20 ssh "${SSH_OPTS[@]}" -p "$port3" -n "$U@127.0.0.1" "touch $MARKS/cmd-ran" \
  >/dev/null 2>&1 || rc=$?
check "  ... nor a command the client asks for (ssh exit $rc)" test ! -e "$MARKS/cmd-ran"
check "  ... nor anything at that login" test ! -e "$MARKS/bashrc-ran"

log "sftpd as a shell, run by hand"
rc=0
out=$( (exec -a -sftpd "$SFTPD") 2>&1 </dev/null) || rc=$?
check_eq "an interactive login (-sftpd) exits 1" 1 "$rc"
check_eq "  ... saying so in one line" "sftpd: this account is for SFTP only; use an SFTP client" "$out"
rc=0
out=$(timeout 10 script -qec "$SFTPD -c 'touch $MARKS/tty-ran'" /dev/null 2>&1) || rc=$?
check_eq "-c with a terminal exits 1" 1 "$rc"
check "  ... saying so" grep -q "for SFTP only" <<<"$out"
check "  ... and runs nothing" test ! -e "$MARKS/tty-ran"

log "sshfs over sshd"
[[ -c /dev/fuse ]] || { fail "/dev/fuse exists (needed for sshfs)" "missing"; finish; }
rc=0
timeout 30 sshfs -p "$port" \
  -o "IdentityFile=$SD/client_key,IdentitiesOnly=yes,StrictHostKeyChecking=no" \
  -o "UserKnownHostsFile=/dev/null,BatchMode=yes,LogLevel=ERROR" \
  "$T_USER1@127.0.0.1:/" "$MNT" 2>"$TMP/sshfs.err" || rc=$?
if ((rc == 0)) && mountpoint -q "$MNT"; then
  pass "sshfs mounts /"
  at_exit "fusermount3 -u '$MNT' 2>/dev/null || umount -l '$MNT' 2>/dev/null"
  check_eq "mount root lists the exports" "home shared " \
    "$(timeout 10 ls -1 "$MNT" | LC_ALL=C sort | tr '\n' ' ')"
  mkfile "$L/fs.bin" 200 root
  check "write a file" timeout 20 cp "$L/fs.bin" "$MNT/home/fs.bin"
  check_eq "read it back" "$(sha "$L/fs.bin")" "$(timeout 20 sha256sum "$MNT/home/fs.bin" | cut -d' ' -f1)"
  check "rename it" timeout 10 mv "$MNT/home/fs.bin" "$MNT/home/renamed.bin"
  check "mkdir" timeout 10 mkdir "$MNT/shared/fsdir"
  check "write into /shared" timeout 10 cp "$L/fs.bin" "$MNT/shared/fsdir/copy.bin"
  ls_out=$(timeout 10 ls -1 "$MNT/home" | tr '\n' ' ' || true)
  if [[ " $ls_out" == *" renamed.bin "* && " $ls_out" != *" fs.bin "* ]]; then pass "ls shows the new name only"
  else fail "ls shows the new name only" "ls: $ls_out"; fi
  check_not "writes outside the mount's exports fail" timeout 10 touch "$MNT/newtop" 2>/dev/null
  check "fusermount3 -u" timeout 20 fusermount3 -u "$MNT"
  check "  ... unmounted" bash -c "! mountpoint -q '$MNT'"
  check_eq "on disk: renamed file" "$(sha "$L/fs.bin")" "$(sha "$H/renamed.bin" 2>&1)"
  check "on disk: old name gone" test ! -e "$H/fs.bin"
  check_eq "on disk: /shared copy" "$(sha "$L/fs.bin")" "$(sha "$SRV/shared/fsdir/copy.bin" 2>&1)"
  check_eq "on disk: owned by the user" "$T_USER1" "$(stat -c %U "$H/renamed.bin" 2>&1)"
else
  fail "sshfs mounts /" "exit $rc" "$(head -c 600 "$TMP/sshfs.err")"
fi

finish
