#!/usr/bin/env bash
# `sftpd policy sshd` against a real OpenSSH sshd: the printed Match blocks,
# appended to a minimal sshd_config, pass `sshd -t`; each user is served by
# sftpd (no shell) from the union of the addresses of the user's own entry
# and groups, and refused by sshd itself from any other address; a user the
# config does not name is left alone. The config path holds a space, so
# ForceCommand's quoting is exercised through the user's shell.
# Usage: policy_sshd_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

GOLDEN_DIR=$(cd "$(dirname "$0")/../policy/testdata" && pwd)
SRV=$TMP/srv
CFG="$TMP/etc dir/sftpd.toml"
SD=$TMP/sshd
mkdir -p "$SRV/users/$T_USER1" "$SRV/users/$T_USER2" "$SRV/shared" "$SD/keys" /run/sshd
chown "$T_USER1:" "$SRV/users/$T_USER1"
chown "$T_USER2:" "$SRV/users/$T_USER2"
chmod 0755 /run/sshd "$SD/keys"

# sftpdt1: its own entry, 127.0.0.1 and ::1. sftpdt2: its own entry
# (127.0.0.2, home) and group sftpdtg (127.0.0.3, shared): sshd admits both
# addresses, each with its own export. sftpdt3: named nowhere.
install_config "$CFG" <<EOF
[exports.home]
path = "$SRV/users/%u"
owner_only = true

[exports.shared]
path = "$SRV/shared"

[users.$T_USER1]
exports = ["home", "shared"]
allow_from = ["127.0.0.1/32", "::1"]

[users.$T_USER2]
exports = ["home"]
allow_from = ["127.0.0.2"]

[groups.$T_GROUP]
exports = ["shared"]
allow_from = ["127.0.0.3/32"]
EOF

log "generate"
"$SFTPD" policy sshd --config "$CFG" >"$SD/snippet.conf" 2>"$SD/policy.err" ||
  die "sftpd policy sshd failed: $(cat "$SD/policy.err")"
SNIPPET=$(cat "$SD/snippet.conf")
check "the header names the config" grep -qF "# from $CFG." "$SD/snippet.conf"
check "ForceCommand runs this sftpd with the config, quoted" \
  grep -qxF "	ForceCommand $SFTPD --stdio --config '$CFG'" "$SD/snippet.conf"
check_eq "Match lines, in order" \
  "Match User $T_USER1 Address 127.0.0.1/32,::1/128
Match User $T_USER1 Address *,!127.0.0.1/32,!::1/128
Match User $T_USER2 Address 127.0.0.2/32,127.0.0.3/32
Match User $T_USER2 Address *,!127.0.0.2/32,!127.0.0.3/32
Match Group $T_GROUP" "$(grep '^Match' "$SD/snippet.conf")"
check_not "no Match line names $T_USER3" grep -q "^Match.*$T_USER3" "$SD/snippet.conf"

port=$(free_loopback_port) || die "no free port found"
ssh-keygen -q -t ed25519 -N '' -f "$SD/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$SD/client_key" -C sftpd-test
for u in "$T_USER1" "$T_USER2" "$T_USER3"; do
  cp "$SD/client_key.pub" "$SD/keys/$u"
  chmod 0644 "$SD/keys/$u"
done

V6=0
grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null && V6=1
minimal_config() {
  sshd_base_config "$SD" "$port" "$T_USER1 $T_USER2 $T_USER3"
  if ((V6)); then echo "ListenAddress [::1]"; fi
}
{ minimal_config; cat "$SD/snippet.conf"; } >"$SD/sshd_config"
if /usr/sbin/sshd -t -f "$SD/sshd_config" 2>"$SD/t.err"; then pass "sshd -t accepts the snippet"
else fail "sshd -t accepts the snippet" "$(cat "$SD/t.err")"; fi
for g in "$GOLDEN_DIR"/sshd*.golden; do
  { minimal_config; cat "$g"; } >"$SD/golden.conf"
  check "sshd -t accepts $(basename "$g")" /usr/sbin/sshd -t -f "$SD/golden.conf"
done

# What sshd would apply, keyword by keyword, for USER from ADDR.
effective() {
  /usr/sbin/sshd -T -f "$SD/sshd_config" \
    -C "user=$1,addr=$2,host=localhost,laddr=127.0.0.1,lport=$port" 2>&1 |
    grep -E '^(forcecommand|denyusers|permittty|disableforwarding) ' | LC_ALL=C sort | tr '\n' ';'
}
SERVED="disableforwarding yes;forcecommand $SFTPD --stdio --config '$CFG';permittty no;"
# Refused: DenyUsers is all that counts (the group block may still match).
REFUSED="denyusers *;"
log "sshd -T: the settings per user and address"
check_eq "$T_USER1 from 127.0.0.1: served" "$SERVED" "$(effective "$T_USER1" 127.0.0.1)"
check_eq "$T_USER1 from ::1: served" "$SERVED" "$(effective "$T_USER1" ::1)"
check_eq "$T_USER1 from 127.0.0.2: refused" "$REFUSED" "$(effective "$T_USER1" 127.0.0.2 | grep -o "denyusers [^;]*;")"
check_eq "$T_USER2 from 127.0.0.2 (own entry): served" "$SERVED" "$(effective "$T_USER2" 127.0.0.2)"
check_eq "$T_USER2 from 127.0.0.3 (group): served" "$SERVED" "$(effective "$T_USER2" 127.0.0.3)"
check_eq "$T_USER2 from 127.0.0.1: refused" "$REFUSED" "$(effective "$T_USER2" 127.0.0.1 | grep -o "denyusers [^;]*;")"
check_eq "$T_USER2 from ::1: refused" "$REFUSED" "$(effective "$T_USER2" ::1 | grep -o "denyusers [^;]*;")"
check_eq "$T_USER3 from 127.0.0.1: untouched" \
  "disableforwarding no;forcecommand none;permittty yes;" "$(effective "$T_USER3" 127.0.0.1)"

# Without the refusal blocks sshd would let the users in from anywhere: the
# checks above and below are the ones that notice.
grep -v -e '^Match User .* Address \*,' -e '^	DenyUsers' "$SD/snippet.conf" >"$SD/no-catchall.conf"
{ minimal_config; cat "$SD/no-catchall.conf"; } >"$SD/sshd_config.nc"
nc_denies=$(/usr/sbin/sshd -T -f "$SD/sshd_config.nc" \
  -C "user=$T_USER1,addr=127.0.0.2,host=localhost,laddr=127.0.0.1,lport=$port" | grep -c '^denyusers' || true)
check_eq "control: without the refusal blocks nothing denies $T_USER1 from 127.0.0.2" 0 "$nc_denies"

log "a real sshd"
start_sshd "$SD/sshd_config" "$SD/sshd.log" "$port"
log "sshd on 127.0.0.1:$port$( ((V6)) && echo " and [::1]:$port")"

sshd_client_opts "$SD/client_key"

# psftp USER HOST BIND < batch: sftp from source address BIND.
psftp() {
  local host=$2
  [[ $host == *:* ]] && host="[$host]"
  timeout 30 sftp -q "${SSH_OPTS[@]}" -o BindAddress="$3" -P "$port" -b - "$1@$host" \
    >"$OUT" 2>"$ERR"
}
# top_level: the names `ls -1 /` printed in the last sftp batch.
top_level() {
  awk '/^sftp> ls -1 \/$/{f=1;next} /^sftp> /{f=0} f' "$OUT" | sed 's|^/||' |
    LC_ALL=C sort | tr '\n' ' '
}
# served DESC USER HOST BIND EXPECTED_EXPORTS
served() {
  local rc=0
  printf 'pwd\nls -1 /\n' | psftp "$2" "$3" "$4" || rc=$?
  if ((rc == 0)); then pass "$1: sftp works"
  else fail "$1: sftp works" "exit $rc" "$(head -c 600 "$ERR")" "sshd: $(tail -3 "$SD/sshd.log")"; fi
  check_eq "$1: / holds only the exports" "$5" "$(top_level)"
}
# refused DESC USER HOST BIND: the login fails, and sshd logged why.
refused() {
  local rc=0
  timeout 20 ssh "${SSH_OPTS[@]}" -o BindAddress="$4" -p "$port" -n "$2@$3" true \
    >/dev/null 2>&1 || rc=$?
  if ((rc != 0)); then pass "$1: the login fails (exit $rc)"
  else fail "$1: the login fails" "ssh succeeded"; fi
  local want="User $2 from $4 not allowed because listed in DenyUsers"
  local i
  for ((i = 0; i < 20; i++)); do
    grep -qF "$want" "$SD/sshd.log" && break
    sleep 0.1
  done
  if grep -qF "$want" "$SD/sshd.log"; then pass "$1: sshd refused it (DenyUsers)"
  else fail "$1: sshd refused it (DenyUsers)" "no line: $want" "sshd: $(tail -4 "$SD/sshd.log")"; fi
}

served "$T_USER1 from 127.0.0.1" "$T_USER1" 127.0.0.1 127.0.0.1 "home shared "
check_eq "$T_USER1: starts in /home" "/home" "$(sed -n 's/^Remote working directory: //p' "$OUT")"
if ((V6)); then
  served "$T_USER1 from ::1" "$T_USER1" ::1 ::1 "home shared "
else
  log "no IPv6 loopback: ::1 checks skipped"
fi
rc=0
timeout 20 ssh "${SSH_OPTS[@]}" -p "$port" -n "$T_USER1@127.0.0.1" id \
  >"$TMP/id.out" 2>"$TMP/id.err" || rc=$?
if grep -q 'uid=' "$TMP/id.out"; then fail "$T_USER1: ssh id runs no shell command" "$(cat "$TMP/id.out")"
else pass "$T_USER1: ssh id runs no shell command (exit $rc)"; fi
refused "$T_USER1 from 127.0.0.2" "$T_USER1" 127.0.0.1 127.0.0.2

# Each entry grants its exports from its own addresses: sshd admits both,
# sftpd --stdio serves each only what the entry admitting it grants.
served "$T_USER2 from 127.0.0.2 (own entry)" "$T_USER2" 127.0.0.1 127.0.0.2 "home "
served "$T_USER2 from 127.0.0.3 (group)" "$T_USER2" 127.0.0.1 127.0.0.3 "shared "
refused "$T_USER2 from 127.0.0.1" "$T_USER2" 127.0.0.1 127.0.0.1
((V6)) && refused "$T_USER2 from ::1" "$T_USER2" ::1 ::1

rc=0
out=$(timeout 20 ssh "${SSH_OPTS[@]}" -p "$port" -n "$T_USER3@127.0.0.1" id -un 2>"$TMP/u3.err") || rc=$?
check_eq "$T_USER3 (not in the config): a normal login, not sftpd" "$T_USER3" "$out"

log "a binary path the shell would read differently"
# The snippet still refuses everyone (a redirect into sshd_config.d fails
# closed), but the command says why and fails.
ODD="$TMP/it's dir"
mkdir -p "$ODD"
cp "$SFTPD" "$ODD/sftpd"
rc=0
"$ODD/sftpd" policy sshd --config "$CFG" >"$SD/odd.conf" 2>"$SD/odd.err" || rc=$?
check_eq "sftpd policy sshd exits 1" 1 "$rc"
check "  ... and says why on stderr" grep -q "is not absolute or holds a quote" "$SD/odd.err"
check "  ... the snippet forces no command" bash -c "! grep -q ForceCommand '$SD/odd.conf'"
check "  ... and denies the users" grep -q "^Match User .*$T_USER1" "$SD/odd.conf"

finish
