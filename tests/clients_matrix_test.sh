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
{ daemon_config "$DPORT"; cat <<EOF; } | install_config "$CFG"
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

mkfile "$L/big.bin" $((BIG_MIB * 1024)) root
touch -d '2022-05-06 07:08:09' "$L/big.bin"

# rclone: an empty config, its cache in $TMP, no retries to hide a failure.
: >"$TMP/rclone.conf"
RCLONE_OPTS=(--config "$TMP/rclone.conf" --cache-dir "$TMP/rclone-cache"
  --retries 1 --low-level-retries 1 --contimeout 10s -q)
# PuTTY's tools take a .ppk key.
puttygen "$KEY" -O private -o "$KEY.ppk"

# tree_content DIR: every entry's relative path and type, and each file's
# size and SHA-256.
tree_content() {
  (cd "$1" && find . -mindepth 1 -printf '%P %y\n' | LC_ALL=C sort &&
    find . -type f -printf '%P %s\n' | LC_ALL=C sort &&
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}
# tree_mtimes DIR: each file's relative path and mtime (whole seconds).
tree_mtimes() {
  (cd "$1" && find . -type f -printf '%P %T@\n' | sed 's/\.[0-9]*$//' | LC_ALL=C sort)
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
same_tree_mtimes() { check_eq "$1" "$(tree_mtimes "$2")" "$(tree_mtimes "$3" 2>&1)"; }
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

  log "rclone against the $door"
  rdir "rclone-$door"
  dl=$(ldir "rclone-$door")
  # No shell commands (shell_type=none): sftp only; the door's host key.
  R=":sftp,host=127.0.0.1,port=$port,user=$T_USER1,key_file=$KEY,shell_type=none,known_hosts_file=$KH:"
  rc=0
  : >"$ERR"
  for args in "copyto $L/one.bin ${R}rclone-$door/one.bin" \
      "copy --create-empty-src-dirs $L/tree ${R}rclone-$door/tree" \
      "copyto $L/big.bin ${R}rclone-$door/big.bin" \
      "copyto ${R}rclone-$door/one.bin $dl/one.bin" \
      "copy --create-empty-src-dirs ${R}rclone-$door/tree $dl/tree" \
      "copyto ${R}rclone-$door/big.bin $dl/big.bin"; do
    # shellcheck disable=SC2086  # the words of one rclone command
    timeout 120 rclone "${RCLONE_OPTS[@]}" $args >>"$OUT" 2>>"$ERR" || { rc=$?; break; }
  done
  ran "rclone: copyto and copy up and down, a tree, ${BIG_MIB} MiB ($door)" "$rc" \
    "rclone $args" "$(tail -c 800 "$ERR")" "$(daemon_tail)"
  same_file "  ... the file on disk" "$L/one.bin" "$H/rclone-$door/one.bin"
  same_mtime "  ... its mtime on disk (SETSTAT)" "$L/one.bin" "$H/rclone-$door/one.bin"
  same_tree "  ... the tree on disk" "$L/tree" "$H/rclone-$door/tree"
  same_tree_mtimes "  ... the tree's mtimes on disk" "$L/tree" "$H/rclone-$door/tree"
  same_file "  ... the ${BIG_MIB} MiB file on disk" "$L/big.bin" "$H/rclone-$door/big.bin"
  same_mtime "  ... its mtime on disk" "$L/big.bin" "$H/rclone-$door/big.bin"
  same_file "  ... the file downloaded" "$L/one.bin" "$dl/one.bin"
  same_mtime "  ... its mtime downloaded" "$L/one.bin" "$dl/one.bin"
  same_tree "  ... the tree downloaded" "$L/tree" "$dl/tree"
  same_tree_mtimes "  ... its mtimes downloaded" "$L/tree" "$dl/tree"
  same_file "  ... the ${BIG_MIB} MiB file downloaded" "$L/big.bin" "$dl/big.bin"

  log "PuTTY psftp against the $door"
  rdir "psftp-$door"
  dl=$(ldir "psftp-$door")
  PUTTY_OPTS=(-batch -P "$port" -i "$KEY.ppk" -hostkey "$(host_fp "$door")" -l "$T_USER1")
  rc=0
  timeout 60 psftp "${PUTTY_OPTS[@]}" -b /dev/stdin 127.0.0.1 >"$OUT" 2>"$ERR" <<EOF || rc=$?
cd psftp-$door
put $L/one.bin one.bin
get one.bin $dl/one.bin
mkdir sub
mv one.bin sub/moved.bin
chmod 600 sub/moved.bin
put $L/tree/empty.txt gone.txt
rm gone.txt
mkdir gone-dir
rmdir gone-dir
put -r $L/tree tree
get -r tree $dl/tree
ls sub
EOF
  ran "psftp: put, get, mkdir, mv, chmod, rm, rmdir, put -r, get -r, ls ($door)" "$rc" \
    "$(head -c 600 "$ERR")" "$(tail -c 300 "$OUT")" "$(daemon_tail)"
  same_file "  ... the file, renamed, on disk" "$L/one.bin" "$H/psftp-$door/sub/moved.bin"
  check_not "  ... the old name is gone" test -e "$H/psftp-$door/one.bin"
  check_eq "  ... chmod 600 on disk" "600" "$(stat -c %a "$H/psftp-$door/sub/moved.bin" 2>&1)"
  check_eq "  ... rm and rmdir on disk" "sub tree" "$(ls "$H/psftp-$door" | tr '\n' ' ' | sed 's/ $//')"
  same_tree "  ... put -r: the tree on disk" "$L/tree" "$H/psftp-$door/tree"
  same_file "  ... the file downloaded" "$L/one.bin" "$dl/one.bin"
  same_tree "  ... get -r: the tree downloaded" "$L/tree" "$dl/tree"
  if grep -q 'moved.bin' "$OUT"; then pass "  ... ls lists the renamed file"
  else fail "  ... ls lists the renamed file" "$(tail -c 400 "$OUT")"; fi

  # pscp -r copies a tree into an existing directory (a new target name
  # fails against OpenSSH's sftp-server just the same).
  log "PuTTY pscp (SFTP) against the $door"
  rdir "pscp-$door"
  dl=$(ldir "pscp-$door")
  rc=0
  { timeout 60 pscp -q -sftp "${PUTTY_OPTS[@]}" -p "$L/one.bin" "127.0.0.1:pscp-$door/one.bin" &&
    timeout 60 pscp -q -sftp "${PUTTY_OPTS[@]}" -p -r "$L/tree" "127.0.0.1:pscp-$door/" &&
    timeout 60 pscp -q -sftp "${PUTTY_OPTS[@]}" -p "127.0.0.1:pscp-$door/one.bin" "$dl/one.bin" &&
    timeout 60 pscp -q -sftp "${PUTTY_OPTS[@]}" -p -r "127.0.0.1:pscp-$door/tree" "$dl/"; } \
    >"$OUT" 2>"$ERR" || rc=$?
  ran "pscp -sftp: -p, -p -r up and down ($door)" "$rc" "$(head -c 600 "$ERR")" "$(daemon_tail)"
  same_file "  ... the file on disk" "$L/one.bin" "$H/pscp-$door/one.bin"
  same_mtime "  ... -p: its mtime on disk" "$L/one.bin" "$H/pscp-$door/one.bin"
  same_tree "  ... -r: the tree on disk" "$L/tree" "$H/pscp-$door/tree"
  same_tree_mtimes "  ... -r -p: its mtimes on disk" "$L/tree" "$H/pscp-$door/tree"
  same_file "  ... the file downloaded" "$L/one.bin" "$dl/one.bin"
  same_mtime "  ... its mtime downloaded" "$L/one.bin" "$dl/one.bin"
  same_tree "  ... the tree downloaded" "$L/tree" "$dl/tree"
  same_tree_mtimes "  ... its mtimes downloaded" "$L/tree" "$dl/tree"

  log "curl (libssh2) against the $door"
  rdir "curl-$door"
  dl=$(ldir "curl-$door")
  fp=$(host_fp "$door")
  CURL=(timeout 30 curl -sS --user "$T_USER1:" --key "$KEY" --pubkey "$KEY.pub"
    --hostpubsha256 "${fp#SHA256:}")
  url=sftp://127.0.0.1:$port/home/curl-$door
  rc=0
  # After the upload (-Q "-..."): a symlink (libssh2 sends the target
  # first, as OpenSSH's sftp does), a chmod, a rename.
  { "${CURL[@]}" -T "$L/one.bin" "$url/one.bin" -Q "-symlink one.bin curl-$door/link" \
      -Q "-chmod 600 curl-$door/one.bin" -Q "-rename curl-$door/one.bin curl-$door/one.renamed" &&
    "${CURL[@]}" -o "$dl/one.bin" "$url/one.renamed"; } >"$OUT" 2>"$ERR" || rc=$?
  ran "curl: upload, symlink, chmod, rename, download ($door)" "$rc" "$(head -c 600 "$ERR")" "$(daemon_tail)"
  same_file "  ... the file on disk" "$L/one.bin" "$H/curl-$door/one.renamed"
  check_eq "  ... chmod 600 on disk" "600" "$(stat -c %a "$H/curl-$door/one.renamed" 2>&1)"
  check_eq "  ... the symlink on disk: at link, to one.bin" "one.bin" \
    "$(readlink "$H/curl-$door/link" 2>&1)"
  same_file "  ... the file downloaded" "$L/one.bin" "$dl/one.bin"

  log "asyncssh against the $door"
  rdir "asyncssh-$door"
  dl=$(ldir "asyncssh-$door")
  rc=0
  timeout 150 "$PY" "$(dirname "$0")/asyncssh_client.py" "$port" "$KEY" "$KH" "$T_USER1" \
    "asyncssh-$door" "$H/asyncssh-$door" "$L/tree" "$dl" >"$OUT" 2>"$ERR" || rc=$?
  ran "asyncssh: the client ran to its end ($door)" "$rc" "$(tail -c 800 "$ERR")" "$(daemon_tail)"
  while IFS= read -r line; do
    case $line in
      "ok "*) pass "  ... ${line#ok } ($door)" ;;
      "FAIL "*) d=${line#FAIL }; fail "  ... ${d%%$'\t'*} ($door)" "${d#*$'\t'}" ;;
      *) fail "  ... an unexpected line from the client ($door)" "$line" ;;
    esac
  done <"$OUT"
done

log "Go's pkg/sftp client integration tests: sftpd --stdio, and OpenSSH's sftp-server"
# The tests compare local paths with remote ones, so the session sees /tmp
# as /tmp: an export named tmp. They start their server as `SERVER -e [-R]
# -l LEVEL` on stdin/stdout; -R asks for a read-only one. Without
# SSH_CONNECTION the session is local.
GOSRC=/usr/share/gocode/src/github.com/pkg/sftp
G=$TMP/go
mkdir -p "$G/path" "$G/cache" "$G/tmp/dir"
# TestClientReadDir lists the temp dir and fails on an empty one.
mkfile "$G/tmp/listed.bin" 3 root
for access in rw ro; do
  install_config "$TMP/etc/go-$access.toml" <<EOF
[exports.tmp]
path = "/tmp"
access = "$access"
owner_only = false

[users.$T_USER1]
exports = ["tmp"]
EOF
done
cat >"$G/sftpd-server" <<EOF
#!/bin/sh
cfg=$TMP/etc/go-rw.toml
for a; do [ "\$a" = -R ] && cfg=$TMP/etc/go-ro.toml; done
exec env -u SSH_CONNECTION -u SSH_CLIENT $SFTPD --stdio --config "\$cfg" 2>>$G/server.err
EOF
chmod 0755 "$G/sftpd-server"
touch "$G/server.err"
T_SERVER_LOGS+=("$G/server.err")
chown -R "$T_USER1:" "$G"
# go_as SECONDS ARGS...: a command as the user, bounded, in GOPATH mode
# with Debian's Go packages, its cache and temp files in $G.
go_as() {
  timeout "$1" runuser -u "$T_USER1" -- env -i PATH=/usr/bin:/bin HOME="$G" GOENV=off \
    GO111MODULE=off GOPATH="$G/path:/usr/share/gocode" GOCACHE="$G/cache" \
    GOFLAGS= TMPDIR="$G/tmp" ASAN_OPTIONS="${ASAN_OPTIONS:-}" "${@:2}"
}
t0=$SECONDS
rc=0
(cd "$G" && go_as 240 go test -c -o "$G/pkgsftp.test" github.com/pkg/sftp) >"$OUT" 2>&1 || rc=$?
ran "pkg/sftp $(dpkg-query -W -f '${Version}' golang-github-pkg-sftp-dev): the tests compile" \
  "$rc" "$(tail -c 800 "$OUT")"
log "  compiled in $((SECONDS - t0)) s"
# The integration tests: the Test functions of these files.
GO_TESTS=$(grep -ho '^func Test[A-Za-z0-9_]*' "$GOSRC/client_integration_test.go" \
  "$GOSRC/client_integration_linux_test.go" | sed 's/^func //' | paste -sd'|')
# go_results SERVER FILE: runs them (from /tmp: TestClientGetwd compares the
# local working directory with the server's start directory, which is the
# export /tmp for sftpd) and writes "NAME PASS|FAIL|SKIP" lines to FILE.
go_results() {
  (cd /tmp && go_as 120 "$G/pkgsftp.test" -test.v -test.timeout 100s \
     -test.run "^($GO_TESTS)\$" -integration -sftp "$1") >"$2.log" 2>&1 || true
  grep -o '^--- \(PASS\|FAIL\|SKIP\): Test[A-Za-z0-9_]*' "$2.log" |
    awk '{ sub(":", "", $2); print $3, $2 }' | LC_ALL=C sort >"$2"
}
t0=$SECONDS
if [[ -x $G/pkgsftp.test ]]; then
  go_results /usr/lib/openssh/sftp-server "$G/openssh"
  go_results "$G/sftpd-server" "$G/sftpd"
fi
log "  both runs took $((SECONDS - t0)) s"
# Tests that pass against sftp-server and may fail against sftpd, by design:
declare -A GO_INTENDED=(
  # They open /dev/zero or /dev/null on the server: sftpd serves the
  # files of its exports and never opens a device (/dev is no export).
  [TestClientWriteToROFile]=device [TestServerRoughDisconnect]=device
  [TestServerRoughDisconnect2]=device [TestServerRoughDisconnect3]=device
  [TestServerRoughDisconnect4]=device [TestServerRoughDisconnectEOF]=device
  # It chmods a file setuid and expects the bit kept: sftpd strips setuid
  # and setgid from every mode a client sends (README, group shares).
  [TestClientSetuid]=setuid
)
ossh_pass=$(awk '$2 == "PASS" { print $1 }' "$G/openssh" 2>/dev/null | tr '\n' ' ')
sftpd_pass=$(awk '$2 == "PASS" { print $1 }' "$G/sftpd" 2>/dev/null | tr '\n' ' ')
log "  passed against sftp-server ($(wc -w <<<"$ossh_pass")): $ossh_pass"
log "  failed against sftp-server: $(awk '$2 == "FAIL" { printf "%s ", $1 }' "$G/openssh" 2>/dev/null)"
# TestGlob fails against both: it globs the package's own source files
# relative to the working directory, which has to be /tmp here.
log "  skipped against sftpd (root, or the Go server, needed): $(awk '$2 == "SKIP" { printf "%s ", $1 }' "$G/sftpd" 2>/dev/null)"
log "  passed against sftpd ($(wc -w <<<"$sftpd_pass")): $sftpd_pass"
log "  failed against sftpd: $(awk '$2 == "FAIL" { printf "%s ", $1 }' "$G/sftpd" 2>/dev/null)"
if (($(wc -w <<<"$ossh_pass") >= 40)); then pass "pkg/sftp: at least 40 tests pass against sftp-server"
else fail "pkg/sftp: at least 40 tests pass against sftp-server" "$(tail -c 800 "$G/openssh.log" 2>&1)"; fi
lost=() intended=()
for t in $ossh_pass; do
  [[ " $sftpd_pass " == *" $t "* ]] && continue
  if [[ -n ${GO_INTENDED[$t]:-} ]]; then intended+=("$t"); else lost+=("$t"); fi
done
log "  intended differences that failed against sftpd: ${intended[*]}"
if ((${#lost[@]} == 0)); then pass "pkg/sftp: every test that passes against sftp-server passes against sftpd"
else
  details=()
  for t in "${lost[@]}"; do
    details+=("$t: $(sed -n "/^=== RUN   $t\$/,/^--- /p" "$G/sftpd.log" | grep -v '^===' | head -5 | tr '\n' ' ')")
  done
  fail "pkg/sftp: every test that passes against sftp-server passes against sftpd" "${details[@]}"
fi

finish
