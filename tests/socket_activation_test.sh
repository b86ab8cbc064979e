#!/usr/bin/env bash
# `sftpd serve` started the ways systemd starts it, by
# systemd-socket-activate (systemd's own tool for the protocol): with its
# listening socket ($LISTEN_FDS; sftpd.socket), and one process per
# connection on stdin and stdout (`serve --inetd`; Accept=yes). Real sftp
# clients, the audit trail of each, the early allow_from drop in --inetd
# mode, refusals of what is not a socket, and the shipped units through
# `systemd-analyze verify`.
# Usage: socket_activation_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"
REPO=$(cd "$(dirname "$0")/.." && pwd)
command -v systemd-socket-activate >/dev/null ||
  die "systemd-socket-activate is missing (Debian's systemd package)"

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
AUDIT=$TMP/audit/audit.jsonl
H=$SRV/users/$T_USER1
K=$TMP/keys
L=$TMP/local
mkdir -p "$H" "$K" "$L" "$TMP/audit" "$TMP/hk"
chown "$T_USER1:" "$H"
chmod 0755 "$K" "$TMP/hk"
ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key" -C sftpd-test
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER1"
mkfile "$L/up.bin" 2000 root

PORT=$(free_loopback_port) || die "no free port found"
# The config names another port: with systemd's socket it is not used.
UNUSED=$(free_loopback_port) || die "no free port found"
# write_config ALLOW_FROM [daemon_config LINE...]: $CFG, $T_USER1's home
# export granted from ALLOW_FROM.
write_config() {
  { daemon_config "$UNUSED" "${@:2}"; cat <<CONFIG; } | install_config "$CFG"
[exports.home]
path = "$SRV/users/%u"
access = "rw"
owner_only = true

[users.$T_USER1]
exports = ["home"]
allow_from = ["$1"]
CONFIG
}
write_config 127.0.0.1/32

# transfer NAME: puts up.bin as NAME and gets it back; checks both copies.
transfer() {
  local rc=0
  dsftp "$TMP/client_key" "$T_USER1@127.0.0.1" <<BATCH || rc=$?
put $L/up.bin $1
get $1 $L/$1
BATCH
  if ((rc == 0)) && [[ $(sha "$H/$1" 2>&1) == "$(sha "$L/up.bin")" &&
    $(sha "$L/$1" 2>&1) == "$(sha "$L/up.bin")" ]]; then
    pass "sftp put and get of $1 (sha256 on disk and back)"
  else
    fail "sftp put and get of $1" "exit $rc" "$(head -c 600 "$ERR")" \
      "log: $(tail -5 "$DLOG")"
  fi
}

log "systemd's listening socket (sftpd.socket, Accept=no)"
DLOG=$TMP/socket.log
# It listens, and executes sftpd with the socket on the first connection.
systemd-socket-activate -l "127.0.0.1:$PORT" \
  "$SFTPD" serve --config "$CFG" 2>"$DLOG" &
DPID=$!
T_SERVER_LOGS+=("$DLOG")
at_exit "kill $DPID 2>/dev/null; timeout 5 tail --pid=$DPID -f /dev/null"
for ((i = 0; i < 50; i++)); do port_listening "$PORT" && break; sleep 0.1; done
transfer one.bin
transfer two.bin
check "the log says it listens on systemd's socket" \
  grep -q "listening on 127.0.0.1:$PORT (systemd's socket)" "$DLOG"
check "  ... and that [server] listen is not used" \
  grep -q "systemd passed 1 listening socket; \[server\] listen is not used" "$DLOG"
check_not "nothing listens on the config's own port" port_listening "$UNUSED"
status=$("$SFTPD" status --config "$CFG" 2>&1 || true)
check_eq "sftpd status names the socket it listens on" "listen: 127.0.0.1:$PORT" \
  "$(grep "^listen:" <<<"$status" | tr -s ' ')"
check_eq "one daemon served both sessions (its pid is the activator's)" \
  "$DPID" "$(sed -n "s/^pid: *//p" <<<"$status")"
check_eq "the audit trail has both logins from 127.0.0.1" 2 \
  "$(grep '"op":"login"' "$AUDIT" | grep -c '"addr":"127.0.0.1"' || true)"
kill -TERM "$DPID"
rc=0
timeout 20 tail --pid="$DPID" -f /dev/null || rc=$?
wait "$DPID" || rc=$?
check_eq "SIGTERM: exit status 0" 0 "$rc"
check_not "  ... and the socket is gone" port_listening "$PORT"

log "a descriptor that is not a listening socket"
rc=0
out=$(bash -c 'exec 3<"$1"; LISTEN_PID=$$ LISTEN_FDS=1 exec "$2" serve --config "$3"' \
  _ "$CFG" "$SFTPD" "$CFG" 2>&1) || rc=$?
check_eq "a file as systemd's socket: exit status 1" 1 "$rc"
check "  ... saying why" grep -q "systemd's socket: descriptor 3 is not a socket" <<<"$out"
rc=0
out=$(python3 -c '
import os, socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0))   # bound, not listening
os.dup2(s.fileno(), 3); os.set_inheritable(3, True)
os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS="1")
os.execv(sys.argv[1], [sys.argv[1], "serve", "--config", sys.argv[2]])
' "$SFTPD" "$CFG" 2>&1) || rc=$?
check_eq "a socket that does not listen: exit status 1" 1 "$rc"
check "  ... saying why" grep -q "descriptor 3 is not listening" <<<"$out"
rc=0
out=$(LISTEN_PID=1 LISTEN_FDS=1 "$SFTPD" serve --config "$CFG" --bogus 2>&1) || rc=$?
check_eq "serve with an unknown option: exit status 2" 2 "$rc"

log "one process per connection (serve --inetd, Accept=yes)"
: >"$AUDIT"
DLOG=$TMP/inetd.log
systemd-socket-activate --inetd -a -l "127.0.0.1:$PORT" \
  "$SFTPD" serve --inetd --config "$CFG" 2>"$DLOG" &
APID=$!
T_SERVER_LOGS+=("$DLOG")
at_exit "kill $APID 2>/dev/null; timeout 5 tail --pid=$APID -f /dev/null"
for ((i = 0; i < 50; i++)); do port_listening "$PORT" && break; sleep 0.1; done
transfer three.bin
transfer four.bin
# Each connection's process has ended with its session: none is left.
for ((i = 0; i < 50; i++)); do
  [[ -z $(pgrep -P "$APID" || true) ]] && break
  sleep 0.1
done
check_eq "no sftpd process is left after the sessions" "" \
  "$(pgrep -P "$APID" || true)"
check_eq "the audit trail has two logins from 127.0.0.1" 2 \
  "$(grep '"op":"login"' "$AUDIT" | grep '"result":"ok"' | grep -c '"addr":"127.0.0.1"' || true)"
check_eq "  ... and two logouts" 2 "$(audit_count '"op":"logout"')"
check_eq "  ... of two sessions" 2 \
  "$(grep -o '"session":"[^"]*"' "$AUDIT" | sort -u | wc -l)"
check "the log has the login, as the daemon's has" \
  grep -q "Accepted publickey for $T_USER1 from 127.0.0.1 port [0-9]* ssh2" "$DLOG"
check_not "  ... and no control socket" test -e "$TMP/ctl/control.sock"

log "a source outside every allow_from, in --inetd mode"
rc=0
timeout 20 ssh "${DAEMON_SSH_OPTS[@]}" -b 127.0.0.2 -i "$TMP/client_key" \
  -p "$PORT" "$T_USER1@127.0.0.1" true >"$OUT" 2>"$ERR" || rc=$?
check_not "ssh from 127.0.0.2 is refused" test "$rc" -eq 0
wait_audit '"rule":"allow_from"' || true
check "  ... before key exchange, audited with the client's address" \
  grep -q '"addr":"127.0.0.2".*"result":"refused","rule":"allow_from"' "$AUDIT"

log "--inetd behind a balancer: the client its PROXY header names"
# The config is read by each connection's process: 127.0.0.9 becomes a
# balancer, whose relay (sftp's ProxyCommand) names client 127.0.0.7.
write_config 127.0.0.7/32 "server: proxy_from = [\"127.0.0.9\"]"
rc=0
dsftp "$TMP/client_key" \
  -o ProxyCommand="timeout 30 python3 $REPO/tests/proxy_relay.py 127.0.0.9 $PORT 127.0.0.7 40007" \
  "$T_USER1@127.0.0.1" <<<"put $L/up.bin proxied.bin" || rc=$?
check_eq "sftp through a PROXY v1 relay from 127.0.0.9" 0 "$rc"
check_eq "  ... the file whole" "$(sha "$L/up.bin")" "$(sha "$H/proxied.bin" 2>&1)"
wait_audit '"addr":"127.0.0.7","port":40007' || true
check "  ... its login audited as from 127.0.0.7:40007" \
  grep -q '"addr":"127.0.0.7","port":40007,"op":"login","result":"ok"' "$AUDIT"
kill "$APID" 2>/dev/null || true
timeout 5 tail --pid="$APID" -f /dev/null || true

log "stdin that is not a connection"
rc=0
out=$("$SFTPD" serve --inetd --config "$CFG" </dev/null 2>&1) || rc=$?
check_eq "serve --inetd on /dev/null: exit status 1" 1 "$rc"
check "  ... saying why" grep -q "stdin is not a connected socket" <<<"$out"

log "the shipped units"
UNITS=$TMP/units
mkdir -p "$UNITS"
for unit in sftpd.service sftpd.socket sftpd@.service sftpd-inetd.socket \
  sftpd-inetd@.service; do
  # The binary as the units name it does not exist here: the built one.
  sed "s#/usr/local/sbin/sftpd#$SFTPD#g" "$REPO/deploy/$unit" >"$UNITS/$unit"
done
for unit in sftpd.service sftpd.socket sftpd@site1.service \
  sftpd-inetd.socket sftpd-inetd@0.service; do
  [[ $unit == *@* ]] && ln -sf "${unit%%@*}@.service" "$UNITS/$unit"
  if out=$(cd "$UNITS" && systemd-analyze verify --man=no "$UNITS/$unit" 2>&1) &&
    [[ -z $out ]]; then
    pass "systemd-analyze verify $unit"
  else
    fail "systemd-analyze verify $unit" "$out"
  fi
done
# Their sandboxing is sftpd.service's, line for line (its comments say why).
sandbox_lines() {
  sed -n '/^CapabilityBoundingSet=/,/^SystemCallArchitectures=/p' "$1" | grep -v '^#' | grep -v '^$'
}
for unit in sftpd@.service sftpd-inetd@.service; do
  check_eq "$unit sandboxes as sftpd.service does" \
    "$(sandbox_lines "$REPO/deploy/sftpd.service")" "$(sandbox_lines "$REPO/deploy/$unit")"
done

finish
