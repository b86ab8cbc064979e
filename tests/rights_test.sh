#!/usr/bin/env bash
# Rights are (exports, addresses) pairs: a [groups.*] entry without
# allow_from admits its member from anywhere, but only to the group's
# exports; the user's own exports stay behind the user's own allow_from. The
# same rule in --stdio (under sftp -D, SSH_CONNECTION set) and in the daemon
# (clients bound to 127.0.0.1 and 127.0.0.2), and in `check-config --user
# NAME --from ADDR`. Entries that cannot work are warned about (check-config
# and the daemon's start), and a user whose %u export directory is missing
# gets the other exports and is told, or is refused with a message.
# Usage: rights_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
AUDIT=$TMP/audit/audit.jsonl
K=$TMP/keys
mkdir -p "$SRV/users/$T_USER2" "$SRV/archive" "$SRV/team" "$K" "$TMP/audit" "$TMP/hk"
chown "$T_USER2:" "$SRV/users/$T_USER2"
chmod 0777 "$SRV/team"
chmod 0755 "$K" "$TMP/hk"
echo old >"$SRV/archive/old.txt"
# $T_USER3's home export directory is deliberately never made.

PORT=$(free_loopback_port) || die "no free port found"
# $T_USER2 (a member of $T_GROUP): home and archive from 127.0.0.1 only;
# the group's team from anywhere. $T_USER3: home (missing) and team.
{ daemon_config "$PORT"; cat <<CONFIG; } | install_config "$CFG"
[exports.home]
path = "$SRV/users/%u"

[exports.archive]
path = "$SRV/archive"
access = "ro"

[exports.team]
path = "$SRV/team"

[users.$T_USER2]
exports = ["home", "archive"]
allow_from = ["127.0.0.1/32"]

[users.$T_USER3]
exports = ["home", "team"]

[groups.$T_GROUP]
exports = ["team"]
CONFIG

# roots_seen FILE: the export names an `ls /` listed, sorted, one line.
roots_seen() { grep -Eo '(home|archive|team)$' "$1" | sort | tr '\n' ' '; }

log "--stdio: the exports follow the address"
sftp_as "$T_USER2" "$CFG" "127.0.0.1 40022 127.0.0.1 22" <<<'ls -1 /' || true
check_eq "from 127.0.0.1 all three" "archive home team " "$(roots_seen "$OUT")"
sftp_as "$T_USER2" "$CFG" "127.0.0.2 40022 127.0.0.1 22" <<<'ls -1 /' || true
check_eq "from 127.0.0.2 only the group's team" "team " "$(roots_seen "$OUT")"
rc=0; sftp_as "$T_USER2" "$CFG" "127.0.0.2 40022 127.0.0.1 22" <<<'ls /archive' || rc=$?
check "  ... and /archive is not there" test "$rc" -ne 0
check_not "  ... as a missing file, not a dead session" session_died
rc=0; sftp_as "$T_USER2" "$CFG" "::1 40022 ::1 22" <<<'put /etc/hostname /team/from-v6' || rc=$?
check_eq "from ::1 the group's team is writable" "0" "$rc"

log "--stdio: a missing %u directory"
rc=0; sftp_as "$T_USER3" "$CFG" "127.0.0.1 40022 127.0.0.1 22" <<<'ls -1 /' || rc=$?
check_eq "the session goes on without it" "0" "$rc"
check_eq "  ... with team only" "team " "$(roots_seen "$OUT")"
check "  ... and the client is told" \
  grep -q "your export home is not available" "$ERR"

log "check-config"
rc=0; out=$(timeout 10 "$SFTPD" check-config --config "$CFG" --user "$T_USER2" 2>&1) || rc=$?
check_eq "--user: exit 0" "0" "$rc"
check "  ... home granted by users.$T_USER2 from 127.0.0.1/32" \
  grep -Eq "home -> $SRV/users/$T_USER2 \(rw\) by users.$T_USER2 from 127.0.0.1/32" <<<"$out"
check "  ... archive read-only" grep -Eq "archive -> $SRV/archive \(ro\)" <<<"$out"
check "  ... team by groups.$T_GROUP from any address" \
  grep -Eq "team -> $SRV/team \(rw\) by groups.$T_GROUP from any address" <<<"$out"
rc=0; out=$(timeout 10 "$SFTPD" check-config --config "$CFG" --user "$T_USER2" --from 127.0.0.2 2>&1) || rc=$?
check_eq "--from 127.0.0.2: exit 0" "0" "$rc"
check "  ... one export, team" grep -q "from 127.0.0.2: 1 export" <<<"$out"
check_not "  ... not home" grep -q "home ->" <<<"$out"
rc=0; out=$(timeout 10 "$SFTPD" check-config --config "$CFG" --user "$T_USER3" 2>&1) || rc=$?
check_eq "--user with a missing home directory: still served" "0" "$rc"
check "  ... and the export is marked" grep -q "NOT AVAILABLE: absent: $SRV/users/$T_USER3" <<<"$out"
rc=0; out=$(timeout 10 "$SFTPD" check-config --config "$CFG" --user "$T_USER1" 2>&1) || rc=$?
check_eq "--user without an entry: exit 1" "1" "$rc"
check "  ... saying so" grep -q "refused: no \[users\] or \[groups\] entry" <<<"$out"
rc=0; out=$(timeout 10 "$SFTPD" check-config --config "$CFG" --from 127.0.0.1 2>&1) || rc=$?
check_eq "--from without --user: usage error" "2" "$rc"

log "warnings for entries that cannot work"
WCFG=$TMP/etc/warn.toml
{ cat "$CFG"; printf '\n[users.nosuchsftpduser]\nexports = ["team"]\n\n[groups.nosuchsftpdgroup]\nexports = ["team"]\n\n[users.root]\nexports = ["team"]\n'; } |
  install_config "$WCFG"
rc=0; out=$(timeout 10 "$SFTPD" check-config --config "$WCFG" 2>&1) || rc=$?
check_eq "check-config still exits 0" "0" "$rc"
line=$(grep -n '^\[users.nosuchsftpduser\]' "$WCFG" | cut -d: -f1)
check "  ... names the unknown user with file and line" \
  grep -q "warning: $WCFG:$line: users.nosuchsftpduser: no user nosuchsftpduser" <<<"$out"
check "  ... the unknown group" grep -q "groups.nosuchsftpdgroup: no group nosuchsftpdgroup" <<<"$out"
check "  ... root's entry" grep -q "users.root: root may log in" <<<"$out"
check "  ... the missing home directory" \
  grep -q "exports.home: for user $T_USER3: absent: $SRV/users/$T_USER3" <<<"$out"

log "the daemon: the same pairs"
ssh-keygen -q -t ed25519 -N '' -f "$TMP/key" -C sftpd-rights
install -m 0644 "$TMP/key.pub" "$K/$T_USER2"
install -m 0644 "$TMP/key.pub" "$K/$T_USER3"
DLOG=$TMP/daemon.log
start_sftpd_serve "$WCFG" "$PORT" "$DLOG"
check "its start warns about the unknown user" grep -q "warning: .*users.nosuchsftpduser" "$DLOG"
rc=0; dsftp "$TMP/key" -o BindAddress=127.0.0.1 "$T_USER2@127.0.0.1" <<<'ls -1 /' || rc=$?
check_eq "from 127.0.0.1: exit 0" "0" "$rc"
check_eq "  ... all three" "archive home team " "$(roots_seen "$OUT")"
rc=0; dsftp "$TMP/key" -o BindAddress=127.0.0.2 "$T_USER2@127.0.0.1" <<<'ls -1 /' || rc=$?
check_eq "from 127.0.0.2: exit 0" "0" "$rc"
check_eq "  ... only team" "team " "$(roots_seen "$OUT")"
rc=0; dsftp "$TMP/key" -o BindAddress=127.0.0.2 "$T_USER2@127.0.0.1" <<<'get /home/x' || rc=$?
check "  ... and home is not there" test "$rc" -ne 0
rc=0; dsftp "$TMP/key" "$T_USER3@127.0.0.1" <<<'ls -1 /' || rc=$?
check_eq "a missing home directory: the session goes on" "0" "$rc"
check_eq "  ... with team only" "team " "$(roots_seen "$OUT")"
check "  ... and the client is told" grep -q "your export home is not available" "$ERR"
check "  ... and the log says what is missing" \
  grep -q "export home left out: absent: $SRV/users/$T_USER3" "$DLOG"

log "the daemon: nothing left"
# Only home for $T_USER3 now: refused, and told why.
sed -i "s/^exports = \[\"home\", \"team\"\]/exports = [\"home\"]/" "$WCFG"
check "the config reloads" daemon_hup
rc=0; dsftp "$TMP/key" "$T_USER3@127.0.0.1" <<<'ls -1 /' || rc=$?
check "refused" test "$rc" -ne 0
check "  ... and the client is told" grep -q "your export home is not available" "$ERR"
check "  ... audited" wait_audit '"user":"'"$T_USER3"'".*"result":"refused".*no export is available'
finish
