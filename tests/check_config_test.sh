#!/usr/bin/env bash
# `sftpd check-config`: the shipped example passes (its /srv/sftpd paths moved
# into a temp dir); broken configs exit 1 naming file:line:col and the key.
# Usage: check_config_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

EXAMPLE=$(cd "$(dirname "$0")/.." && pwd)/config/sftpd.toml
[[ -f "$EXAMPLE" ]] || die "missing $EXAMPLE"
SRV=$TMP/srv/sftpd
mkdir -p "$SRV/users" "$SRV/shared" "$SRV/archive"

# run_check FILE: runs check-config; sets RC and MSG (stdout and stderr).
run_check() {
  RC=0
  MSG=$(timeout 10 "$SFTPD" check-config --config "$1" 2>&1 </dev/null) || RC=$?
}
# expect_error DESC FILE REGEX...: exit 1 and every REGEX in the output.
expect_error() {
  local desc=$1 file=$2; shift 2
  run_check "$file"
  if ((RC != 1)); then fail "$desc" "exit $RC, want 1; output:" "$MSG"; return; fi
  local re
  for re in "$@"; do
    if ! grep -Eq -- "$re" <<<"$MSG"; then fail "$desc" "output lacks /$re/:" "$MSG"; return; fi
  done
  pass "$desc: $(head -1 <<<"$MSG")"
}
# line_of FILE REGEX: the 1-based line number of the first match.
line_of() { grep -nE -- "$2" "$1" | head -1 | cut -d: -f1; }

log "the example config"
sed "s|/srv/sftpd|$SRV|g" "$EXAMPLE" | install_config "$TMP/example.toml"
run_check "$TMP/example.toml"
if ((RC == 0)); then pass "example config passes"
else fail "example config passes" "exit $RC:" "$MSG"; fi
if [[ -n "$MSG" ]]; then pass "  ... and prints a summary: $(head -1 <<<"$MSG")"
else fail "  ... and prints a summary" "no output"; fi
for word in home shared archive; do
  if grep -q -- "$word" <<<"$MSG"; then pass "  ... summary names $word"
  else fail "  ... summary names $word" "$MSG"; fi
done

log "broken configs"
# A small valid base; each case breaks one thing at a known line.
base() {
  cat <<EOF
[exports.data]
path = "$SRV/shared"
access = "rw"

[users.alice]
exports = ["data"]
EOF
}
base | install_config "$TMP/base.toml"
run_check "$TMP/base.toml"
check_eq "the base of the broken cases passes" "0" "$RC"

F=$TMP/bad-access.toml
base | sed 's/access = "rw"/access = "rx"/' | install_config "$F"
expect_error "access = \"rx\"" "$F" "$F:$(line_of "$F" '^access'):[0-9]+" "exports\.data\.access"

F=$TMP/bad-key.toml
base | sed 's/^access = "rw"/acces = "rw"/' | install_config "$F"
expect_error "unknown key acces" "$F" "$F:$(line_of "$F" '^acces'):[0-9]+" "exports\.data\.acces"

F=$TMP/bad-export-ref.toml
base | sed 's/exports = \["data"\]/exports = ["data", "nosuch"]/' | install_config "$F"
expect_error "user names an unknown export" "$F" "$F:$(line_of "$F" '^exports'):[0-9]+" "users\.alice\.exports" "nosuch"

F=$TMP/bad-cidr.toml
{ base; echo 'allow_from = ["10.1.2.3/8"]'; } | install_config "$F"
expect_error "CIDR with host bits set" "$F" "$F:$(line_of "$F" '^allow_from'):[0-9]+" "users\.alice\.allow_from"

F=$TMP/bad-path.toml
base | sed 's|^path = .*|path = "relative/dir"|' | install_config "$F"
expect_error "relative export path" "$F" "$F:$(line_of "$F" '^path'):[0-9]+" "exports\.data\.path"

F=$TMP/bad-syntax.toml
{ base; echo 'allow_from = ["127.0.0.1"'; } | install_config "$F"
expect_error "TOML syntax error" "$F" "$F:[0-9]+:[0-9]+"

F=$TMP/two-errors.toml
base | sed 's/access = "rw"/access = "rx"/; s/exports = \["data"\]/exports = ["nosuch"]/' |
  install_config "$F"
expect_error "two errors: both reported" "$F" \
  "$F:$(line_of "$F" '^access'):[0-9]+.*exports\.data\.access" \
  "$F:$(line_of "$F" '^exports'):[0-9]+.*users\.alice\.exports"

F=$TMP/writable.toml
base | install_config "$F"
chmod 0666 "$F"
expect_error "config writable by others is refused" "$F" "$F"
F=$TMP/not-root.toml
base | install_config "$F"
chown "$T_USER1:" "$F"
expect_error "config not owned by root is refused" "$F" "$F"
expect_error "missing config file" "$TMP/nonexistent.toml" "nonexistent\.toml"

log "export roots as a session opens them: warnings, exit 0"
# sftpdt1's root is a symlink she put in her own directory; sftpdt2 (through
# the group) has no directory at all.
HD=$TMP/hd
mkdir -p "$HD/$T_USER1" "$TMP/elsewhere"
chown "$T_USER1:" "$HD/$T_USER1"
ln -s "$TMP/elsewhere" "$HD/$T_USER1/public"
chown -h "$T_USER1:" "$HD/$T_USER1/public"
F=$TMP/roots.toml
install_config "$F" <<EOF
[exports.pub]
path = "$HD/%u/public"
access = "rw"

[users.$T_USER1]
exports = ["pub"]

[groups.$T_GROUP]
exports = ["pub"]
EOF
run_check "$F"
check_eq "roots: check-config exits 0" "0" "$RC"
check "  ... warns that $T_USER1's root is a link not followed" \
  grep -Eq "warning: $F:[0-9]+: exports.pub: for user $T_USER1: $HD/$T_USER1/public is a symlink .*not followed.*refused" <<<"$MSG"
check "  ... warns that $T_USER2's root is absent" \
  grep -Eq "warning: $F:[0-9]+: exports.pub: for user $T_USER2: absent: $HD/$T_USER2.*left out" <<<"$MSG"
rm "$HD/$T_USER1/public"
mkdir -p "$HD/$T_USER1/public" "$HD/$T_USER2/public"
run_check "$F"
check_not "  ... and no root warning once both are directories" \
  grep -q "export pub:" <<<"$MSG"

finish
