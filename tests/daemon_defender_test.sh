#!/usr/bin/env bash
# `sftpd serve`'s [defender]: a bounded run of failed logins from 127.0.0.3
# gets that address banned at exactly the threshold; a banned address is
# dropped before key exchange even with the right key, while other
# addresses are served; the ban survives a SIGHUP and ends after ban_time;
# never_ban addresses are never banned (also when added by a SIGHUP); names
# that may not log in, scanners that never try, and connections from outside
# every allow_from are scored too, and a flood of drops costs the audit
# trail a line and a count per address. Over IPv6 (::1 is the only IPv6
# loopback address, so the prefix rules themselves are unit-tested): with
# ipv6_prefix = 128, ::1 is banned as ::1/128, logged and audited with that
# prefix, listed by `sftpd bans`; a SIGHUP that changes ipv6_prefix says
# once that the IPv6 scores are forgotten and keeps the ban; `sftpd unban`
# of the address lifts it. Across real IPv6 addresses, in a network
# namespace of its own (skipped where one cannot be made): two addresses of
# one /64 share a score, three offending /64s of a /48 get the /48 banned,
# and `sftpd unban` of an address or a CIDR block lifts the bans holding it
# or inside it.
# Usage: daemon_defender_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
AUDIT=$TMP/audit/audit.jsonl
K=$TMP/keys
BAN_TIME=20
mkdir -p "$SRV/users/$T_USER1" "$K" "$TMP/audit" "$TMP/hk"
chown "$T_USER1:" "$SRV/users/$T_USER1"
chmod 0755 "$K" "$TMP/hk"

PORT=$(free_loopback_port) || die "no free port found"
# config NEVER_BAN [IPV6_PREFIX]: the config with that never_ban list (TOML
# array body) and ipv6_prefix (default 128).
config() {
  { daemon_config "$PORT" "audit: syslog = false" \
      "server: listen = [\"127.0.0.1:$PORT\", \"[::1]:$PORT\"]"
    cat <<CONFIG; } | install_config "$CFG"
# 5 points ban; one point drains every 120 s, so none drains during the test.
[defender]
threshold = 5
observation_time = 600
ban_time = $BAN_TIME
score_failed_login = 1
score_invalid_user = 2
score_no_auth = 2
ipv6_prefix = ${2:-128}
ipv6_wide_prefix = 48
never_ban = [$1]

[exports.home]
path = "$SRV/users/%u"
owner_only = true

# 127.0.0.0/29 and ::1 may log in; a connection from elsewhere is dropped
# by the listener.
[users.$T_USER1]
exports = ["home"]
allow_from = ["127.0.0.0/29", "::1"]
CONFIG
}
config '"127.0.0.4"'

ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key" -C sftpd-test
ssh-keygen -q -t ed25519 -N '' -f "$TMP/wrong_key" -C sftpd-wrong
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER1"

DLOG=$TMP/daemon.log
start_sftpd_serve "$CFG" "$PORT" "$DLOG"
log "sftpd serve on 127.0.0.1:$PORT (pid $DPID)"

# settle: waits (bounded, 10 s) until every connection's process has ended
# and been reaped, so the listener has scored it.
settle() {
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -z $(daemon_children) ]] && { sleep 0.2; return 0; }
    sleep 0.1
  done
  return 1
}
# login FROM KEY [USER]: one `ls` session from source address FROM.
login() {
  dsftp "$2" -o BindAddress="$1" "${3:-$T_USER1}@127.0.0.1" <<<"ls"
}
# bans FROM: ban records for address FROM.
bans() { audit_count "\"addr\":\"$1\",\"op\":\"ban\""; }
# attempts_until_ban FROM MAX CMD...: runs CMD (bounded: MAX times) until
# FROM is banned; prints how many runs it took (MAX+1: never).
attempts_until_ban() {
  local from=$1 max=$2 i; shift 2
  for ((i = 1; i <= max; i++)); do
    "$@" >/dev/null 2>&1 || true
    settle || true
    if (($(bans "$from") > 0)); then echo "$i"; return 0; fi
  done
  echo $((max + 1))
}
# scan FROM: connects from FROM and closes without a word (a port scanner).
scan() {
  python3 -c 'import socket, sys
s = socket.socket(); s.settimeout(5); s.bind((sys.argv[1], 0))
s.connect(("127.0.0.1", int(sys.argv[2]))); s.close()' "$1" "$PORT"
}

log "failed logins from 127.0.0.3"
check "127.0.0.3 logs in with the right key first" login 127.0.0.3 "$TMP/client_key"
check_eq "five wrong keys (one point each) ban it, not fewer" "5" \
  "$(attempts_until_ban 127.0.0.3 10 login 127.0.0.3 "$TMP/wrong_key")"
banned_at=$SECONDS
check "  ... the ban is audited with its reason" \
  grep -q "\"addr\":\"127.0.0.3\",\"op\":\"ban\",\"result\":\"banned\",\"rule\":\"defender\",\"detail\":\"for $BAN_TIME s: score 5 reached, last offence: failed login\"" "$AUDIT"
check "  ... and logged" grep -q "banned 127.0.0.3 for $BAN_TIME s" "$DLOG"
logins_before=$(audit_count '"op":"login","result":"ok"')
check_not "banned 127.0.0.3 is refused even with the right key" \
  login 127.0.0.3 "$TMP/client_key"
check "  ... dropped before key exchange (the client never saw a banner)" \
  grep -qE 'kex_exchange_identification|Connection closed|Connection reset' "$ERR"
check "  ... audited" grep -q "\"addr\":\"127.0.0.3\".*\"rule\":\"defender\",\"detail\":\"dropped before key exchange: address banned for [0-9]* more s\"" "$AUDIT"
for ((i = 0; i < 5; i++)); do login 127.0.0.3 "$TMP/client_key" || true; done
check_eq "  ... later drops within a minute are not each recorded" "1" \
  "$(audit_count '"addr":"127.0.0.3".*dropped before key exchange: address banned')"
check "127.0.0.1 is still served" login 127.0.0.1 "$TMP/client_key"
check_eq "  ... and 127.0.0.3 never logged in meanwhile" "$((logins_before + 1))" \
  "$(audit_count '"op":"login","result":"ok"')"

log "never_ban = [\"127.0.0.4\"]"
check_eq "ten wrong keys from 127.0.0.4 ban nothing" "11" \
  "$(attempts_until_ban 127.0.0.4 10 login 127.0.0.4 "$TMP/wrong_key")"
check "  ... it still logs in" login 127.0.0.4 "$TMP/client_key"

log "names that may not log in, and scanners"
# Each connection: the name refused (2 points) and its key failed (1).
check_eq "an unknown user from 127.0.0.5 is banned on the second connection" "2" \
  "$(attempts_until_ban 127.0.0.5 5 login 127.0.0.5 "$TMP/client_key" nosuchuser-sftpd)"
check "  ... for an invalid user" grep -q '"addr":"127.0.0.5","op":"ban",.*reached, last offence: invalid user' "$AUDIT"
check_eq "three silent connections from 127.0.0.6 ban it (2 points each)" "3" \
  "$(attempts_until_ban 127.0.0.6 5 scan 127.0.0.6)"
check "  ... for no login attempt" grep -q '"addr":"127.0.0.6","op":"ban",.*reached, last offence: no login attempt' "$AUDIT"

log "IPv6: ::1 with ipv6_prefix = 128"
# login6 KEY: one `ls` session over ::1.
login6() { dsftp "$1" "$T_USER1@[::1]" <<<"ls"; }
# sftpd_cmd ARGS...: the control command, its output in $OUT.
sftpd_cmd() { timeout 40 "$SFTPD" "$1" --config "$CFG" "${@:2}" >"$OUT" 2>"$ERR"; }
check "::1 logs in with the right key" login6 "$TMP/client_key"
check_eq "five wrong keys from ::1 ban it" "5" \
  "$(attempts_until_ban ::1 10 login6 "$TMP/wrong_key")"
check "  ... audited with the client's address and the prefix banned" \
  grep -q '"addr":"::1","op":"ban","result":"banned","rule":"defender","detail":"::1/128 for '"$BAN_TIME"' s: score 5 reached, last offence: failed login"' "$AUDIT"
check "  ... logged with the prefix" \
  grep -q "banned ::1/128 for $BAN_TIME s: score 5 reached, last offence: failed login (client ::1)" "$DLOG"
check "  ... the failures logged sshd's way carry the full address" \
  grep -q "Failed publickey for $T_USER1 from ::1 port [0-9]* ssh2" "$DLOG"
if command -v fail2ban-regex >/dev/null; then
  # (fail2ban's sshd filter does not count publickey failures, sshd's nor
  # these; the failures it counts are checked in daemon_audit_test.)
  grep 'banned ' "$DLOG" >"$TMP/ban_lines.log"
  check "  ... the daemon's log has the ban lines" test -s "$TMP/ban_lines.log"
  check_eq "  ... fail2ban's sshd filter counts none of them as a failure" "0" \
    "$(fail2ban-regex -d '{NONE}' --out row "$TMP/ban_lines.log" 'sshd[_daemon=sftpd,mode=aggressive]' 2>&1 |
      grep -c '^\[' || true)"
fi
check_not "::1 is refused with the right key" login6 "$TMP/client_key"
check "sftpd bans" sftpd_cmd bans
check "  ... lists ::1/128" grep -qE '^::1/128 +5 ' "$OUT"
check "  ... and 127.0.0.3" grep -qE '^127\.0\.0\.3 ' "$OUT"

log "a flood of connections from 127.0.0.9, outside every allow_from"
# flood FROM N: N connections from FROM, one at a time, each read until the
# server closes it; prints how many were closed so.
flood() {
  python3 -c 'import socket, sys
closed = 0
for _ in range(int(sys.argv[3])):
    s = socket.socket(); s.settimeout(5); s.bind((sys.argv[1], 0))
    s.connect(("127.0.0.1", int(sys.argv[2])))
    try:
        while s.recv(4096):
            pass
        closed += 1
    except OSError:
        pass
    s.close()
print(closed)' "$1" "$PORT" "$2"
}
# drops9: the audit lines of drops from 127.0.0.9, summaries too.
drops9() { grep '"addr":"127.0.0.9",\("port":[0-9]*,\)\?"op":"login","result":"refused"' "$AUDIT"; }
FLOODS=300
dlog_before=$(wc -l <"$DLOG")
check_eq "$FLOODS connections are each dropped before key exchange" "$FLOODS" "$(flood 127.0.0.9 $FLOODS)"
check "  ... the drops (2 points each) ban it" \
  grep -q '"addr":"127.0.0.9","op":"ban",.*"detail":"for '"$BAN_TIME"' s: score 5 reached, last offence: address not in any allow_from"' "$AUDIT"
check_eq "  ... one drop by allow_from is written one by one" "1" \
  "$(drops9 | grep '"rule":"allow_from"' | grep -vc '"repeated"' || true)"
check_eq "  ... and one by the ban" "1" \
  "$(drops9 | grep '"rule":"defender"' | grep -vc '"repeated"' || true)"
check "  ... the daemon's log holds a few lines about it, not $FLOODS" \
  test "$(tail -n +"$((dlog_before + 1))" "$DLOG" | grep -c '127.0.0.9' || true)" -le 4

log "SIGHUP with 127.0.0.6 added to never_ban"
config '"127.0.0.4", "127.0.0.6"'
reloads=$(grep -c 'SIGHUP: reloaded' "$DLOG" || true)
check "the daemon answers SIGHUP" daemon_hup
check "  ... and reloads" test "$(grep -c 'SIGHUP: reloaded' "$DLOG")" -gt "$reloads"
check_not "127.0.0.3 is still banned after it" login 127.0.0.3 "$TMP/client_key"
check "  ... dropped before key exchange" \
  grep -qE 'kex_exchange_identification|Connection closed|Connection reset' "$ERR"
check "127.0.0.6, now in never_ban, is served at once" login 127.0.0.6 "$TMP/client_key"

log "SIGHUP with ipv6_prefix = 96"
config '"127.0.0.4", "127.0.0.6"' 96
check "the daemon answers SIGHUP" daemon_hup
check "  ... and reloads" test "$(grep -c 'SIGHUP: reloaded' "$DLOG")" -gt "$((reloads + 1))"
check_eq "  ... says once that the IPv6 scores are forgotten" "1" \
  "$(grep -c 'IPv6 prefixes changed from /128 and /48 to /96 and /48: the scores of [0-9]* IPv6 networks are forgotten; bans in force are kept' "$DLOG" || true)"
check_not "::1 is still banned" login6 "$TMP/client_key"
check "sftpd unban ::1" sftpd_cmd unban ::1
check "  ... lifts ::1/128" grep -qx "unbanned ::1/128" "$OUT"
check "  ... audited" grep -q '"addr":"::1","op":"unban","result":"ok","rule":"defender","detail":"sftpd unban by uid 0: ::1/128"' "$AUDIT"
check "  ... and logged" grep -q "unbanned ::1/128 (sftpd unban)" "$DLOG"
check "::1 logs in again" login6 "$TMP/client_key"
rc=0
sftpd_cmd unban 2001:db8::/48 || rc=$?
check_eq "unban of a block with no ban in it exits 1" "1" "$rc"
rc=0
sftpd_cmd unban 2001:db8::5/48 || rc=$?
check_eq "unban of a block with host bits set exits 2" "2" "$rc"

log "the ban ends after ban_time = $BAN_TIME s"
served=0
for ((i = 0; i < BAN_TIME + 10; i++)); do
  if login 127.0.0.3 "$TMP/client_key"; then served=1; break; fi
  sleep 1
done
elapsed=$((SECONDS - banned_at))
check_eq "127.0.0.3 is served again" "1" "$served"
check "  ... not before $((BAN_TIME - 1)) s (after $elapsed s)" test "$elapsed" -ge $((BAN_TIME - 1))
check_eq "the listener is still the one started" "$DPID" "$(pgrep -o -f "sftpd serve --config $CFG" || true)"

log "the listener's counts are written when it stops"
kill -TERM "$DPID"
check "sftpd serve exits on SIGTERM" timeout 20 tail --pid="$DPID" -f /dev/null
written=$(drops9 | grep -vc '"repeated"' || true)
summed=$(drops9 | sed -n 's/.*"repeated":\([0-9]*\)}$/\1/p' | paste -sd+ | bc)
check_eq "every drop from 127.0.0.9 is a line or in a summary's count" "$FLOODS" "$((written + ${summed:-0}))"
check "  ... a summary says how many more from 127.0.0.9" \
  bash -c "'$SFTPD' audit --file '$AUDIT' --from 127.0.0.9 | grep -q 'dropped before key exchange ... and [0-9]* more like it'"
check "  ... and the daemon's log says so too" grep -q 'dropped [0-9]* more connections from 127.0.0.9' "$DLOG"

# IPv6 prefixes across real addresses: a daemon of its own in a network
# namespace made for it, whose loopback holds addresses of 2001:db8::/32.
NS=sftpd-defender-$$
if ! ip netns add "$NS" 2>/dev/null; then
  log "no network namespace (ip netns add failed): IPv6 prefixes across addresses not tested"
  finish
fi
at_exit "ip netns del $NS"
SERVER6=2001:db8:ffff::1
for a in $SERVER6 2001:db8:0:1::a 2001:db8:0:1::b 2001:db8:0:2::1 \
  2001:db8:0:3::1 2001:db8:0:9::1 2001:db8:1:1::1; do
  ip -n "$NS" addr add "$a/128" dev lo nodad || die "cannot add $a in $NS"
done
ip -n "$NS" link set lo up || die "cannot bring up lo in $NS"
CFG6=$TMP/etc/sftpd6.toml
AUDIT6=$TMP/audit/audit6.jsonl
DLOG6=$TMP/daemon6.log
{ daemon_config "$PORT" "audit: syslog = false" "audit: log = \"$AUDIT6\"" \
    "server: listen = [\"[$SERVER6]:$PORT\"]" \
    "server: control_socket = \"$TMP/ctl6/control.sock\""
  cat <<CONFIG; } | install_config "$CFG6"
# The /64 banned at 5 points, the /48 at 3 of its /64s offending.
[defender]
threshold = 5
observation_time = 600
ban_time = $BAN_TIME
score_failed_login = 1
ipv6_prefix = 64
ipv6_wide_prefix = 48
ipv6_wide_networks = 3

[exports.home]
path = "$SRV/users/%u"
owner_only = true

[users.$T_USER1]
exports = ["home"]
allow_from = ["2001:db8::/32"]
CONFIG
ip netns exec "$NS" "$SFTPD" serve --config "$CFG6" 2>"$DLOG6" &
DPID6=$!
T_SERVER_LOGS+=("$DLOG6")
at_exit "kill $DPID6 2>/dev/null; timeout 5 tail --pid=$DPID6 -f /dev/null"
# in_ns CMD...: CMD in the namespace.
in_ns() { ip netns exec "$NS" "$@"; }
listening6() {
  in_ns python3 -c 'import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), 2).close()' "$SERVER6" "$PORT" 2>/dev/null
}
for ((i = 0; i < 50; i++)); do listening6 && break; sleep 0.1; done
listening6 || die "sftpd serve does not listen in $NS: $(cat "$DLOG6")"
log "IPv6 prefixes in namespace $NS (sftpd serve on [$SERVER6]:$PORT)"
# login_from FROM KEY: one `ls` session from FROM, in the namespace.
login_from() {
  timeout 30 ip netns exec "$NS" sftp -q "${DAEMON_SSH_OPTS[@]}" -i "$2" -P "$PORT" \
    -o BindAddress="$1" -b - "$T_USER1@[$SERVER6]" <<<"ls" >"$OUT" 2>"$ERR"
}
# settle6: as settle, for this daemon's children.
settle6() {
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -z $(pgrep -P "$DPID6") ]] && { sleep 0.2; return 0; }
    sleep 0.1
  done
  return 1
}
wrong_from() { login_from "$1" "$TMP/wrong_key" || true; settle6 || true; }
ctl6() { timeout 40 "$SFTPD" "$1" --config "$CFG6" "${@:2}" >"$OUT" 2>"$ERR"; }
bans6() { grep -c "\"op\":\"ban\"" "$AUDIT6" 2>/dev/null || true; }

check "2001:db8:0:1::a logs in" login_from 2001:db8:0:1::a "$TMP/client_key"
for a in 2001:db8:0:1::a 2001:db8:0:1::b 2001:db8:0:1::a 2001:db8:0:1::b; do
  wrong_from $a
done
check_eq "four wrong keys from two addresses of one /64 ban nothing yet" "0" "$(bans6)"
wrong_from 2001:db8:0:1::b
check "  ... the fifth bans their /64, audited with it" \
  grep -q '"addr":"2001:db8:0:1::b","op":"ban","result":"banned","rule":"defender","detail":"2001:db8:0:1::/64 for '"$BAN_TIME"' s: score 5 reached, last offence: failed login"' "$AUDIT6"
check "  ... and logged with it" grep -q "banned 2001:db8:0:1::/64 for $BAN_TIME s: .*(client 2001:db8:0:1::b)" "$DLOG6"
check_not "  ... 2001:db8:0:1::a is refused with the right key" login_from 2001:db8:0:1::a "$TMP/client_key"
check "2001:db8:0:2::1, another /64, is served" login_from 2001:db8:0:2::1 "$TMP/client_key"
wrong_from 2001:db8:0:2::1
wrong_from 2001:db8:0:3::1
check "a third /64 of 2001:db8::/48 offending bans the /48" \
  grep -q '"addr":"2001:db8:0:3::1","op":"ban","result":"banned","rule":"defender","detail":"2001:db8::/48 for '"$BAN_TIME"' s: 3 of its /64 networks offending, last offence: failed login"' "$AUDIT6"
check_not "  ... 2001:db8:0:9::1, of that /48 and never seen, is refused" login_from 2001:db8:0:9::1 "$TMP/client_key"
check "  ... 2001:db8:1:1::1, of the next /48, is served" login_from 2001:db8:1:1::1 "$TMP/client_key"
check "sftpd bans" ctl6 bans
check "  ... lists 2001:db8::/48" grep -qE '^2001:db8::/48 +3 ' "$OUT"
check "  ... and 2001:db8:0:1::/64" grep -qE '^2001:db8:0:1::/64 +5 ' "$OUT"
check "sftpd unban 2001:db8:0:9::1" ctl6 unban 2001:db8:0:9::1
check "  ... lifts the /48 holding it, and says so" grep -qx "unbanned 2001:db8::/48, which holds 2001:db8:0:9::1" "$OUT"
check "  ... 2001:db8:0:9::1 is served" login_from 2001:db8:0:9::1 "$TMP/client_key"
check_not "  ... the /64 ban stays" login_from 2001:db8:0:1::a "$TMP/client_key"
check "sftpd unban 2001:db8::/48" ctl6 unban 2001:db8::/48
check "  ... lifts the /64 inside it" grep -qx "unbanned 2001:db8:0:1::/64" "$OUT"
check "  ... audited" grep -q '"addr":"2001:db8:0:1::","op":"unban","result":"ok","rule":"defender","detail":"sftpd unban by uid 0: 2001:db8:0:1::/64"' "$AUDIT6"
check "  ... 2001:db8:0:1::a is served" login_from 2001:db8:0:1::a "$TMP/client_key"

finish
