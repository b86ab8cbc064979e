#!/usr/bin/env bash
# What `sftpd serve` says when it cannot start: a host key file that holds
# garbage, or is empty, or that others can read, or that is not root's
# (refused as sshd refuses them) is named with the reason (not libssh's
# generic error); run as a non-root user with a root's config (the package's
# default one, its host key root's 0600) it names the file it cannot read
# and says that serve must run as root, and so it does for the default
# config path when that does not exist. Each exits 1 without listening.
# Usage: serve_errors_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

SRC=$(cd "$(dirname "$0")/.." && pwd)
PORT=$(free_loopback_port) || die "no free port found"
mkdir -p "$TMP/etc" "$TMP/log"
chmod 0700 "$TMP/etc" "$TMP/log"

# config FILE HOSTKEY: the package's default config on a loopback port,
# with its host key and audit log at the given places, and its control
# socket in $TMP (never /run/sftpd).
config() {
  sed -e "s|^listen = .*|listen = [\"127.0.0.1:$PORT\"]\nhost_keys = [\"$2\"]\ncontrol_socket = \"$TMP/ctl/control.sock\"|" \
      -e "s|^log = .*|log = \"$TMP/log/audit.jsonl\"|" \
      "$SRC/deploy/debian/sftpd.toml" | install_config "$1"
}

# serve LOG [prefix command...]: runs `sftpd serve` (bounded), its stderr
# in LOG; prints its exit status.
serve() {
  local logf=$1; shift
  local rc=0
  timeout 20 "$@" "$SFTPD" serve "${SERVE_ARGS[@]}" </dev/null >/dev/null 2>"$logf" || rc=$?
  T_SERVER_LOGS+=("$logf")
  echo "$rc"
}

# expect_msg DESC LOG FIXED-STRING
expect_msg() {
  if grep -qF -- "$3" "$2"; then pass "$1"
  else fail "$1" "stderr lacks: $3" "$(head -c 800 "$2")"; fi
}

log "a host key file of garbage"
HK=$TMP/etc/garbage_key
head -c 300 /dev/urandom | base64 >"$HK"
chmod 0600 "$HK"
config "$TMP/garbage.toml" "$HK"
SERVE_ARGS=(--config "$TMP/garbage.toml")
check_eq "serve exits 1" "1" "$(serve "$TMP/garbage.log")"
expect_msg "  ... naming the file and why" "$TMP/garbage.log" \
  "cannot read host key $HK: not an unencrypted private key in OpenSSH or PEM format"
check_not "  ... without libssh's words" grep -qi "libssh\|ssh_bind\|ssh_pki" "$TMP/garbage.log"
check_not "  ... and it did not listen" port_listening "$PORT"

log "an empty host key file"
HK=$TMP/etc/empty_key
: >"$HK"
config "$TMP/empty.toml" "$HK"
SERVE_ARGS=(--config "$TMP/empty.toml")
check_eq "serve exits 1" "1" "$(serve "$TMP/empty.log")"
expect_msg "  ... saying the file is empty" "$TMP/empty.log" \
  "cannot read host key $HK: the file is empty"

log "a host key its group can read"
HK=$TMP/etc/shared_key
ssh-keygen -q -t ed25519 -N '' -f "$HK"
chmod 0640 "$HK"
config "$TMP/shared.toml" "$HK"
SERVE_ARGS=(--config "$TMP/shared.toml")
check_eq "serve exits 1" "1" "$(serve "$TMP/shared.log")"
expect_msg "  ... naming the file and its mode" "$TMP/shared.log" \
  "cannot use host key $HK: its mode 0640 lets the group or others at it"
check_not "  ... and it did not listen" port_listening "$PORT"

log "a host key owned by another user"
chmod 0600 "$HK"
chown "$T_USER1" "$HK"
check_eq "serve exits 1" "1" "$(serve "$TMP/owner.log")"
expect_msg "  ... naming the file and its owner" "$TMP/owner.log" \
  "cannot use host key $HK: it is owned by uid $(id -u "$T_USER1"), not by uid 0"
check_not "  ... and it did not listen" port_listening "$PORT"

log "$T_USER1 runs serve with the root's config"
HK=$TMP/etc/ssh_host_ed25519_key
ssh-keygen -q -t ed25519 -N '' -f "$HK"
chmod 0600 "$HK"
chmod 0755 "$TMP/etc"
config "$TMP/etc/sftpd.toml" "$HK"
SERVE_ARGS=(--config "$TMP/etc/sftpd.toml")
check_eq "serve exits 1" "1" "$(serve "$TMP/user.log" runuser -u "$T_USER1" --)"
expect_msg "  ... naming the key it cannot read, and why" "$TMP/user.log" \
  "cannot read host key $HK: Permission denied"
expect_msg "  ... saying serve must run as root" "$TMP/user.log" \
  "sftpd serve must run as root"
expect_msg "  ... and how the non-root mode works" "$TMP/user.log" \
  "it serves only that account, with a config of its own"
check_not "  ... and it did not listen" port_listening "$PORT"

if [[ -e /etc/sftpd/sftpd.toml ]]; then
  log "/etc/sftpd/sftpd.toml exists: the default path is not tried"
else
  log "$T_USER1 runs serve with the default config, which is absent here"
  SERVE_ARGS=()
  check_eq "serve exits 1" "1" "$(serve "$TMP/default.log" runuser -u "$T_USER1" --)"
  expect_msg "  ... naming the config" "$TMP/default.log" "/etc/sftpd/sftpd.toml"
  expect_msg "  ... saying serve must run as root" "$TMP/default.log" \
    "sftpd serve must run as root"
fi

finish
