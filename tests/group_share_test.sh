#!/usr/bin/env bash
# A group share ([exports.NAME] group) through OpenSSH's sftp client and
# `sftpd --stdio`: two users of one group put files (with put -p, so the
# client sends their 0600 mode), make and chmod directories, and change
# each other's files; on disk everything is the group's, files 660 and
# directories 2770, despite the client's modes and the export's umask 077.
# A SETSTAT to another group is refused; a user granted the export who is
# not a member creates nothing there, and the audit trail names the rule.
# Usage: group_share_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

G=sftpdtshare                 # the share's group: sftpdt1 and sftpdt2
getent group "$G" >/dev/null || groupadd "$G"
for u in "$T_USER1" "$T_USER2"; do
  if ! id -nG "$u" | grep -qw "$G"; then
    usermod -aG "$G" "$u"
    at_exit "gpasswd -d '$u' '$G' >/dev/null 2>&1"
  fi
done

S=$TMP/shared
CFG=$TMP/etc/sftpd.toml
AUDIT=$TMP/audit/audit.jsonl
install -d -o root -g "$G" -m 2775 "$S"
mkdir -p "$TMP/audit"
install -m 0666 /dev/null "$AUDIT"

install_config "$CFG" <<CONFIG
[audit]
log = "$AUDIT"

[exports.shared]
path = "$S"
access = "rw"
umask = "077"
group = "$G"

[users.$T_USER1]
exports = ["shared"]

[users.$T_USER2]
exports = ["shared"]

[users.$T_USER3]
exports = ["shared"]
CONFIG
check "check-config accepts it" "$SFTPD" check-config --config "$CFG"

# local_file USER NAME TEXT: a 0600 file of USER's on USER's local side.
local_file() {
  local wd="$TMP/work/$1"
  [[ -n "$1" && -n "$TMP" ]] || die "local_file: no user or no TMP"
  mkdir -p "$wd"; chown "$1:" "$wd"; chmod 0755 "$wd"
  printf '%s\n' "$3" >"$wd/$2"
  chown "$1:" "$wd/$2"
  chmod 0600 "$wd/$2"
}
# step DESC USER < batch: the whole batch must succeed.
step() {
  if sftp_as "$2" "$CFG" "$T_LOCAL_ADDR"; then pass "$1"
  else fail "$1" "sftp exited non-zero; stderr:" "$(head -c 800 "$ERR")"; fi
}
# on_disk PATH: mode, group and owner.
on_disk() { stat -c '%a %G %U' "$1" 2>&1; }

log "$T_USER1 puts a 0600 file, makes a directory, takes group bits away"
local_file "$T_USER1" a.txt "from one"
step "put -p, mkdir, chmod 700, chmod 600, put -p into the directory" "$T_USER1" <<'BATCH'
put -p a.txt a.txt
mkdir d1
chmod 700 d1
chmod 600 a.txt
put -p a.txt d1/b.txt
BATCH
check_eq "  ... the file is the group's, 660" "660 $G $T_USER1" "$(on_disk "$S/a.txt")"
check_eq "  ... the directory is the group's, 2770" "2770 $G $T_USER1" "$(on_disk "$S/d1")"
check_eq "  ... the file in it too" "660 $G $T_USER1" "$(on_disk "$S/d1/b.txt")"

log "$T_USER2, of the same group, changes them and adds its own"
local_file "$T_USER2" c.txt "from two"
step "put over the other's file, put -p and mkdir in the other's directory" "$T_USER2" <<'BATCH'
put c.txt a.txt
put -p c.txt d1/c.txt
mkdir d1/d2
chmod 0 d1/c.txt
BATCH
check_eq "  ... the other's file has the new content" "from two" "$(cat "$S/a.txt" 2>&1)"
check_eq "  ... and keeps its owner, group and mode" "660 $G $T_USER1" "$(on_disk "$S/a.txt")"
check_eq "  ... its own file is the group's; chmod 0 left the group bits" \
  "60 $G $T_USER2" "$(on_disk "$S/d1/c.txt")"
check_eq "  ... its own directory is the group's, 2770" "2770 $G $T_USER2" "$(on_disk "$S/d1/d2")"
step "$T_USER1 reads and removes $T_USER2's file" "$T_USER1" <<'BATCH'
get d1/c.txt back.txt
rm d1/c.txt
BATCH
check_eq "  ... read" "from two" "$(cat "$TMP/work/$T_USER1/back.txt" 2>&1)"
check "  ... removed" test ! -e "$S/d1/c.txt"

log "another group, a non-member"
expect_fail "$T_USER2 cannot give its directory another group" "$T_USER2" "$CFG" \
  "chgrp $(id -g "$T_USER2") d1/d2"
check_eq "  ... it stays the group's" "2770 $G $T_USER2" "$(on_disk "$S/d1/d2")"
local_file "$T_USER3" e.txt "from three"
expect_fail "$T_USER3, no member of $G, cannot put a file" "$T_USER3" "$CFG" \
  "put e.txt e.txt"
expect_fail "  ... nor make a directory" "$T_USER3" "$CFG" "mkdir d3"
check_eq "  ... nothing was made" "a.txt d1" "$(ls "$S" | tr '\n' ' ' | sed 's/ $//')"
expect_ok "  ... but it can list the root (2775)" "$T_USER3" "$CFG" "ls -l"
check "the audit trail names the rule" grep -q "group share: not a member of its group" "$AUDIT"

finish
