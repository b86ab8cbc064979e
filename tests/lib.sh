# Shared helpers for the cross-process tests (sourced, not run).
#
# Each test script takes the sftpd binary as $1, creates one temp dir under
# /tmp (removed by an EXIT trap), creates or reuses the test users sftpdt1..3,
# and records every check: a failed check is reported and counted, the script
# goes on, and `finish` exits 1 if any check failed. Every wait is bounded.
#
# SFTPD_SERVER_CMD, if set, replaces "$SFTPD --stdio --config $CFG" as the
# server sftp talks to (e.g. /usr/lib/openssh/sftp-server) to debug the
# harness itself; most product checks then fail, by design.

set -euo pipefail

readonly T_USER1=sftpdt1        # the main test user (a [users.*] entry)
readonly T_USER2=sftpdt2        # a second user, admitted through a group
readonly T_USER3=sftpdt3        # a user in no entry: always refused
readonly T_GROUP=sftpdtg        # the group that grants sftpdt2
readonly T_HOMES=/tmp/sftpdt-homes
readonly T_LOCAL_ADDR="127.0.0.1 40022 127.0.0.1 22"

T_FAILS=0
T_CHECKS=0
T_NAME=$(basename "$0" .sh)
T_START=$SECONDS
T_CLEANUPS=()

log() { printf '[%s] %s\n' "$T_NAME" "$*"; }
die() { printf '[%s] FATAL: %s\n' "$T_NAME" "$*" >&2; exit 2; }

pass() { T_CHECKS=$((T_CHECKS + 1)); printf '  ok   %s\n' "$1"; }
fail() {
  T_CHECKS=$((T_CHECKS + 1)); T_FAILS=$((T_FAILS + 1))
  printf '  FAIL %s\n' "$1"
  shift
  local line
  for line in "$@"; do printf '       %s\n' "$line"; done
}

# check DESC CMD...: passes when CMD exits 0.
check() {
  local desc=$1; shift
  if "$@"; then pass "$desc"; else fail "$desc" "command: $*"; fi
}

# check_not DESC CMD...: passes when CMD exits non-zero.
check_not() {
  local desc=$1; shift
  if "$@"; then fail "$desc" "unexpectedly succeeded: $*"; else pass "$desc"; fi
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
  if [[ "$2" == "$3" ]]; then pass "$1"
  else fail "$1" "expected: $(printf '%q' "$2")" "actual:   $(printf '%q' "$3")"; fi
}

# Files where the server's stderr lands (the daemon's logs, the stdio
# sessions' stderr): finish fails the test if a sanitizer reported in one,
# so a report from a process whose end the checks did not see still counts.
T_SERVER_LOGS=()
sanitizer_reports() {
  local f
  for f in "${T_SERVER_LOGS[@]}"; do
    [[ -f $f ]] || continue
    if grep -Eq 'ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error: ' "$f"; then
      fail "no sanitizer report in $f" "$(grep -E -A12 'Sanitizer|runtime error: ' "$f" | head -n 40)"
    fi
  done
}

finish() {
  sanitizer_reports
  log "$T_CHECKS checks, $T_FAILS failed, $((SECONDS - T_START)) s"
  if ((T_FAILS > 0)); then exit 1; fi
  exit 0
}

# Runs at exit, in reverse order of registration.
at_exit() { T_CLEANUPS=("$*" "${T_CLEANUPS[@]}"); }
run_cleanups() {
  local c
  for c in "${T_CLEANUPS[@]}"; do eval "$c" || true; done
}
trap run_cleanups EXIT

# setup_common SFTPD: checks the binary, makes $TMP (0755, so the test users
# can reach their files in it), and the users. Sets SFTPD, TMP.
setup_common() {
  [[ $# -ge 1 && -n "$1" ]] || die "usage: $0 /path/to/sftpd"
  [[ $(id -u) -eq 0 ]] || die "must run as root (creates users, runs sshd)"
  SFTPD=$(readlink -f "$1")
  [[ -x "$SFTPD" ]] || die "not executable: $1"
  TMP=$(mktemp -d "/tmp/sftpdt-$T_NAME.XXXXXX")
  T_SERVER_LOGS+=("$TMP/sessions.err")
  chmod 0755 "$TMP"
  at_exit "rm -rf --one-file-system '$TMP'"
  OUT="$TMP/last.out" ERR="$TMP/last.err"
  ensure_users
  log "sftpd: $SFTPD ($(timeout 5 "$SFTPD" --version </dev/null 2>&1 | head -1 || true))"
}

# Creates the test users if absent; reuses them if present. Homes under /tmp.
# Password field "*": no password login, but not "locked" for sshd's key auth.
ensure_users() {
  mkdir -p "$T_HOMES"
  chmod 0755 "$T_HOMES"
  getent group "$T_GROUP" >/dev/null || groupadd "$T_GROUP"
  local u
  for u in "$T_USER1" "$T_USER2" "$T_USER3"; do
    if ! id "$u" >/dev/null 2>&1; then
      useradd -M -d "$T_HOMES/$u" -s /bin/bash "$u"
    fi
    usermod -p '*' "$u"
    mkdir -p "$T_HOMES/$u"
    chown "$u:" "$T_HOMES/$u"
    chmod 0755 "$T_HOMES/$u"
  done
  id -nG "$T_USER2" | grep -qw "$T_GROUP" || usermod -aG "$T_GROUP" "$T_USER2"
}

# install_config PATH: takes the config text on stdin; root-owned, 0644, as
# sftpd requires.
install_config() {
  mkdir -p "$(dirname "$1")"
  cat >"$1"
  chown root:root "$1"
  chmod 0644 "$1"
}

# server_cmd CFG: the command line sftp -D runs (split by sftp, no shell).
server_cmd() {
  if [[ -n "${SFTPD_SERVER_CMD:-}" ]]; then
    printf '%s' "$SFTPD_SERVER_CMD"
  else
    printf '%s --stdio --config %s' "$SFTPD" "$1"
  fi
}

# sftp_as USER CFG ADDR [sftp options...] < batch
#   Runs `sftp -b -` as USER against the server command, the batch on stdin,
#   from the working directory $TMP/work/USER (the user's local side).
#   ADDR is the SSH_CONNECTION value; "" leaves it (and SSH_CLIENT) unset.
#   Output goes to the files $OUT and $ERR (fixed names, so this also works
#   at the end of a pipeline); returns sftp's status.
sftp_as() {
  local user=$1 cfg=$2 addr=$3; shift 3
  local wd="$TMP/work/$user"
  if [[ ! -d "$wd" ]]; then
    mkdir -p "$wd"; chown "$user:" "$wd"; chmod 0755 "$wd"
  fi
  local envs=(-u SSH_CONNECTION -u SSH_CLIENT -u SSH_ORIGINAL_COMMAND)
  [[ -n "$addr" ]] && envs+=("SSH_CONNECTION=$addr")
  local rc=0
  (cd "$wd" && timeout 30 runuser -u "$user" -- env "${envs[@]}" \
      sftp -q -b - -D "$(server_cmd "$cfg")" "$@") >"$OUT" 2>"$ERR" || rc=$?
  if ((rc == 124)); then log "sftp as $user timed out"; echo "sftp timed out" >>"$ERR"; fi
  cat "$ERR" >>"$TMP/sessions.err"
  return $rc
}

# sftp1 USER CFG CMD: one command in its own session, from 127.0.0.1.
sftp1() { printf '%s\n' "$3" | sftp_as "$1" "$2" "$T_LOCAL_ADDR"; }

# expect_ok DESC USER CFG CMD / expect_fail DESC USER CFG CMD
#   One command in its own sftp session; checks the exit status, and shows
#   the session's stderr when the outcome is wrong.
expect_ok() {
  if sftp1 "$2" "$3" "$4"; then pass "$1"
  else fail "$1" "sftp> $4 (as $2) exited non-zero" "$(head -c 600 "$ERR")"; fi
}
# A refusal must be an SFTP error reply; a session that dies (server crash,
# refused login, timeout) proves nothing and counts as a failure.
session_died() { grep -Eq 'Connection closed|Couldn.t read packet|Broken pipe|timed out' "$ERR"; }
expect_fail() {
  if sftp1 "$2" "$3" "$4"; then
    fail "$1" "sftp> $4 (as $2) succeeded" "$(head -c 600 "$OUT")"
  elif session_died; then
    fail "$1" "sftp> $4 (as $2): the session died instead of an error reply" "$(head -c 600 "$ERR")"
  else pass "$1"; fi
}

# expect_fail_msg DESC USER CFG CMD REGEX: fails, and stderr matches REGEX.
expect_fail_msg() {
  if sftp1 "$2" "$3" "$4"; then
    fail "$1" "sftp> $4 (as $2) succeeded" "$(head -c 600 "$OUT")"
  elif session_died; then
    fail "$1" "sftp> $4 (as $2): the session died instead of an error reply" "$(head -c 600 "$ERR")"
  elif grep -Eq -- "$5" "$ERR"; then pass "$1"
  else fail "$1" "sftp> $4 failed, but stderr lacks /$5/:" "$(head -c 600 "$ERR")"; fi
}

# snapshot DIR: a listing of everything under DIR with type, mode, owner,
# size, mtime and content hash; equal snapshots mean nothing was touched.
snapshot() {
  (cd "$1" && find . -printf '%p %y %m %u %s %T@ %l\n' | LC_ALL=C sort &&
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# mkfile PATH SIZE_KIB OWNER: random content.
mkfile() {
  head -c "$(($2 * 1024))" /dev/urandom >"$1"
  chown "$3:" "$1"
}

# port_listening PORT: something accepts connections on 127.0.0.1:PORT.
port_listening() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# start_sshd CONFIG LOG PORT [WRAPPER...]: a real OpenSSH sshd -D with
# CONFIG (stderr to LOG) until the test ends; returns once it listens on
# 127.0.0.1:PORT (5 s at most). WRAPPER, if given, runs sshd (it must exec
# it, so the pid is sshd's).
start_sshd() {
  local cfg=$1 sshd_log=$2 port=$3 pid i
  "${@:4}" /usr/sbin/sshd -D -e -f "$cfg" 2>"$sshd_log" &
  pid=$!
  at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
  for ((i = 0; i < 50; i++)); do
    port_listening "$port" && return 0
    kill -0 "$pid" 2>/dev/null || die "sshd exited: $(cat "$sshd_log")"
    sleep 0.1
  done
  die "sshd does not listen on $port"
}

# sshd_base_config DIR PORT USERS: the sshd_config lines the sshd tests
# share: port PORT on 127.0.0.1, host key DIR/host_key, keys in
# DIR/keys/%u, public keys only, no PAM, only USERS (space-separated) let in,
# and SUBSYSTEM (default internal-sftp) as the sftp subsystem (sshd refuses
# a second Subsystem line for the same name). The caller appends its own
# lines.
sshd_base_config() {
  cat <<EOF
Port $2
ListenAddress 127.0.0.1
HostKey $1/host_key
PidFile none
UsePAM no
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $1/keys/%u
AllowUsers $3
LogLevel VERBOSE
Subsystem sftp ${4:-internal-sftp}
EOF
  # Under the sanitizers the sessions sshd starts get the test's
  # ASAN_OPTIONS (no leak check: tests/CMakeLists.txt says why); sshd passes
  # them nothing of its own environment, and a leak check that cannot run
  # ends the session with status 1, which scp reports.
  if [[ -n ${ASAN_OPTIONS:-} ]]; then echo "SetEnv ASAN_OPTIONS=$ASAN_OPTIONS"; fi
}

# The client options for a test sshd and key KEY: no host key checks, no
# prompts, quiet.
sshd_client_opts() {
  SSH_OPTS=(-o IdentityFile="$1" -o IdentitiesOnly=yes
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
    -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=10)
}

# free_loopback_port: prints a port nothing listens on (bounded random scan).
free_loopback_port() {
  local i p
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + (RANDOM % 20000)))
    if ! port_listening "$p"; then echo "$p"; return 0; fi
  done
  return 1
}

# A link with a round trip, between two network namespaces: the server's
# side has DL_SERVER_ADDR, the client's DL_CLIENT_ADDR (TEST-NET-2), joined
# by tests/delay_line (netem's delay and loss without netem). The MTU is
# 9000 (jumbo frames): a sixth of the packets of 1500 for the delay line to
# move, and still many segments per window. (At 65000 a window of one
# segment kept Linux's receive autotuning from growing for many seconds.)
# A loss rate is per packet.
readonly DL_SERVER_ADDR=198.51.100.1
readonly DL_CLIENT_ADDR=198.51.100.2
DL_PID=''
# delay_line_start BIN NS_SERVER NS_CLIENT ONE_WAY_US [LOSS_PPM]: creates
# the two namespaces (if absent; removing them is the caller's), starts
# the delay line (killed by delay_line_stop, or at exit) and gives each
# side its address. Restarting it with other figures keeps the
# namespaces, and sockets bound in them, in place.
delay_line_start() {
  local bin=$1 ns_s=$2 ns_c=$3 us=$4 ppm=${5:-0} i out
  [[ -z $DL_PID ]] || die "delay_line_start: one is running ($DL_PID)"
  for i in "$ns_s" "$ns_c"; do
    [[ -e /run/netns/$i ]] || ip netns add "$i"
    ip -n "$i" link set lo up
  done
  out=$(mktemp)
  "$bin" "dls$$" "dlc$$" "$us" "$ppm" >"$out" &
  DL_PID=$!
  at_exit "delay_line_stop"
  for ((i = 0; i < 50; i++)); do
    grep -qx ready "$out" && break
    kill -0 "$DL_PID" 2>/dev/null || die "delay_line exited"
    sleep 0.1
  done
  rm -f "$out"
  ((i < 50)) || die "delay_line is not ready after 5 s"
  ip link set "dls$$" netns "$ns_s"
  ip link set "dlc$$" netns "$ns_c"
  ip -n "$ns_s" addr add "$DL_SERVER_ADDR" peer "$DL_CLIENT_ADDR" dev "dls$$"
  ip -n "$ns_c" addr add "$DL_CLIENT_ADDR" peer "$DL_SERVER_ADDR" dev "dlc$$"
  for i in "$ns_s:dls$$" "$ns_c:dlc$$"; do
    ip -n "${i%%:*}" link set "${i#*:}" mtu 9000 up
  done
}
# delay_line_stop: ends the delay line (its counts go to stderr); the
# devices vanish with it.
delay_line_stop() {
  [[ -n $DL_PID ]] || return 0
  kill "$DL_PID" 2>/dev/null || true
  timeout 5 tail --pid="$DL_PID" -f /dev/null || true
  DL_PID=''
}

# start_sftpd_serve CFG PORT LOG [prefix command...]: starts `sftpd serve`
# in the background of the calling shell (so `wait "$DPID"` gives its exit
# status) and waits until it listens on PORT; sets DPID. Killed at exit.
# CFG must set a control_socket under $TMP.
start_sftpd_serve() {
  local cfg=$1 port=$2 logf=$3; shift 3
  # Without one the daemon makes /run/sftpd, and package_test, which needs
  # a machine without it, would be skipped from then on.
  grep -Eq "^control_socket = \"$TMP/" "$cfg" ||
    die "$cfg sets no [server] control_socket under $TMP (sftpd serve would use /run/sftpd); daemon_config sets one"
  "$@" "$SFTPD" serve --config "$cfg" 2>"$logf" &
  DPID=$!
  T_SERVER_LOGS+=("$logf")
  at_exit "kill $DPID 2>/dev/null; timeout 5 tail --pid=$DPID -f /dev/null"
  local i
  for ((i = 0; i < 50; i++)); do
    port_listening "$port" && return 0
    kill -0 "$DPID" 2>/dev/null || die "sftpd serve exited: $(cat "$logf")"
    sleep 0.1
  done
  die "sftpd serve does not listen on $port: $(cat "$logf")"
}

# daemon_config PORT ["SECTION: LINE"...]: the [server], [auth] and [audit]
# tables a daemon test's config starts with: listening on 127.0.0.1:PORT,
# host key $TMP/hk/host_key, the control socket (and the pid file beside
# it) in $TMP/ctl, never /run/sftpd; public keys only, from $K/%u; the
# trail in $AUDIT. Each extra "server: LINE" (or "auth: ", "audit: ") adds
# LINE to that table; a LINE that sets one of those keys replaces its
# default. The caller appends its exports and grants.
daemon_config() {
  local port=$1 extra section line; shift
  local -A more=([server]="" [auth]="" [audit]="") given=()
  for extra in "$@"; do
    section=${extra%%: *}
    [[ -v "more[$section]" && $extra == *": "* ]] || die "daemon_config: bad line '$extra'"
    line=${extra#*: }
    given[$section.${line%%[ =]*}]=1
    more[$section]+=$line$'\n'
  done
  local -A defaults=(
    [server]="listen = [\"127.0.0.1:$port\"]
host_keys = [\"$TMP/hk/host_key\"]
control_socket = \"$TMP/ctl/control.sock\""
    [auth]="methods = [\"publickey\"]
authorized_keys = [\"$K/%u\"]"
    [audit]="log = \"$AUDIT\"")
  for section in server auth audit; do
    printf '[%s]\n' "$section"
    while IFS= read -r line; do
      [[ -v "given[$section.${line%% *}]" ]] || printf '%s\n' "$line"
    done <<<"${defaults[$section]}"
    printf '%s\n' "${more[$section]}"
  done
}

# Client options for the daemon tests: the given key only, any host key, no
# prompts, quiet.
DAEMON_SSH_OPTS=(-o IdentitiesOnly=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR
  -o ConnectTimeout=10)

# dsftp KEY [options] USER@HOST < batch: an sftp batch against the daemon
# on 127.0.0.1:$PORT; output in $OUT and $ERR; returns sftp's status.
dsftp() {
  local key=$1; shift
  timeout 30 sftp -q "${DAEMON_SSH_OPTS[@]}" -i "$key" -P "$PORT" -b - "$@" \
    >"$OUT" 2>"$ERR"
}

# dssh KEY [ssh args...]: ssh against the daemon on 127.0.0.1:$PORT.
dssh() {
  local key=$1; shift
  timeout 20 ssh "${DAEMON_SSH_OPTS[@]}" -i "$key" -p "$PORT" "$@"
}

# The daemon tests' helpers: they use DPID (start_sftpd_serve), DLOG (its
# log) and AUDIT (its audit file).
# daemon_children: the listener's children (a process per connection), one
# pid a line.
daemon_children() { pgrep -P "$DPID" || true; }
# wait_daemon_children N [SECONDS]: waits (bounded, default 10 s) until the
# listener has exactly N children. It reaps once a second, so allow a few.
wait_daemon_children() {
  local i
  for ((i = 0; i < ${2:-10} * 10; i++)); do
    [[ $(daemon_children | wc -l) -eq $1 ]] && return 0
    sleep 0.1
  done
  return 1
}
# audit_count PATTERN [FILE]: lines of the audit file matching PATTERN.
audit_count() { grep -c -- "$1" "${2:-$AUDIT}" 2>/dev/null || true; }
# wait_audit PATTERN [FILE]: waits (bounded, 10 s) for a matching line.
wait_audit() {
  local i
  for ((i = 0; i < 100; i++)); do
    [[ $(audit_count "$@") -gt 0 ]] && return 0
    sleep 0.1
  done
  return 1
}
# daemon_hup: sends SIGHUP and waits (bounded, 10 s) for the daemon's
# answer in its log: the config reloaded, or the previous one kept.
daemon_hup() {
  local done_re='SIGHUP: (reloaded|.*keeping the previous)' before i
  before=$(grep -Ec "$done_re" "$DLOG" || true)
  kill -HUP "$DPID"
  for ((i = 0; i < 100; i++)); do
    (($(grep -Ec "$done_re" "$DLOG" || true) > before)) && return 0
    sleep 0.1
  done
  return 1
}
# dsftp_slow KEY KBITS USER@HOST OUT BATCH: the sftp BATCH (commands, one a
# line) against the daemon on 127.0.0.1:$PORT at KBITS kbit/s, in the
# background and in a process group of its own (`kill -- -$BG` stops its
# sftp and ssh together; killed at exit, bounded by 120 s); its output in
# OUT. Sets BG.
dsftp_slow() {
  setsid timeout 120 sftp -q "${DAEMON_SSH_OPTS[@]}" -l "$2" -i "$1" \
    -P "$PORT" -b - "$3" <<<"$5" >"$4" 2>&1 &
  BG=$!
  at_exit "kill -KILL -- -$BG 2>/dev/null"
}
