#!/usr/bin/env bash
# The daemon's life as an admin sees it, against a real `sftpd serve` with
# real clients: systemd's readiness messages to a real $NOTIFY_SOCKET (an
# abstract datagram socket: READY=1 once it listens, RELOADING=1 and READY=1
# around each reload, STOPPING=1 at SIGTERM); the pid file beside the
# control socket (a symlink planted at its name replaced, not followed;
# removed at exit); `sftpd status` (pid, listen, config, sessions, last
# reload, bans; --json); `sftpd reload` with the same config (taken, and no
# "listen changed" line, nor after a plain SIGHUP), a broken one (refused
# with file:line:col: key, exit 1, recorded, the old config still serving)
# and a changed listen (the line, as a control); `sftpd bans` and `sftpd
# unban` on addresses banned by the defender.
# Usage: daemon_lifecycle_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
AUDIT=$TMP/audit/audit.jsonl
RUN=$TMP/run
SOCK=$RUN/control.sock
K=$TMP/keys
NOTES=$TMP/notify.log
mkdir -p "$SRV/users/$T_USER1" "$K" "$TMP/audit" "$TMP/hk" "$RUN"
chown "$T_USER1:" "$SRV/users/$T_USER1"
chmod 0755 "$K" "$TMP/hk"
chmod 0700 "$RUN"

PORT=$(free_loopback_port) || die "no free port found"
# config [SERVER_LINE] [LISTEN]: the test config; SERVER_LINE in [server];
# LISTEN the listen address (default 127.0.0.1:$PORT).
config() {
  local more=()
  [[ -z ${1:-} ]] || more+=("server: $1")
  [[ -z ${2:-} ]] || more+=("server: listen = [\"$2\"]")
  { daemon_config "$PORT" "server: control_socket = \"$SOCK\"" "${more[@]}" \
      "audit: syslog = false"
    cat <<CONFIG; } | install_config "$CFG"
# A connection that never tries to log in bans its address at once; the
# test's own address (and the readiness probe's) never.
[defender]
threshold = 5
score_no_auth = 5
ban_time = 600
never_ban = ["127.0.0.1"]

[exports.home]
path = "$SRV/users/%u"
owner_only = true

[users.$T_USER1]
exports = ["home"]
allow_from = ["127.0.0.0/29"]
CONFIG
}
config

ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key" -C sftpd-lifecycle
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER1"

log "a datagram listener as systemd's notify socket"
NAME="sftpd-test-notify-$$"
python3 - "$NAME" "$NOTES" "$PORT" <<'PY' &
import socket, sys, time
name, out, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name)
s.settimeout(0.5)
with open(out, "a") as f:
    f.write("bound\n")
    f.flush()
    end = time.monotonic() + 280
    while time.monotonic() < end:
        try:
            m = s.recv(4096).decode()
        except socket.timeout:
            continue
        # Whether the daemon listens when it says it is ready.
        note = ""
        if "READY=1" in m:
            try:
                socket.create_connection(("127.0.0.1", port), 2).close()
                note = " [listening]"
            except OSError:
                note = " [not listening]"
        f.write(m.replace("\n", "|") + note + "\n")
        f.flush()
PY
NPID=$!
at_exit "kill $NPID 2>/dev/null"
for ((i = 0; i < 50; i++)); do grep -q bound "$NOTES" 2>/dev/null && break; sleep 0.1; done
# notes PATTERN: lines of the notify log matching PATTERN.
notes() { grep -c -- "$1" "$NOTES" || true; }
wait_notes() {
  local i
  for ((i = 0; i < 100; i++)); do
    (($(notes "$1") >= ${2:-1})) && return 0
    sleep 0.1
  done
  return 1
}

log "a symlink planted where the pid file goes"
echo keep >"$TMP/victim"
ln -s "$TMP/victim" "$RUN/sftpd.pid"

DLOG=$TMP/daemon.log
start_sftpd_serve "$CFG" "$PORT" "$DLOG" env NOTIFY_SOCKET="@$NAME"
log "sftpd serve on 127.0.0.1:$PORT (pid $DPID)"

check "READY=1 reaches the notify socket" wait_notes '^READY=1'
check "  ... once the daemon listens" grep -q '^READY=1.*\[listening\]$' "$NOTES"
check_eq "  ... and nothing before it" "READY=1" "$(sed -n 2p "$NOTES" | cut -d'|' -f1)"

check "the pid file is a regular file" test -f "$RUN/sftpd.pid" -a ! -L "$RUN/sftpd.pid"
check_eq "  ... holding the daemon's pid" "$DPID" "$(cat "$RUN/sftpd.pid")"
check_eq "  ... root's, 0644" "root 644" "$(stat -c '%U %a' "$RUN/sftpd.pid")"
check_eq "  ... the planted link's target is untouched" "keep" "$(cat "$TMP/victim")"

# cmd NAME [args...]: `sftpd NAME` with the test config into $OUT/$ERR.
cmd() { timeout 40 "$SFTPD" "$1" --config "$CFG" "${@:2}" >"$OUT" 2>"$ERR"; }
# json EXPR: EXPR over the JSON object in $OUT (python, as s).
json() { python3 -c "import json, sys; s = json.load(open(sys.argv[1])); print($1)" "$OUT"; }

log "status"
check "sftpd status" cmd status
check "  ... the daemon's pid" grep -qx "pid: *$DPID" "$OUT"
check "  ... its config and when it was loaded" grep -qE "^config: +$CFG \\(loaded $(date -u +%F) [0-9:]+ UTC\\)$" "$OUT"
check "  ... where it listens" grep -qx "listen: *127.0.0.1:$PORT" "$OUT"
check "  ... no session" grep -qx "sessions: *0 logged in, 0 connections" "$OUT"
check "  ... its pid file" grep -qx "pid file: *$RUN/sftpd.pid" "$OUT"
check "  ... no reload yet" grep -qx "last reload: *none" "$OUT"
check "  ... no ban" grep -qx "bans: *0" "$OUT"
check "sftpd status --json" cmd status --json
check_eq "  ... pid, listen, config, counts" \
  "$DPID ['127.0.0.1:$PORT'] $CFG 0 0 None []" \
  "$(json 's["pid"], s["listen"], s["config"], s["sessions"], s["connections"], s["last_reload"], s["bans"]')"

log "status with a session held open"
mkfifo "$TMP/hold"
timeout 60 ssh "${DAEMON_SSH_OPTS[@]}" -i "$TMP/client_key" -p "$PORT" \
  -s "$T_USER1@127.0.0.1" sftp <"$TMP/hold" >/dev/null 2>&1 &
IDLE=$!
exec 5>"$TMP/hold"
at_exit "kill $IDLE 2>/dev/null"
check "  ... it logs in" wait_audit '"op":"login","result":"ok"'
check "  ... status counts it" cmd status
check "  ... one session, one connection" grep -qx "sessions: *1 logged in, 1 connections" "$OUT"
exec 5>&-
check "  ... its client ends" timeout 10 tail --pid="$IDLE" -f /dev/null
check "  ... and the listener reaps it" wait_daemon_children 0

log "reload with the same config"
check "sftpd reload takes it (exit 0)" cmd reload
check "  ... saying so" grep -qx "reloaded $CFG" "$OUT"
check "  ... the daemon logs it" grep -q "sftpd reload: reloaded configuration $CFG" "$DLOG"
check "  ... systemd hears RELOADING=1" wait_notes '^RELOADING=1|MONOTONIC_USEC=[0-9]'
check "  ... then READY=1 again" wait_notes '^READY=1' 2
check_eq "  ... in that order" "READY=1 RELOADING=1 READY=1" \
  "$(tail -n +2 "$NOTES" | cut -d'|' -f1 | tr '\n' ' ' | sed 's/ $//')"
check "  ... status records it" cmd status
check "  ... as taken" grep -qE "^last reload: +$(date -u +%F) [0-9:]+ UTC, taken$" "$OUT"
check "SIGHUP with the same config" daemon_hup
check_eq "neither logs \"listen changed\"" "0" "$(grep -c 'listen changed' "$DLOG" || true)"

log "reload with a broken config"
config 'bogus_key = 1'
BOGUS_LINE=$(grep -n '^bogus_key = 1$' "$CFG" | cut -d: -f1)
rc=0
cmd reload || rc=$?
check_eq "sftpd reload refuses it (exit 1)" "1" "$rc"
check "  ... naming file, line, column and key" grep -qE "^$CFG:$BOGUS_LINE:[0-9]+: server\\.bogus_key: " "$ERR"
check "  ... and that the previous config is kept" grep -q "not taken; the daemon keeps the previous config" "$ERR"
check "  ... the daemon logs it" grep -q "sftpd reload: configuration $CFG has errors; keeping the previous one" "$DLOG"
check "  ... and READY=1 follows RELOADING=1 still" wait_notes '^READY=1' 4
check "status records the refusal" cmd status
check "  ... refused" grep -qE "^last reload: +$(date -u +%F) [0-9:]+ UTC, refused; the previous config is kept$" "$OUT"
check "  ... with the error" grep -qE "^ +$CFG:$BOGUS_LINE:[0-9]+: server\\.bogus_key: " "$OUT"
check "  ... in --json too" cmd status --json
check_eq "  ... ok false, the error listed" "False True" \
  "$(json 's["last_reload"]["ok"], any("server.bogus_key" in e for e in s["last_reload"]["errors"])')"
check "the old config still serves a new session" \
  dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<<"ls"
check "a SIGHUP with it is refused too" daemon_hup
check "  ... and recorded" cmd status
check "  ... as refused" grep -q "refused; the previous config is kept" "$OUT"

log "a changed listen (the control): reloaded, and said"
OTHER=$(free_loopback_port) || die "no free port found"
config "" "127.0.0.1:$OTHER"
check "sftpd reload takes it" cmd reload
check "  ... and the log says listen changed" grep -q "sftpd reload: \[server\] listen changed; still listening on the previous addresses until restart" "$DLOG"
check "  ... status shows where it still listens" cmd status
check "  ... the old address" grep -qx "listen: *127.0.0.1:$PORT" "$OUT"
config
check "back to the first config" cmd reload

log "logrotate's hook: this daemon, by its pid file"
# The hook's commands, with the test's pid file in place of /run/sftpd's.
hook() {
  sed -n '/^ *postrotate$/,/^ *endscript$/p' \
    "$(dirname "$0")/../deploy/logrotate/sftpd" | sed '1d;$d' |
    sed "s|/run/sftpd/sftpd.pid|$1|" >"$TMP/postrotate"
  timeout 20 sh "$TMP/postrotate"
}
before=$(grep -c 'SIGHUP: reloaded' "$DLOG" || true)
check "the hook runs" hook "$RUN/sftpd.pid"
hup_seen() {
  local i
  for ((i = 0; i < 100; i++)); do
    (($(grep -c 'SIGHUP: reloaded' "$DLOG" || true) > before)) && return 0
    sleep 0.1
  done
  return 1
}
check "  ... and the daemon got its SIGHUP" hup_seen
sleep 60 &
DECOY=$!
at_exit "kill $DECOY 2>/dev/null"
echo "$DECOY" >"$TMP/decoy.pid"
check "a pid file naming another program" hook "$TMP/decoy.pid"
check "  ... leaves that program alone" kill -0 "$DECOY"
kill "$DECOY"

log "bans and unban"
# scan FROM: connects from FROM and closes without a word (banned at once).
scan() {
  python3 -c 'import socket, sys
s = socket.socket(); s.settimeout(5); s.bind((sys.argv[1], 0))
s.connect(("127.0.0.1", int(sys.argv[2]))); s.close()' "$1" "$PORT"
}
check "no ban: a header alone" cmd bans
check_eq "  ... one line" "1" "$(wc -l <"$OUT")"
scan 127.0.0.3
scan 127.0.0.5
check "127.0.0.3 is banned" wait_audit '"addr":"127.0.0.3","op":"ban"'
check "127.0.0.5 is banned" wait_audit '"addr":"127.0.0.5","op":"ban"'
check "sftpd bans lists them" cmd bans
check "  ... 127.0.0.3, score 5, about ten minutes left" grep -qE "^127\\.0\\.0\\.3 +5 +(9 min [0-9]+|10 min 0) s$" "$OUT"
check "  ... 127.0.0.5" grep -qE "^127\\.0\\.0\\.5 +5 " "$OUT"
check_eq "  ... and no other" "3" "$(wc -l <"$OUT")"
check "sftpd bans --json" cmd bans --json
check_eq "  ... a JSON line each" "127.0.0.3 5 127.0.0.5 5" \
  "$(python3 -c 'import json, sys
print(" ".join("%s %d" % (r["address"], r["score"]) for r in map(json.loads, open(sys.argv[1]))))' "$OUT")"
check "status counts them" cmd status
check "  ... two" grep -qx "bans: *2" "$OUT"
check_not "banned 127.0.0.3 is refused with the right key" \
  dsftp "$TMP/client_key" -o BindAddress=127.0.0.3 "$T_USER1@127.0.0.1" <<<"ls"
check "sftpd unban 127.0.0.3" cmd unban 127.0.0.3
check "  ... says so" grep -qx "unbanned 127.0.0.3" "$OUT"
check "  ... audited" wait_audit '"addr":"127.0.0.3","op":"unban","result":"ok","rule":"defender","detail":"sftpd unban by uid 0"'
check "  ... and logged" grep -q "unbanned 127.0.0.3 (sftpd unban)" "$DLOG"
check "127.0.0.3 logs in again" \
  dsftp "$TMP/client_key" -o BindAddress=127.0.0.3 "$T_USER1@127.0.0.1" <<<"ls"
check "the other ban stays" cmd bans
check_eq "  ... 127.0.0.5 alone" "127.0.0.5" "$(tail -n +2 "$OUT" | awk '{print $1}')"
rc=0
cmd unban 127.0.0.3 || rc=$?
check_eq "unban of an address not banned exits 1" "1" "$rc"
check "  ... saying so" grep -q "no ban on 127.0.0.3" "$ERR"
rc=0
cmd unban not-an-address || rc=$?
check_eq "unban of a word that is no address exits 2" "2" "$rc"
rc=0
cmd unban || rc=$?
check_eq "unban without an address exits 2" "2" "$rc"
rc=0
cmd bans --all || rc=$?
check_eq "bans with an unknown option exits 2" "2" "$rc"

log "the control commands are root's"
for c in status reload bans "unban 127.0.0.5"; do
  rc=0
  # shellcheck disable=SC2086 # the words of c
  runuser -u "$T_USER3" -- timeout 10 "$SFTPD" $c --config "$CFG" >"$OUT" 2>"$ERR" || rc=$?
  check_eq "  ... $c as another user exits 1" "1" "$rc"
done
check "  ... and the ban was not lifted" cmd bans
check "  ... 127.0.0.5 still banned" grep -q "^127.0.0.5 " "$OUT"

log "stop"
kill -TERM "$DPID"
check "after SIGTERM the daemon ends" timeout 40 tail --pid="$DPID" -f /dev/null
check "  ... having told systemd STOPPING=1" wait_notes '^STOPPING=1'
check_not "  ... its pid file is removed" test -e "$RUN/sftpd.pid"
check_not "  ... and its control socket" test -e "$SOCK"
rc=0
cmd status || rc=$?
check_eq "with no daemon, status exits 1" "1" "$rc"
rc=0
cmd reload || rc=$?
check_eq "  ... and so does reload" "1" "$rc"
check "  ... saying it cannot reach it" grep -q "cannot reach the daemon" "$ERR"

finish
