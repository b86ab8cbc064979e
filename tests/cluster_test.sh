#!/usr/bin/env bash
# Two `sftpd serve` nodes behind a real HAProxy (Debian's) on loopback, as
# a small cluster runs: one export tree and one host key shared by both,
# HAProxy in `mode tcp` with send-proxy-v2 (and send-proxy, version 1, on a
# second frontend), its connections to the nodes from 127.0.0.10, the
# nodes' [server] proxy_from. Clients from 127.0.0.2, .3 and .4 (sftp's
# BindAddress): sessions balanced over both nodes, each node's audit trail
# and `sftpd sessions` with the client's address (never HAProxy's),
# allow_from and a defender ban applied to the client's address, a forged
# header from elsewhere and a malformed one from the balancer dropped and
# audited, and a node killed mid-run: new sessions go to the other, and no
# file written before is lost.
# Usage: cluster_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"
REPO=$(cd "$(dirname "$0")/.." && pwd)
command -v rsyslogd >/dev/null || die "rsyslogd is missing (Debian's rsyslog package)"
command -v haproxy >/dev/null || die "haproxy is missing (Debian's haproxy package)"

SRV=$TMP/srv
H=$SRV/users/$T_USER1
K=$TMP/keys
L=$TMP/local
BALANCER=127.0.0.10  # HAProxy's source address; proxy_from is 127.0.0.10/31
mkdir -p "$H" "$K" "$L" "$TMP/audit" "$TMP/hk"
chown "$T_USER1:" "$H"
chmod 0755 "$K" "$TMP/hk"
ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key" -C sftpd-test
ssh-keygen -q -t ed25519 -N '' -f "$TMP/wrong_key" -C sftpd-wrong
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER1"
mkfile "$L/up.bin" 3000 root

P1=$(free_loopback_port) || die "no free port found"
P2=$(free_loopback_port) || die "no free port found"
FRONT=$(free_loopback_port) || die "no free port found"
FRONT1=$(free_loopback_port) || die "no free port found"

A1=$TMP/audit/node1.jsonl
A2=$TMP/audit/node2.jsonl
AUDIT=$A1  # daemon_config's default, replaced for each node

# node_config N PORT: node N's config. Both share the export tree and the
# host key; each has its own port, control socket and audit file.
node_config() {
  { daemon_config "$2" "audit: syslog = false" \
      "audit: log = \"$TMP/audit/node$1.jsonl\"" \
      "server: control_socket = \"$TMP/ctl$1/control.sock\"" \
      "server: proxy_from = [\"$BALANCER/31\"]"
    cat <<CONFIG; } | install_config "$TMP/etc/node$1.toml"
# One failed login bans for a minute (two points, threshold 2). Not
# 127.0.0.1: the harness's probes of the nodes' ports come from there.
[defender]
threshold = 2
observation_time = 600
ban_time = 60
score_failed_login = 2
never_ban = ["127.0.0.1"]

[exports.home]
path = "$SRV/users/%u"
access = "rw"
owner_only = true

# Through the balancer, from 127.0.0.2 and .3 only: never from HAProxy's
# own address. 127.0.0.5 forges headers, straight to a node.
[users.$T_USER1]
exports = ["home"]
allow_from = ["127.0.0.2/32", "127.0.0.3/32", "127.0.0.5/32"]
CONFIG
}
node_config 1 "$P1"
node_config 2 "$P2"


# The first node makes the shared host key; the second reads it.
start_sftpd_serve "$TMP/etc/node1.toml" "$P1" "$TMP/node1.log"
N1=$DPID
start_sftpd_serve "$TMP/etc/node2.toml" "$P2" "$TMP/node2.log"
N2=$DPID
log "nodes on 127.0.0.1:$P1 (pid $N1) and 127.0.0.1:$P2 (pid $N2)"

# One audit trail for both: each node's file followed and forwarded by an
# rsyslog of its own (deploy/rsyslog/sftpd-forward.conf), gathered by a
# central one (sftpd-central.conf) on a port of its own; the shipped files
# with this test's paths and port.
CPORT=$(free_loopback_port) || die "no free port found"
CENTRAL=$TMP/central/cluster.jsonl
# rsyslog_start NAME CONF_SED DEPLOY_FILE: an rsyslogd in the foreground
# with the deployed file, edited by the sed script, and a work directory.
rsyslog_start() {
  mkdir -p "$TMP/rs-$1"
  { printf 'global(workDirectory="%s" maxMessageSize="64k")\n' "$TMP/rs-$1"
    sed "$2" "$REPO/deploy/rsyslog/$3"; } >"$TMP/rs-$1.conf"
  rsyslogd -N1 -f "$TMP/rs-$1.conf" >"$TMP/rs-$1.check" 2>&1 ||
    fail "rsyslogd -N1 accepts $3" "$(cat "$TMP/rs-$1.check")"
  rsyslogd -n -i "$TMP/rs-$1.pid" -f "$TMP/rs-$1.conf" >"$TMP/rs-$1.log" 2>&1 &
  at_exit "kill $! 2>/dev/null; timeout 5 tail --pid=$! -f /dev/null"
}
rsyslog_start central "s#Port=\"514\"#Port=\"$CPORT\" Address=\"127.0.0.1\"#; s#/var/log/sftpd/cluster.jsonl#$CENTRAL#" \
  sftpd-central.conf
for ((i = 0; i < 50; i++)); do port_listening "$CPORT" && break; sleep 0.1; done
port_listening "$CPORT" || die "the central rsyslogd does not listen: $(cat "$TMP/rs-central.log")"
for n in 1 2; do
  rsyslog_start "node$n" "s#/var/log/sftpd/audit.jsonl#$TMP/audit/node$n.jsonl#; s#loghost.example.org#127.0.0.1#; s#Port=\"514\"#Port=\"$CPORT\"#" \
    sftpd-forward.conf
done

cat >"$TMP/haproxy.cfg" <<CFG
global
  maxconn 200

defaults
  mode tcp
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  # A node that refuses the connection: the next one takes it.
  retries 3
  option redispatch 1

frontend sftp
  bind 127.0.0.1:$FRONT
  default_backend nodes

frontend sftp_v1
  bind 127.0.0.1:$FRONT1
  default_backend node1_v1

backend nodes
  balance roundrobin
  source $BALANCER
  # Plain TCP checks: a connection closed before a byte, which the nodes
  # drop without a word.
  server n1 127.0.0.1:$P1 send-proxy-v2 check inter 300ms fall 2 rise 2
  server n2 127.0.0.1:$P2 send-proxy-v2 check inter 300ms fall 2 rise 2

backend node1_v1
  source $BALANCER
  server n1 127.0.0.1:$P1 send-proxy
CFG
check "haproxy accepts its config" haproxy -c -q -f "$TMP/haproxy.cfg"
haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
HPID=$!
at_exit "kill $HPID 2>/dev/null; timeout 5 tail --pid=$HPID -f /dev/null"
for ((i = 0; i < 50; i++)); do port_listening "$FRONT" && break; sleep 0.1; done
port_listening "$FRONT" || die "haproxy does not listen: $(cat "$TMP/haproxy.log")"
PORT=$FRONT

# session FROM NAME [KEY]: one sftp session from FROM through HAProxy that
# puts up.bin as NAME; returns sftp's status.
session() {
  dsftp "${3:-$TMP/client_key}" -o BindAddress="$1" "$T_USER1@127.0.0.1" \
    <<<"put $L/up.bin $2"
}
# logins FILE: the client addresses of the successful logins in FILE.
logins() {
  grep '"op":"login","result":"ok"' "$1" 2>/dev/null |
    grep -o '"addr":"[^"]*"' | sort | uniq -c | awk '{print $2}' | tr '\n' ' '
}
# intact NAME...: each NAME in the export is up.bin, byte for byte.
intact() {
  local name
  for name in "$@"; do
    [[ $(sha "$H/$name" 2>/dev/null) == "$(sha "$L/up.bin")" ]] || return 1
  done
}

log "sessions balanced over both nodes, each seen from its client"
ok=0
for i in 1 2 3 4; do
  from=127.0.0.$((2 + (i - 1) / 2))  # .2 .2 .3 .3: each node one of each
  session "$from" "f$i.bin" && ok=$((ok + 1))
done
check_eq "four sessions through HAProxy from 127.0.0.2 and .3" 4 "$ok"
check "  ... each file whole in the shared tree" intact f1.bin f2.bin f3.bin f4.bin
check_eq "node 1 logged in clients from 127.0.0.2 and .3" \
  '"addr":"127.0.0.2" "addr":"127.0.0.3" ' "$(logins "$A1")"
check_eq "node 2 too" '"addr":"127.0.0.2" "addr":"127.0.0.3" ' "$(logins "$A2")"
check_eq "no audit line of either names HAProxy's address" "" \
  "$(grep -h "\"addr\":\"$BALANCER\"" "$A1" "$A2")"
check "the node's log names the client" \
  grep -Eq "Accepted publickey for $T_USER1 from 127\.0\.0\.[23] port [0-9]+ ssh2" "$TMP/node1.log"

log "sftpd sessions: the client's address"
(sleep 3; echo "ls") | timeout 20 sftp -q "${DAEMON_SSH_OPTS[@]}" -i "$TMP/client_key" \
  -P "$FRONT" -o BindAddress=127.0.0.2 -b - "$T_USER1@127.0.0.1" >/dev/null 2>&1 &
HOLD=$!
seen=""
for ((i = 0; i < 40; i++)); do
  seen=$(for n in 1 2; do timeout 5 "$SFTPD" sessions --config "$TMP/etc/node$n.toml" 2>&1; done |
    grep "$T_USER1" || true)
  [[ -n $seen ]] && break
  sleep 0.1
done
check "a live session is listed from 127.0.0.2" grep -q "127\.0\.0\.2" <<<"$seen"
check_not "  ... not from HAProxy's address" grep -q "$BALANCER" <<<"$seen"
wait "$HOLD" || true

log "PROXY protocol version 1 (send-proxy)"
rc=0
PORT=$FRONT1 session 127.0.0.3 v1.bin || rc=$?
check_eq "a session through send-proxy from 127.0.0.3" 0 "$rc"
check "  ... audited on node 1 with its address" \
  grep -q '"addr":"127.0.0.3".*"op":"login","result":"ok"' <(tail -n 5 "$A1")

log "a header that comes in two pieces"
rc=0
dsftp "$TMP/client_key" \
  -o ProxyCommand="timeout 30 python3 $REPO/tests/proxy_relay.py $BALANCER $P2 127.0.0.3 40003 --split" \
  "$T_USER1@127.0.0.1" <<<"put $L/up.bin split.bin" || rc=$?
check_eq "a session whose v1 header came in two pieces, straight to node 2" 0 "$rc"
check "  ... audited as from 127.0.0.3:40003" \
  grep -q '"addr":"127.0.0.3","port":40003,"op":"login","result":"ok"' "$A2"

log "allow_from sees the client, not the balancer"
check_not "a session from 127.0.0.4 is refused" session 127.0.0.4 refused.bin
for ((i = 0; i < 100; i++)); do
  grep -hq '"addr":"127.0.0.4"' "$A1" "$A2" && break
  sleep 0.1
done
check "  ... dropped before key exchange by allow_from, audited with 127.0.0.4" \
  grep -hq '"addr":"127.0.0.4",.*"result":"refused","rule":"allow_from"' "$A1" "$A2"

log "headers the nodes refuse"
# A connection from the balancer's address that sends nothing: dropped
# when its header is 10 s late (checked below, while the rest runs).
timeout 20 python3 -c '
import socket, sys, time
s = socket.socket(); s.bind((sys.argv[1], 0)); s.connect(("127.0.0.1", int(sys.argv[2])))
time.sleep(14)' "$BALANCER" "$P2" &
SILENT=$!
# send_raw FROM PORT BYTES(python literal) [DELAY]: connects from FROM,
# sends the bytes (DELAY seconds after connecting), and waits (bounded) for
# the node to close; prints "closed".
send_raw() {
  timeout 15 python3 - "$@" <<'PY'
import socket, sys, time
s = socket.socket()
s.bind((sys.argv[1], 0))
s.connect(("127.0.0.1", int(sys.argv[2])))
time.sleep(float(sys.argv[4]) if len(sys.argv) > 4 else 0)
s.sendall(eval(sys.argv[3]))
s.settimeout(12)
try:
    while s.recv(4096):
        pass
    print("closed")
except ConnectionResetError:
    print("closed")
except socket.timeout:
    print("open")
PY
}
# Seen by the listener when it comes with the connection, by key exchange
# when it comes later (the delay): refused and audited either way (the
# first bans 127.0.0.5 on node 1, so the second goes to node 2).
forged="b'PROXY TCP4 127.0.0.2 127.0.0.1 40000 22\r\nSSH-2.0-forged\r\n'"
check_eq "a PROXY header from 127.0.0.5 (not proxy_from): closed" closed \
  "$(send_raw 127.0.0.5 "$P1" "$forged")"
check_eq "  ... and one sent 0.3 s after connecting" closed \
  "$(send_raw 127.0.0.5 "$P2" "$forged" 0.3)"
forged_lines() {
  cat "$A1" "$A2" | grep -c '"addr":"127.0.0.5",.*"result":"refused","rule":"proxy_from","detail":"[^"]*PROXY header from an address not in \[server\] proxy_from"' || true
}
for ((i = 0; i < 100; i++)); do (($(forged_lines) >= 2)) && break; sleep 0.1; done
check_eq "  ... both audited with the sender's address" 2 "$(forged_lines)"
check_eq "a version 2 header from 127.0.0.5: closed" closed \
  "$(send_raw 127.0.0.5 "$P1" "b'\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c' + bytes([127,0,0,2,127,0,0,1,0x9c,0x40,0,22]) + b'SSH-2.0-forged\r\n'")"
check_eq "no header from the balancer's address: closed" closed \
  "$(send_raw "$BALANCER" "$P1" "b'SSH-2.0-OpenSSH_9.2\r\n'")"
wait_audit 'malformed PROXY header: not a PROXY protocol header' "$A1" || true
check "  ... audited as malformed, with the balancer's address" \
  grep -q "\"addr\":\"$BALANCER\",.*\"rule\":\"proxy_from\",\"detail\":\"dropped before key exchange: malformed PROXY header: not a PROXY protocol header\"" "$A1"
# From 127.0.0.11, the other address of proxy_from: the listener writes
# one drop per address and rule at a time, and counts the rest.
check_eq "a version 2 header over 1040 bytes: closed" closed \
  "$(send_raw 127.0.0.11 "$P1" "b'\r\n\r\n\x00\r\nQUIT\n\x21\x11\x04\x01' + bytes(1025)")"
wait_audit 'exceeds the limit of 1040' "$A1" || true
check_eq "  ... audited" 1 "$(grep -c 'malformed PROXY header: PROXY v2 header of 1041 bytes exceeds the limit of 1040' "$A1")"
check_not "the balancer is never banned for them" \
  grep -q "\"addr\":\"$BALANCER\",\"op\":\"ban\"" "$A1"

log "a defender ban on the client's address"
# Wrong keys from 127.0.0.3 until both nodes have banned it (bounded).
for ((i = 0; i < 6; i++)); do
  session 127.0.0.3 never.bin "$TMP/wrong_key" || true
  [[ $(audit_count '"addr":"127.0.0.3","op":"ban"' "$A1") -gt 0 &&
    $(audit_count '"addr":"127.0.0.3","op":"ban"' "$A2") -gt 0 ]] && break
done
check "node 1 banned 127.0.0.3" grep -q '"addr":"127.0.0.3","op":"ban","result":"banned"' "$A1"
check "node 2 banned 127.0.0.3" grep -q '"addr":"127.0.0.3","op":"ban","result":"banned"' "$A2"
check_not "  ... with the right key now: refused" session 127.0.0.3 banned.bin
ok=0
for i in 1 2; do session 127.0.0.2 "after-ban$i.bin" && ok=$((ok + 1)); done
check_eq "127.0.0.2 still logs in, on both nodes (HAProxy is not banned)" 2 "$ok"
bans=$(for n in 1 2; do "$SFTPD" bans --config "$TMP/etc/node$n.toml" 2>&1; done)
check "sftpd bans lists 127.0.0.3" grep -q "^127\.0\.0\.3 " <<<"$bans"
check_not "  ... and not the balancer" grep -q "$BALANCER" <<<"$bans"

log "a node killed mid-run"
# A session held open; then node 1 and all its processes are killed.
(sleep 4; echo "ls") | timeout 20 sftp -q "${DAEMON_SSH_OPTS[@]}" -i "$TMP/client_key" \
  -P "$FRONT" -o BindAddress=127.0.0.2 -b - "$T_USER1@127.0.0.1" >/dev/null 2>&1 &
HOLD=$!
sleep 1
kill -KILL $(pgrep -P "$N1") "$N1" 2>/dev/null || true
timeout 5 tail --pid="$N1" -f /dev/null || true
wait "$HOLD" || true
before=$(audit_count '"op":"login","result":"ok"' "$A2")
ok=0
for i in 1 2 3 4; do session 127.0.0.2 "k$i.bin" && ok=$((ok + 1)); done
check_eq "every new session is served, by node 2" 4 "$ok"
check_eq "  ... its audit trail has their four logins" 4 \
  $(($(audit_count '"op":"login","result":"ok"' "$A2") - before))
check "  ... and their files are whole" intact k1.bin k2.bin k3.bin k4.bin
check "nothing written before is lost" intact f1.bin f2.bin f3.bin f4.bin v1.bin split.bin \
  after-ban1.bin after-ban2.bin

wait "$SILENT" || true
check "a balancer's connection without its header in 10 s: dropped and audited" \
  grep -q "\"addr\":\"$BALANCER\",.*\"rule\":\"proxy_from\",\"detail\":\"dropped before key exchange: no PROXY header within 10 s\"" "$A2"

log "one audit trail for both nodes (rsyslog)"
# Every line of both nodes' files reaches the central file (bounded wait).
for ((i = 0; i < 100; i++)); do
  [[ $(sort "$A1" "$A2" | sha256sum) == "$(sort "$CENTRAL" 2>/dev/null | sha256sum)" ]] && break
  sleep 0.1
done
check_eq "the central file has every line of both nodes, as written" \
  "$(sort "$A1" "$A2" | sha256sum)" "$(sort "$CENTRAL" 2>/dev/null | sha256sum)"
got=$("$SFTPD" audit --file "$CENTRAL" --op login --from 127.0.0.2/32 --json 2>&1 |
  grep -c '"result":"ok"' || true)
check_eq "sftpd audit reads it: the logins from 127.0.0.2 of both nodes" \
  $(($(grep -c '"addr":"127.0.0.2",.*"op":"login","result":"ok"' "$A1") +
     $(grep -c '"addr":"127.0.0.2",.*"op":"login","result":"ok"' "$A2"))) "$got"

finish
