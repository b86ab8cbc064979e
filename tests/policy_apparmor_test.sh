#!/usr/bin/env bash
# The AppArmor profiles sftpd generates, compiled by Debian's apparmor_parser
# against the AppArmor 3.0 feature set (this kernel has no AppArmor, so this
# checks syntax and semantics, not enforcement; apparmor_vm_test enforces).
# Every golden profile, the shipped one, and profiles generated here for the
# test users, including a group expanded to its members.
# Usage: policy_apparmor_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

SRC=$(cd "$(dirname "$0")/.." && pwd)
FEATURES=/usr/share/apparmor-features/features
command -v apparmor_parser >/dev/null || die "apparmor_parser missing (package apparmor)"
[[ -f $FEATURES ]] || die "$FEATURES missing (package apparmor)"

# compile FILE: apparmor_parser's verdict, its messages in $ERR.
compile() {
  apparmor_parser --config-file=/dev/null --policy-features="$FEATURES" \
    -Q -K "$1" 2>"$ERR"
}
# names FILE: the profiles and hats FILE defines, one per line.
names() {
  apparmor_parser --config-file=/dev/null --policy-features="$FEATURES" \
    -N "$1" 2>/dev/null | LC_ALL=C sort | tr '\n' ' '
}
compiles() {
  if compile "$2"; then pass "$1"
  else fail "$1" "$(grep -v 'Cache read/write' "$ERR" | head -5)"; fi
}

log "shipped and golden profiles"
compiles "deploy/apparmor/usr.sbin.sftpd compiles" "$SRC/deploy/apparmor/usr.sbin.sftpd"
check_eq "  ... a hat for each example user" "sftpd sftpd//alice sftpd//bob sftpd//carol " \
  "$(names "$SRC/deploy/apparmor/usr.sbin.sftpd")"
for f in "$SRC"/policy/testdata/*.profile; do
  compiles "$(basename "$f") compiles" "$f"
done

log "generated for this system's users"
SRV=$TMP/srv
mkdir -p "$SRV/users" "$SRV/shared dir" "$SRV/archive" "$SRV/drop"
CFG=$TMP/etc/sftpd.toml
install_config "$CFG" <<EOT
[audit]
log = "$TMP/audit.jsonl"

[policy]
audit_writes = true

[exports.home]
path = "$SRV/users/%u"
owner_only = true

[exports.shared]
path = "$SRV/shared dir"

[exports.archive]
path = "$SRV/archive"
access = "ro"

[exports.drop]
path = "$SRV/drop"
owner_only = true

[users.$T_USER1]
exports = ["home", "shared", "archive"]

[groups.$T_GROUP]
exports = ["drop", "home"]
EOT
members=$(getent group "$T_GROUP" | cut -d: -f4 | tr ',' '\n' | grep -v "^$T_USER1\$" | head -1)
[[ -n $members ]] || die "group $T_GROUP has no member besides $T_USER1"
PROFILE=$TMP/profile
"$SFTPD" policy apparmor --config "$CFG" >"$PROFILE" 2>"$ERR" || die "policy apparmor failed: $(cat "$ERR")"
compiles "generated profile compiles" "$PROFILE"
hats=$(names "$PROFILE")
check "  ... $T_USER1 has a hat" grep -q "sftpd//$T_USER1 " <<<"$hats"
check "  ... group member $members has a hat" grep -q "sftpd//$members " <<<"$hats"
check "  ... the group is listed with its members" grep -q "^#   groups.$T_GROUP: .*$members" "$PROFILE"
check "  ... the path with a space is quoted" grep -q "\"$SRV/shared dir/\*\*\"" "$PROFILE"
check "  ... writes are audited" grep -q "^    audit owner \"$SRV/users/$T_USER1/\*\*\" wl,$" "$PROFILE"

rc=0
"$SFTPD" policy selinux --config "$CFG" >/dev/null 2>"$ERR" || rc=$?
check_eq "sftpd policy with an unknown kind exits 2" 2 "$rc"
check "  ... and shows the usage" grep -q "usage: sftpd policy apparmor|sshd" "$ERR"

log "the parser rejects what it should (so a pass means something)"
sed 's/ r,$/ rwx,/' "$PROFILE" >"$TMP/broken"
if compile "$TMP/broken"; then fail "a profile with a bare x permission is rejected"
else pass "a profile with a bare x permission is rejected"; fi
sed 's/^  ^"\(.*\)" {$/  ^"\1" {{/' "$PROFILE" >"$TMP/broken2"
if compile "$TMP/broken2"; then fail "a profile with unbalanced braces is rejected"
else pass "a profile with unbalanced braces is rejected"; fi

finish
