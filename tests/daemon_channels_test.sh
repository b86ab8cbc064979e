#!/usr/bin/env bash
# `sftpd serve` with several SFTP channels on one SSH connection, as
# asyncssh and paramiko open them: two asyncssh SFTP clients on one
# connection upload and download at once (checked on disk), and a third
# starts after they closed; with [server] max_channels_per_connection = 3,
# paramiko's fourth channel is refused while the three work on, exec on a
# later channel is refused (the "only sftp" line, exit status 1) while the
# others work on, and a channel whose client stops reading (its window
# full) does not hold the others up; every channel has its own login and
# logout in the audit trail ("ID", "ID.2", ...) and its own file events,
# and `sftpd sessions` shows the connection once with the bytes of all of
# them.
# Usage: daemon_channels_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

readonly PY=/usr/bin/python3   # Debian's: python3-asyncssh, python3-paramiko
readonly MAX_CHANNELS=3

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
AUDIT=$TMP/audit/audit.jsonl
SOCK=$TMP/run/control.sock
H1=$SRV/users/$T_USER1
K=$TMP/keys
L=$TMP/local
mkdir -p "$H1" "$K" "$L" "$TMP/audit" "$TMP/hk" "$TMP/run"
chown "$T_USER1:" "$H1"
chmod 0755 "$K" "$TMP/hk"

"$PY" -W ignore -c 'import asyncssh, paramiko' 2>/dev/null ||
  die "$PY lacks asyncssh or paramiko (apt-get install python3-asyncssh python3-paramiko)"

PORT=$(free_loopback_port) || die "no free port found"
{ daemon_config "$PORT" "server: control_socket = \"$SOCK\"" \
    "server: max_channels_per_connection = $MAX_CHANNELS"
  cat <<CONFIG; } | install_config "$CFG"
[exports.home]
path = "$SRV/users/%u"
access = "rw"
owner_only = true

[users.$T_USER1]
exports = ["home"]
allow_from = ["127.0.0.1/32"]
CONFIG
"$SFTPD" check-config --config "$CFG" >"$OUT" 2>&1 || die "check-config: $(cat "$OUT")"

ssh-keygen -q -t ed25519 -N '' -f "$TMP/client_key" -C sftpd-test
install -m 0644 "$TMP/client_key.pub" "$K/$T_USER1"

DLOG=$TMP/daemon.log
start_sftpd_serve "$CFG" "$PORT" "$DLOG"
log "sftpd serve on 127.0.0.1:$PORT (pid $DPID)"

# json_field FILE KEY: a top-level member of the JSON object in FILE.
json_field() {
  "$PY" -c 'import json, sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$1" "$2"
}
# sessions_of ID: the distinct session ids of connection ID's audit lines
# ("ID", "ID.2"...), sorted, one line.
sessions_of() {
  grep -o "\"session\":\"$1[.0-9]*\"" "$AUDIT" | cut -d'"' -f4 | sort -uV |
    tr '\n' ' ' | sed 's/ $//'
}
# audit_of SESSION OP: lines of exactly that session and op.
audit_of() { grep -c "\"session\":\"$1\".*\"op\":\"$2\"" "$AUDIT" || true; }

log "asyncssh: two SFTP channels at once on one connection, then a third"
mkfile "$L/a.bin" 3000 root
mkfile "$L/b.bin" 2000 root
cat >"$TMP/as.py" <<'PYTHON'
import asyncio, json, sys
import asyncssh

port, key, local = sys.argv[1:4]

async def main():
    out = {}
    async with asyncssh.connect("127.0.0.1", port=int(port), username=sys.argv[4],
                                client_keys=[key], known_hosts=None,
                                agent_path=None, connect_timeout=10) as conn:
        async with conn.start_sftp_client() as a, conn.start_sftp_client() as b:
            # Both channels busy at once: asyncssh pipelines each transfer.
            await asyncio.gather(a.put(local + "/a.bin", "a.bin"),
                                 b.put(local + "/b.bin", "b.bin"))
            await asyncio.gather(a.get("b.bin", local + "/b.back"),
                                 b.get("a.bin", local + "/a.back"))
            # Each session has its own handles: a file open on one stays
            # open while the other works.
            f = await a.open("a.bin", "rb")
            await b.rename("b.bin", "b2.bin")
            head = await f.read(16)
            await f.close()
            out["head_ok"] = head == open(local + "/a.bin", "rb").read(16)
            out["both"] = sorted(await b.listdir("."))
        # Both closed; the connection serves a third.
        async with conn.start_sftp_client() as c:
            out["after"] = sorted(await c.listdir("."))
    print(json.dumps(out))

asyncio.run(asyncio.wait_for(main(), 60))
PYTHON
rc=0
timeout 90 "$PY" -W ignore "$TMP/as.py" "$PORT" "$TMP/client_key" "$L" "$T_USER1" \
  >"$TMP/as.json" 2>"$TMP/as.err" || rc=$?
if ((rc == 0)); then
  pass "asyncssh: two SFTP clients on one connection, then a third"
  check_eq "  ... both uploads intact on disk" "$(sha "$L/a.bin") $(sha "$L/b.bin")" \
    "$(sha "$H1/a.bin") $(sha "$H1/b2.bin")"
  check_eq "  ... both downloads intact" "$(sha "$L/a.bin") $(sha "$L/b.bin")" \
    "$(sha "$L/a.back") $(sha "$L/b.back")"
  check_eq "  ... a handle of one session survives the other's rename" "True" \
    "$(json_field "$TMP/as.json" head_ok)"
  check_eq "  ... the third session sees what the two left" '[".", "..", "a.bin", "b2.bin"]' \
    "$(json_field "$TMP/as.json" after)"
else
  fail "asyncssh: two SFTP clients on one connection, then a third" "exit $rc" \
    "$(tail -5 "$TMP/as.err")" "$(tail -5 "$DLOG")"
fi
check "  ... the connection's process ends with it" wait_daemon_children 0
ID=$(grep -o '"session":"[0-9a-f]*","user":"'"$T_USER1"'".*"op":"login","result":"ok"' "$AUDIT" |
  head -1 | cut -d'"' -f4 || true)
check_eq "  ... three sessions in the audit trail under one connection's id" \
  "$ID $ID.2 $ID.3" "$(sessions_of "$ID")"
for s in "$ID" "$ID.2" "$ID.3"; do
  check_eq "  ... $s: one login, one clean logout" "1 1" \
    "$(audit_of "$s" login) $(grep -c "\"session\":\"$s\".*\"op\":\"logout\",\"result\":\"ok\"" "$AUDIT" || true)"
done
# first_session OP PATH: the session of the first OP event on PATH.
first_session() {
  grep "\"op\":\"$1\",\"path\":\"$2\"" "$AUDIT" | head -1 | cut -d'"' -f8
}
check_eq "  ... each upload under the session of its channel (a first, then b)" \
  "$ID $ID.2" "$(first_session close /home/a.bin) $(first_session close /home/b.bin)"
check_eq "  ... the rename under b's" "$ID.2" "$(first_session rename /home/b.bin)"

log "paramiko: $MAX_CHANNELS channels at most, exec refused, a stalled channel"
mkfile "$L/p.bin" 1500 root
mkfile "$H1/big.bin" 8192 "$T_USER1"
cat >"$TMP/pm.py" <<'PYTHON'
import hashlib, json, socket, struct, subprocess, sys, time
import paramiko

port, key, local, user, sftpd, cfg, limit = sys.argv[1:8]
limit = int(limit)
out = {}

def sha(data):
    return hashlib.sha256(data).hexdigest()

sock = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
t = paramiko.Transport(sock)
t.banner_timeout = 10
t.connect(username=user, pkey=paramiko.Ed25519Key.from_private_key_file(key))
clients = [paramiko.SFTPClient.from_transport(t) for _ in range(limit)]
for c in clients:
    c.get_channel().settimeout(20)
try:
    paramiko.SFTPClient.from_transport(t)
    out["over_limit"] = "opened"
except Exception as e:  # ChannelException: administratively prohibited
    out["over_limit"] = "refused: %s" % e
# The three work on, each with its own file, interleaved.
for i, c in enumerate(clients):
    c.put(local + "/p.bin", "p%d.bin" % i)
out["puts"] = [c.stat("p%d.bin" % i).st_size for i, c in enumerate(clients)]
time.sleep(0.6)  # `sftpd sessions` is told after 250 ms of quiet
out["sessions"] = subprocess.run([sftpd, "sessions", "--config", cfg, "--json"],
                                 capture_output=True, text=True, timeout=10).stdout
# One closes; exec on a new channel in its place is refused.
clients.pop().close()
ch = t.open_session(timeout=10)
ch.settimeout(10)
try:
    ch.exec_command("id")
    out["exec"] = "accepted"
except Exception as e:
    out["exec"] = "refused: %s" % e
# paramiko closes its end on the failure; the status comes after it.
deadline = time.time() + 10
while ch.exit_status == -1 and time.time() < deadline:
    time.sleep(0.05)
err = b""
while ch.recv_stderr_ready():
    err += ch.recv_stderr(4096)
out["exec_stderr"] = err.decode(errors="replace")
out["exec_status"] = ch.exit_status
# The others still work after the refusal.
out["after_exec"] = [sha(c.open("p%d.bin" % i).read()) for i, c in enumerate(clients)]

# A channel whose client stops reading: raw SFTP on it, READs of far more
# than its window (paramiko's 2 MiB), none of the replies read.
raw = t.open_session(timeout=10)
raw.settimeout(20)
raw.invoke_subsystem("sftp")
def send(kind, body):
    raw.sendall(struct.pack(">IB", len(body) + 1, kind) + body)
def recv_exact(n):
    buf = b""
    while len(buf) < n:
        chunk = raw.recv(n - len(buf))
        if not chunk:
            raise EOFError("channel closed")
        buf += chunk
    return buf
def recv_packet():
    (n,) = struct.unpack(">I", recv_exact(4))
    return recv_exact(n)
send(1, struct.pack(">I", 3))                       # INIT
recv_packet()                                       # VERSION
name = b"big.bin"
send(3, struct.pack(">II", 1, len(name)) + name + struct.pack(">II", 1, 0))
reply = recv_packet()                               # HANDLE
(hlen,) = struct.unpack(">I", reply[5:9])
handle = reply[9:9 + hlen]
chunk, count = 32768, 192                           # 6 MiB asked for
for i in range(count):
    send(5, struct.pack(">II", 100 + i, hlen) + handle +
         struct.pack(">QI", i * chunk, chunk))
time.sleep(1)
# Meanwhile the others are served in full.
start = time.time()
c = clients[0]
c.put(local + "/p.bin", "during.bin")
out["during"] = sha(c.open("during.bin").read())
out["during_s"] = round(time.time() - start, 2)
# Then the stalled channel reads its replies: every one, in order.
data = b""
for i in range(count):
    p = recv_packet()
    kind, rid = struct.unpack(">BI", p[:5])
    if kind != 103 or rid != 100 + i:
        raise RuntimeError("reply %d: type %d id %d" % (i, kind, rid))
    (dlen,) = struct.unpack(">I", p[5:9])
    data += p[9:9 + dlen]
out["stalled"] = sha(data)
raw.close()
for c in clients:
    c.close()
t.close()
print(json.dumps(out))
PYTHON
rc=0
timeout 120 "$PY" -W ignore "$TMP/pm.py" "$PORT" "$TMP/client_key" "$L" "$T_USER1" \
  "$SFTPD" "$CFG" "$MAX_CHANNELS" >"$TMP/pm.json" 2>"$TMP/pm.err" || rc=$?
if ((rc == 0)); then
  pass "paramiko: one Transport, channels up to the limit and past it"
  over=$(json_field "$TMP/pm.json" over_limit)
  if [[ $over == refused:* ]]; then pass "  ... channel $((MAX_CHANNELS + 1)) is refused ($over)"
  else fail "  ... channel $((MAX_CHANNELS + 1)) is refused" "$over"; fi
  check_eq "  ... the $MAX_CHANNELS open ones work on" "[1536000, 1536000, 1536000]" \
    "$(json_field "$TMP/pm.json" puts)"
  for i in 0 1 2; do
    check_eq "  ... p$i.bin intact on disk" "$(sha "$L/p.bin")" "$(sha "$H1/p$i.bin")"
  done
  ex=$(json_field "$TMP/pm.json" exec)
  if [[ $ex == refused:* ]]; then pass "  ... exec on a later channel is refused"
  else fail "  ... exec on a later channel is refused" "$ex"; fi
  check_eq "  ... with the only-sftp line and exit status 1" \
    "sftpd: this server offers only the sftp subsystem 1" \
    "$(json_field "$TMP/pm.json" exec_stderr | tr -d '\r\n') $(json_field "$TMP/pm.json" exec_status)"
  check_eq "  ... the SFTP channels work on after it" \
    "[\"$(sha "$L/p.bin")\", \"$(sha "$L/p.bin")\"]" "$(json_field "$TMP/pm.json" after_exec)"
  check_eq "  ... a channel whose client stops reading holds up no other" \
    "$(sha "$L/p.bin")" "$(json_field "$TMP/pm.json" during)"
  log "  (the other channel's upload and download took $(json_field "$TMP/pm.json" during_s) s)"
  check_eq "  ... and gets every reply once its client reads" \
    "$(head -c $((192 * 32768)) "$H1/big.bin" | sha256sum | cut -d' ' -f1)" \
    "$(json_field "$TMP/pm.json" stalled)"
  json_field "$TMP/pm.json" sessions >"$TMP/sessions.json"
  check_eq "  ... sftpd sessions shows the connection once" "1" \
    "$(grep -c "\"user\":\"$T_USER1\"" "$TMP/sessions.json" || true)"
  written=$(grep -o '"bytes_written":[0-9]*' "$TMP/sessions.json" | cut -d: -f2)
  check_eq "  ... with the bytes of all its channels" "$((3 * 1536000))" "${written:-none}"
else
  fail "paramiko: one Transport, channels up to the limit and past it" "exit $rc" \
    "$(tail -5 "$TMP/pm.err")" "$(tail -5 "$DLOG")"
fi
check "  ... the connection's process ends with it" wait_daemon_children 0
check "  ... the refused channel is logged" \
  grep -q "refused a session channel: $MAX_CHANNELS open already (max_channels_per_connection)" "$DLOG"
check "  ... the refused exec is logged" grep -q "refused exec" "$DLOG"
ID=$(grep '"op":"login","result":"ok"' "$AUDIT" | tail -1 | cut -d'"' -f8 || true)
ID=${ID%%.*}
check_eq "  ... four SFTP sessions in the audit trail (the exec channel is none)" \
  "$ID $ID.2 $ID.3 $ID.4" "$(sessions_of "$ID")"
for s in "$ID" "$ID.2" "$ID.3" "$ID.4"; do
  check_eq "  ... $s: one login, one logout" "1 1" "$(audit_of "$s" login) $(audit_of "$s" logout)"
done
check_eq "  ... each upload under the session of its channel" "$ID $ID.2 $ID.3" \
  "$(for i in 0 1 2; do first_session close "/home/p$i.bin"; done | tr '\n' ' ' | sed 's/ $//')"

finish
