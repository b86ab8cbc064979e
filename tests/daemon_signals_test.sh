#!/usr/bin/env bash
# `sftpd serve` under signals: SIGHUP with a broken config keeps the old one,
# SIGHUP with a good one applies to new connections (and says that a changed
# listen address needs a restart), SIGTERM during a transfer lets it finish,
# then the daemon exits 0 with every child reaped; a second SIGTERM ends the
# grace period at once and stops the sessions.
# Usage: daemon_signals_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
H=$SRV/users/$T_USER1
K=$TMP/keys
L=$TMP/local
AUDIT=$TMP/audit/audit.jsonl
mkdir -p "$H" "$SRV/users/$T_USER3" "$K" "$L" "$TMP/audit" "$TMP/hk"
chown "$T_USER1:" "$H"
chown "$T_USER3:" "$SRV/users/$T_USER3"
chmod 0755 "$K" "$TMP/hk"

# write_config PORT USER...: the config at $CFG, listening on PORT, with an
# entry for each USER.
write_config() {
  local port=$1 u; shift
  {
    daemon_config "$port"
    cat <<CONFIG
[exports.home]
path = "$SRV/users/%u"
access = "rw"
owner_only = true
CONFIG
    for u in "$@"; do
      printf '\n[users.%s]\nexports = ["home"]\nallow_from = ["127.0.0.1/32"]\n' "$u"
    done
  } | install_config "$CFG"
}

ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key" -C sftpd-test
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER1"

# usftp [sftp options...] < batch: lib.sh's dsftp as $T_USER1 with the key.
usftp() { dsftp "$TMP/client_key" "$@" "$T_USER1@127.0.0.1"; }

# logged REGEX: the daemon's log has a line matching REGEX.
logged() { grep -Eq -- "$1" "$DLOG"; }

PORT=$(free_loopback_port) || die "no free port found"
write_config "$PORT" "$T_USER1" "$T_USER3"
DLOG=$TMP/daemon.log
start_sftpd_serve "$CFG" "$PORT" "$DLOG"
log "sftpd serve on 127.0.0.1:$PORT (pid $DPID)"
check "a session is served" usftp <<<"ls"

log "SIGHUP with a broken config"
printf 'this is [not toml\n' | install_config "$CFG"
check "the daemon answers SIGHUP" daemon_hup
check "  ... logs that the config has errors and is kept" \
  logged "SIGHUP: configuration $CFG has errors; keeping the previous one"
check "  ... and the error itself" logged "$CFG:1"
check "  ... keeps running" kill -0 "$DPID"
check "  ... and still serves a session" usftp <<<"ls"

log "SIGHUP with a config without $T_USER1 (and another listen port)"
write_config "$((PORT + 1))" "$T_USER3"
check "the daemon answers SIGHUP" daemon_hup
check "  ... reloads" logged "SIGHUP: reloaded configuration $CFG"
check "  ... says the listen change needs a restart" \
  logged "SIGHUP: \[server\] listen changed"
check "  ... still listens on the old port" port_listening "$PORT"
check_not "  ... refuses a new session of $T_USER1" usftp <<<"ls"
check "  ... keeps running" kill -0 "$DPID"
write_config "$PORT" "$T_USER1" "$T_USER3"
check "the entry restored, the daemon answers SIGHUP" daemon_hup
check "  ... and serves $T_USER1 again" usftp <<<"ls"

log "SIGTERM during a 50 MB download"
mkfile "$H/big.bin" 51200 "$T_USER1"
# Rate-limited (160 Mbit/s, about 2.6 s) so the signal lands mid-transfer.
rc_file=$TMP/get.rc
( rc=0; usftp -l 160000 <<<"get big.bin $L/big.bin" || rc=$?; echo "$rc" >"$rc_file" ) &
GET_PID=$!
at_exit "kill $GET_PID 2>/dev/null"
for ((i = 0; i < 100; i++)); do
  (($(stat -c %s "$L/big.bin" 2>/dev/null || echo 0) > 2097152)) && break
  sleep 0.05
done
size_at_term=$(stat -c %s "$L/big.bin" 2>/dev/null || echo 0)
term_at=$SECONDS
kill -TERM "$DPID" || true
closed=no
for ((i = 0; i < 40; i++)); do
  if ! port_listening "$PORT"; then closed=yes; break; fi
  sleep 0.05
done
still_running=no
kill -0 "$GET_PID" 2>/dev/null && still_running=yes
check_eq "the listening socket is closed at once" "yes" "$closed"
check_eq "  ... while the download is still running" "yes" "$still_running"
if ((size_at_term > 0 && size_at_term < 52428800)); then
  pass "the signal came mid-transfer ($size_at_term bytes of 52428800)"
else fail "the signal came mid-transfer" "$size_at_term bytes of 52428800 when SIGTERM was sent"; fi
timeout 30 tail --pid="$GET_PID" -f /dev/null || true
check_eq "the download completes" "0" "$(cat "$rc_file" 2>/dev/null || echo none)"
check_eq "  ... with the right sha256" "$(sha "$H/big.bin")" "$(sha "$L/big.bin" 2>&1)"
timeout 35 tail --pid="$DPID" -f /dev/null || true
drc=0
if kill -0 "$DPID" 2>/dev/null; then drc=running; else wait "$DPID" || drc=$?; fi
check_eq "the daemon exits 0" "0" "$drc"
elapsed=$((SECONDS - term_at))
if ((elapsed < 30)); then pass "  ... within the grace period (${elapsed} s)"
else fail "  ... within the grace period" "${elapsed} s after SIGTERM"; fi
check "  ... logging the stop" logged "SIGTERM: stopped listening"
check "  ... and the end" logged "every session has ended; exiting"
check_eq "no process of the daemon remains" "" \
  "$(pgrep -f -- "serve --config $CFG" || true)"

log "a second SIGTERM ends the grace period"
PORT=$(free_loopback_port) || die "no free port found"
write_config "$PORT" "$T_USER1"
DLOG=$TMP/daemon2.log
start_sftpd_serve "$CFG" "$PORT" "$DLOG"
rm -f "$L/big.bin" "$rc_file"
# 40 Mbit/s: about 10 s for the whole file, far longer than this part.
( rc=0; usftp -l 40000 <<<"get big.bin $L/big.bin" || rc=$?; echo "$rc" >"$rc_file" ) &
GET_PID=$!
at_exit "kill $GET_PID 2>/dev/null"
under_way=no
for ((i = 0; i < 100; i++)); do
  if (($(stat -c %s "$L/big.bin" 2>/dev/null || echo 0) > 1048576)); then under_way=yes; break; fi
  sleep 0.05
done
if [[ $under_way == yes ]]; then pass "a slow download is under way"
else fail "a slow download is under way" "$(tail -5 "$DLOG")" "$(cat "$ERR")"; fi
term_at=$SECONDS
kill -TERM "$DPID" || true
for ((i = 0; i < 40; i++)); do
  logged "SIGTERM: stopped listening" && break
  sleep 0.05
done
kill -TERM "$DPID" || true
timeout 15 tail --pid="$DPID" -f /dev/null || true
drc=0
if kill -0 "$DPID" 2>/dev/null; then drc=running; else wait "$DPID" || drc=$?; fi
check_eq "the daemon exits 0" "0" "$drc"
elapsed=$((SECONDS - term_at))
if ((elapsed < 5)); then pass "  ... at once (${elapsed} s)"
else fail "  ... at once" "${elapsed} s after the first SIGTERM"; fi
check "  ... after sending SIGTERM to the session" \
  logged "second stop signal.*|grace period over: sending SIGTERM to 1 sessions"
if logged "grace period over: sending SIGTERM to 1 sessions"; then pass "  ... logging why"
else fail "  ... logging why" "$(tail -5 "$DLOG")" "$(ls -l "$L")"; fi
timeout 15 tail --pid="$GET_PID" -f /dev/null || true
get_rc=$(cat "$rc_file" 2>/dev/null || echo none)
if [[ "$get_rc" != 0 && "$get_rc" != none ]]; then pass "the cut download fails (exit $get_rc)"
else fail "the cut download fails" "sftp exit: $get_rc"; fi
check_eq "no process of the daemon remains" "" \
  "$(pgrep -f -- "serve --config $CFG" || true)"

finish
