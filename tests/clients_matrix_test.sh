#!/usr/bin/env bash
# The SFTP clients of Debian 12 against both front doors: `sftpd serve` and
# `sftpd --stdio` as the sftp Subsystem of a real OpenSSH sshd. OpenSSH's
# sftp and scp, rclone, PuTTY's psftp and pscp, curl (libssh2) and
# python3-asyncssh (asyncssh_client.py) transfer files and trees, and every
# result is checked on disk against its source: SHA-256, size, mode, mtime,
# link targets. Go's pkg/sftp runs its client integration tests against
# `sftpd --stdio` and against OpenSSH's sftp-server in the same run: what
# passes against sftp-server must pass against sftpd, but for the
# differences listed below.
# Usage: clients_matrix_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

readonly PY=/usr/bin/python3   # Debian's, which has python3-asyncssh
readonly BIG_MIB=64            # rclone's large file, sent with its default concurrency

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
AUDIT=$TMP/audit/audit.jsonl
H=$SRV/users/$T_USER1          # /home of sftpdt1 on disk, through either door
K=$TMP/keys
KEY=$TMP/client_key
KH=$TMP/known_hosts
L=$TMP/local                   # the sources
D=$TMP/down                    # what the clients download
SD=$TMP/sshd
mkdir -p "$H" "$K" "$L" "$D" "$TMP/audit" "$TMP/hk" "$SD/keys" /run/sshd
chown "$T_USER1:" "$H"
chmod 0755 "$K" "$TMP/hk" "$SD/keys" /run/sshd
# Both doors write the trail: the daemon's listener as root, --stdio as the
# user, so the user may append to it.
install -m 0666 /dev/null "$AUDIT"

DPORT=$(free_loopback_port) || die "no free port found"
SPORT=$(free_loopback_port) || die "no free port found"
[[ $DPORT != "$SPORT" ]] || SPORT=$(free_loopback_port) || die "no free port found"
install_config "$CFG" <<EOF
[server]
listen = ["127.0.0.1:$DPORT"]
host_keys = ["$TMP/hk/host_key"]
control_socket = "$TMP/ctl/control.sock"

[auth]
methods = ["publickey"]
authorized_keys = ["$K/%u"]

[audit]
log = "$AUDIT"

[exports.home]
path = "$SRV/users/%u"
access = "rw"
owner_only = true

[users.$T_USER1]
exports = ["home"]
allow_from = ["127.0.0.1/32"]
EOF
"$SFTPD" check-config --config "$CFG" >"$OUT" 2>&1 || die "check-config: $(cat "$OUT")"

ssh-keygen -q -t ed25519 -N '' -f "$KEY" -C sftpd-test
install -m 0644 "$KEY.pub" "$K/$T_USER1"
install -m 0644 "$KEY.pub" "$SD/keys/$T_USER1"

start_sftpd_serve "$CFG" "$DPORT" "$TMP/daemon.log"
log "sftpd serve on 127.0.0.1:$DPORT"
ssh-keygen -q -t ed25519 -N '' -f "$SD/host_key"
sshd_base_config "$SD" "$SPORT" "$T_USER1" "$SFTPD --stdio --config $CFG" >"$SD/sshd_config"
/usr/sbin/sshd -t -f "$SD/sshd_config" || die "sshd -t rejected the config"
start_sshd "$SD/sshd_config" "$SD/sshd.log" "$SPORT"
log "sshd on 127.0.0.1:$SPORT, Subsystem sftp $SFTPD --stdio"

# The doors: their ports and host keys (public halves).
declare -A PORT_OF=([daemon]=$DPORT [sshd]=$SPORT)
declare -A HOSTKEY_OF=([daemon]=$TMP/hk/host_key.pub [sshd]=$SD/host_key.pub)
ssh-keygen -y -f "$TMP/hk/host_key" >"$TMP/hk/host_key.pub"
for door in daemon sshd; do
  echo "[127.0.0.1]:${PORT_OF[$door]} $(cat "${HOSTKEY_OF[$door]}")"
done >"$KH"
# host_fp DOOR: the host key's SHA256:... fingerprint.
host_fp() { ssh-keygen -l -E sha256 -f "${HOSTKEY_OF[$1]}" | awk '{print $2}'; }

SSH_OPTS=(-F /dev/null -o IdentityFile="$KEY" -o IdentitiesOnly=yes
  -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$KH" -o BatchMode=yes
  -o LogLevel=ERROR -o ConnectTimeout=10)

# The sources: a file, and a tree with an empty file, a one-byte file, a
# name with a space, a nested directory; modes and mtimes of their own.
mkfile "$L/one.bin" 700 root
chmod 0640 "$L/one.bin"
touch -d '2021-03-04 05:06:07' "$L/one.bin"
mkdir -p "$L/tree/sub/deeper" "$L/tree/empty-dir"
: >"$L/tree/empty.txt"
printf x >"$L/tree/sub/one-byte"
mkfile "$L/tree/with space.bin" 33 root
mkfile "$L/tree/sub/deeper/big.bin" 1100 root
head -c 7 /dev/urandom >>"$L/tree/sub/deeper/big.bin"
mkfile "$L/tree/sub/x.sh" 2 root
chmod 0755 "$L/tree/sub/x.sh"
chmod 0600 "$L/tree/with space.bin"
i=0
while IFS= read -r -d '' f; do
  touch -h -d "2020-01-0$((i % 9 + 1)) 0$((i % 10)):1$((i % 10)):2$((i % 10))" "$f"
  i=$((i + 1))
done < <(find "$L/tree" -depth -print0)

# tree_content DIR: every entry's relative path and type, and each file's
# size and SHA-256.
tree_content() {
  (cd "$1" && find . -mindepth 1 -printf '%P %y\n' | LC_ALL=C sort &&
    find . -type f -printf '%P %s\n' | LC_ALL=C sort &&
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}
# tree_attrs DIR: each file's relative path, mode and mtime (whole seconds).
tree_attrs() {
  (cd "$1" && find . -type f -printf '%P %m %T@\n' | sed 's/\.[0-9]*$//' | LC_ALL=C sort)
}
# same_file DESC SRC COPY: content and size.
same_file() {
  check_eq "$1" "$(sha "$2") $(stat -c %s "$2")" \
    "$(sha "$3" 2>&1) $(stat -c %s "$3" 2>&1)"
}
# same_attrs DESC SRC COPY: mode and mtime (whole seconds).
same_attrs() {
  check_eq "$1" "$(stat -c '%a %Y' "$2")" "$(stat -c '%a %Y' "$3" 2>&1)"
}
same_mtime() { check_eq "$1" "$(stat -c %Y "$2")" "$(stat -c %Y "$3" 2>&1)"; }
same_tree() { check_eq "$1" "$(tree_content "$2")" "$(tree_content "$3" 2>&1)"; }
same_tree_attrs() { check_eq "$1" "$(tree_attrs "$2")" "$(tree_attrs "$3" 2>&1)"; }
# ran DESC RC [LINES...]: passes on status 0, else shows the lines.
ran() {
  local desc=$1 rc=$2; shift 2
  if ((rc == 0)); then pass "$desc"; else fail "$desc" "exit $rc" "$@"; fi
}
# rdir NAME: a fresh directory NAME in the user's /home, on disk.
rdir() {
  rm -rf "${H:?}/$1"
  mkdir -p "$H/$1"
  chown "$T_USER1:" "$H/$1"
}
# ldir NAME: a fresh local download directory.
ldir() { rm -rf "${D:?}/$1"; mkdir -p "$D/$1"; echo "$D/$1"; }
# audited PATH: the trail has an ok line for the virtual PATH (so sftpd,
# not a shell command on the sshd side, did the work).
audited() { grep -F "\"path\":\"$1\"" "$AUDIT" | grep -q '"result":"ok"'; }
daemon_tail() { tail -n 3 "$TMP/daemon.log"; tail -n 3 "$SD/sshd.log"; }

for door in daemon sshd; do
  port=${PORT_OF[$door]}

  log "OpenSSH sftp against the $door"
  rdir "sftp-$door"
  dl=$(ldir "sftp-$door")
  rc=0
  timeout 60 sftp -q "${SSH_OPTS[@]}" -P "$port" -b - "$T_USER1@127.0.0.1" \
    >"$OUT" 2>"$ERR" <<EOF || rc=$?
cd sftp-$door
put -p $L/one.bin one.bin
put -pr $L/tree tree
get -p one.bin $dl/one.bin
get -pr tree $dl/tree
EOF
  ran "sftp: put -p, put -pr, get -p, get -pr ($door)" "$rc" "$(head -c 600 "$ERR")" "$(daemon_tail)"
  same_file "  ... the file on disk" "$L/one.bin" "$H/sftp-$door/one.bin"
  same_attrs "  ... its mode and mtime on disk" "$L/one.bin" "$H/sftp-$door/one.bin"
  same_tree "  ... the tree on disk" "$L/tree" "$H/sftp-$door/tree"
  same_tree_attrs "  ... the tree's modes and mtimes on disk" "$L/tree" "$H/sftp-$door/tree"
  same_file "  ... the file downloaded" "$L/one.bin" "$dl/one.bin"
  same_attrs "  ... its mode and mtime downloaded" "$L/one.bin" "$dl/one.bin"
  same_tree "  ... the tree downloaded" "$L/tree" "$dl/tree"
  same_tree_attrs "  ... its modes and mtimes downloaded" "$L/tree" "$dl/tree"
  check_eq "  ... owned by $T_USER1 on disk" "$T_USER1" \
    "$(find "$H/sftp-$door" -printf '%u\n' | sort -u)"

  log "OpenSSH scp (its default SFTP mode) against the $door"
  rdir "scp-$door"
  dl=$(ldir "scp-$door")
  rc=0
  { timeout 60 scp -q "${SSH_OPTS[@]}" -P "$port" "$L/one.bin" \
      "$T_USER1@127.0.0.1:scp-$door/plain.bin" &&
    timeout 60 scp -q -p "${SSH_OPTS[@]}" -P "$port" "$L/one.bin" \
      "$T_USER1@127.0.0.1:scp-$door/kept.bin" &&
    timeout 60 scp -q -r -p "${SSH_OPTS[@]}" -P "$port" "$L/tree" \
      "$T_USER1@127.0.0.1:scp-$door/tree" &&
    timeout 60 scp -q -p "${SSH_OPTS[@]}" -P "$port" \
      "$T_USER1@127.0.0.1:scp-$door/kept.bin" "$dl/kept.bin" &&
    timeout 60 scp -q -r -p "${SSH_OPTS[@]}" -P "$port" \
      "$T_USER1@127.0.0.1:scp-$door/tree" "$dl/tree"; } >"$OUT" 2>"$ERR" || rc=$?
  ran "scp: a file, -p, -r -p up and down ($door)" "$rc" "$(head -c 600 "$ERR")" "$(daemon_tail)"
  check "  ... in SFTP mode: sftpd audited the upload" audited "/home/scp-$door/plain.bin"
  same_file "  ... the file on disk" "$L/one.bin" "$H/scp-$door/plain.bin"
  check_eq "  ... without -p: the mode less the umask, mtime now" "640 new" \
    "$(stat -c %a "$H/scp-$door/plain.bin" 2>&1) $( (($(stat -c %Y "$H/scp-$door/plain.bin") > $(date +%s) - 300)) && echo new || echo old)"
  same_file "  ... -p: the file on disk" "$L/one.bin" "$H/scp-$door/kept.bin"
  same_attrs "  ... -p: its mode and mtime on disk" "$L/one.bin" "$H/scp-$door/kept.bin"
  same_tree "  ... -r: the tree on disk" "$L/tree" "$H/scp-$door/tree"
  same_tree_attrs "  ... -r -p: its modes and mtimes on disk" "$L/tree" "$H/scp-$door/tree"
  same_file "  ... the file downloaded" "$L/one.bin" "$dl/kept.bin"
  same_attrs "  ... its mode and mtime downloaded" "$L/one.bin" "$dl/kept.bin"
  same_tree "  ... the tree downloaded" "$L/tree" "$dl/tree"
  same_tree_attrs "  ... its modes and mtimes downloaded" "$L/tree" "$dl/tree"
done

finish
