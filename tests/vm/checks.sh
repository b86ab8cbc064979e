# The checks inside the VM (busybox sh, run by /init as root): load the
# sftpd profile, then run OpenSSH sftp sessions against `sftpd --stdio` as
# two users and show what the AppArmor hat alone enforces. The namespace and
# Landlock layers are switched off (SFTPD_TEST_LAYERS_OFF, a test build), so
# only DAC and AppArmor stand between a session and the files; every denial
# must show up in the kernel log as an apparmor="DENIED" line of the user's
# hat, and a control shows the same request succeeding when no profile
# confines the server (the same binary run from a path the profile does not
# attach to, and at the end with the profile unloaded).
#
# Prints "VMTEST: ok DESC" / "VMTEST: FAIL DESC" (then "VMTEST:   detail"
# lines) per check and "VMTEST-RESULT: pass N fail M" at the end.
# /vmtest/vmtest.env sets SRV (the exports' parent: own/ shared/ ro/), CFG,
# AUDIT, and U1, U1_UID, U1_GID, U1_GROUPS, likewise U2.

. /vmtest/vmtest.env
N_PASS=0
N_FAIL=0
OUTSIDE=/outside   # in no export
OFF_AA=namespace,landlock           # only DAC and AppArmor left
SERVER="/usr/sbin/sftpd --stdio --config $CFG"
# The same binary at a path the profile does not attach to: the control
# runs with the same layers off, and no AppArmor profile.
FREE=/opt/unconfined/sftpd
FREE_SERVER="$FREE --stdio --config $CFG"

detail() { sed 's/^/VMTEST:   /'; }
ok() { N_PASS=$((N_PASS + 1)); echo "VMTEST: ok $1"; }
bad() {
  N_FAIL=$((N_FAIL + 1))
  echo "VMTEST: FAIL $1"
  shift
  for l in "$@"; do printf '%s\n' "$l" | detail; done
}
finish() {
  echo "VMTEST-RESULT: pass $N_PASS fail $N_FAIL"
  exit 0
}
fatal() { bad "$@"; finish; }

# ids USER: sets uid, gid and groups of U1 or U2's name.
ids() {
  if [ "$1" = "$U1" ]; then uid=$U1_UID gid=$U1_GID groups=$U1_GROUPS
  else uid=$U2_UID gid=$U2_GID groups=$U2_GROUPS; fi
}

# sess USER OFF CMD...: one sftp session as USER (from /work/USER, its local
# side) with SFTPD_TEST_LAYERS_OFF=OFF, the CMDs as its batch. Output in
# /tmp/out and /tmp/err; returns sftp's status. $server is the server command
# (default $SERVER).
sess() {
  u=$1 off=$2
  shift 2
  srv=${server:-$SERVER}
  ids "$u"
  printf '%s\n' "$@" >/tmp/batch
  chmod 0644 /tmp/batch
  (cd "/work/$u" && SFTPD_TEST_LAYERS_OFF=$off timeout 30 \
    /usr/bin/setpriv --reuid="$uid" --regid="$gid" --groups="$groups" -- \
    sftp -q -b /tmp/batch -D "$srv") >/tmp/out 2>/tmp/err
}

session_died() {
  grep -Eq 'Connection closed|Couldn.t read packet|Broken pipe|refused' /tmp/err
}

# denied DESC USER PATH CMD...: with only DAC and AppArmor on, the batch
# fails with an SFTP error (the session lives on), and the kernel logged an
# AppArmor denial of PATH (a prefix of name="...") by the hat sftpd//USER.
# The matching log line is printed as evidence.
denied() {
  desc=$1 u=$2 path=$3
  shift 3
  dmesg -c >/dev/null
  if sess "$u" "$OFF_AA" "$@"; then
    bad "$desc" "succeeded as $u: $*" "$(cat /tmp/out)"
    return
  fi
  dmesg >/tmp/dmesg
  line=$(grep 'apparmor="DENIED"' /tmp/dmesg | grep -F "profile=\"sftpd//$u\"" |
    grep -F "name=\"$path" | head -1)
  if session_died; then
    bad "$desc" "the session died instead of an error reply: $*" "$(cat /tmp/err)"
  elif [ -z "$line" ]; then
    bad "$desc" "refused, but no AppArmor denial of $path by sftpd//$u" \
      "sftp: $(cat /tmp/err)" "kernel log:" "$(grep -i apparmor /tmp/dmesg)"
  else
    ok "$desc"
    echo "${line#*audit: }" | detail
  fi
}

# allowed DESC USER OFF CMD...: the batch succeeds.
allowed() {
  desc=$1 u=$2 off=$3
  shift 3
  dmesg -c >/dev/null
  if sess "$u" "$off" "$@"; then
    ok "$desc"
  else
    bad "$desc" "failed as $u (layers off: $off): $*" "$(cat /tmp/err)" \
      "$(dmesg | grep 'apparmor="DENIED"')"
  fi
}

# control DESC USER CMD...: the batch succeeds with the same layers off as in
# `denied`, served by the copy of sftpd no profile confines.
control() {
  desc=$1 u=$2
  shift 2
  : >"$AUDIT"
  server=$FREE_SERVER allowed "control: $desc" "$u" "$OFF_AA" "$@"
  if ! grep '"op":"login"' "$AUDIT" | grep -q "apparmor unconfined"; then
    bad "control: $desc: the session was unconfined" \
      "no 'apparmor unconfined' login in $AUDIT:" "$(cat "$AUDIT")"
  fi
}

# same_text DESC FILE TEXT: FILE holds exactly the line TEXT.
same_text() {
  if [ "$(cat "$2" 2>&1)" = "$3" ]; then ok "$1"
  else bad "$1" "$2 holds '$(cat "$2" 2>&1)', expected '$3'"; fi
}
absent() {
  if [ -e "$2" ] || [ -L "$2" ]; then bad "$1" "$2 exists"; else ok "$1"; fi
}

# hat_of USER OFF: starts a session as USER whose batch comes from a fifo,
# waits until it has answered `ls /`, and prints the session process's
# AppArmor label (/proc/PID/attr/current), then ends the session.
hat_of() {
  u=$1 off=$2
  ids "$u"
  rm -f /tmp/fifo /tmp/long
  mkfifo -m 0644 /tmp/fifo
  (cd "/work/$u" && SFTPD_TEST_LAYERS_OFF=$off timeout 30 \
    /usr/bin/setpriv --reuid="$uid" --regid="$gid" --groups="$groups" -- \
    sftp -q -b /tmp/fifo -D "$SERVER") >/tmp/long 2>&1 &
  exec 7>/tmp/fifo
  # "-": a refusal does not end the batch, so the session stays up.
  echo "-ls /" >&7
  i=0
  # Until ls has answered (a line after the echoed command) or sftp ended.
  while [ $i -lt 200 ] && [ "$(grep -vc '^sftp>' /tmp/long)" = 0 ] &&
      kill -0 $! 2>/dev/null; do
    sleep 0.1
    i=$((i + 1))
  done
  label=unknown
  for pid in $(pidof sftpd); do
    [ "$(stat -c %u "/proc/$pid")" = "$uid" ] && label=$(cat "/proc/$pid/attr/current")
  done
  echo bye >&7
  exec 7>&-
  wait
  echo "$label"
}

# --- the kernel and the profile ---------------------------------------------

[ -d /sys/kernel/security/apparmor ] ||
  fatal "AppArmor is active in the kernel" \
    "/sys/kernel/security/apparmor is missing: $(cat /sys/kernel/security/lsm 2>&1)"
ok "AppArmor is active in the kernel ($(cat /sys/kernel/security/lsm))"

if apparmor_parser -r -K /vmtest/sftpd.profile >/tmp/parser 2>&1; then
  ok "apparmor_parser -r loads the profile"
else
  fatal "apparmor_parser -r loads the profile" "$(cat /tmp/parser)"
fi
profiles=$(cat /sys/kernel/security/apparmor/profiles)
for p in "sftpd (enforce)" "sftpd//$U1 (enforce)" "sftpd//$U2 (enforce)"; do
  if printf '%s\n' "$profiles" | grep -qxF "$p"; then ok "the kernel lists $p"
  else bad "the kernel lists $p" "profiles:" "$profiles"; fi
done

# --- the files ----------------------------------------------------------------

for u in "$U1" "$U2"; do
  ids "$u"
  mkdir -p "/work/$u"
  echo "from $u" >"/work/$u/mine"
  chown -R "$uid:$gid" "/work/$u"
done
: >"$AUDIT"
chmod 0666 "$AUDIT"
mkdir -p "$SRV/own" "$SRV/shared" "$SRV/ro/dir" "$OUTSIDE"
chmod 1777 "$SRV/own"
chmod 0777 "$SRV/shared" "$SRV/ro" "$SRV/ro/dir" "$OUTSIDE"
ids "$U1"; echo "private $U1" >"$SRV/own/f1"; chown "$uid:$gid" "$SRV/own/f1"
ids "$U2"; echo "private $U2" >"$SRV/own/f2"; chown "$uid:$gid" "$SRV/own/f2"
echo seed >"$SRV/shared/seed"
echo "read only" >"$SRV/ro/file"
echo secret >"$OUTSIDE/secret"
chmod 0666 "$SRV/own/f1" "$SRV/own/f2" "$SRV/shared/seed" "$SRV/ro/file"
chmod 0644 "$OUTSIDE/secret"
# Ways out that only root can plant: sftp itself cannot leave an export.
ln -s "$OUTSIDE/secret" "$SRV/shared/esc-file"
ln -s "$OUTSIDE" "$SRV/shared/esc-dir"
ln -s ../../../../../../../../../..$OUTSIDE/secret "$SRV/own/esc-rel"
ln -s "$OUTSIDE/secret" "$SRV/ro/esc-ro"
ids "$U1"
echo "$U1 outside" >"$OUTSIDE/own-$U1"
chown "$uid:$gid" "$OUTSIDE/own-$U1"
chmod 0644 "$OUTSIDE/own-$U1"
ln -s "$OUTSIDE/own-$U1" "$SRV/shared/esc-own"
echo "$U1 in ro" >"$SRV/ro/own-$U1"
chown "$uid:$gid" "$SRV/ro/own-$U1"
chmod 0644 "$SRV/ro/own-$U1"
mkdir -p "$(dirname "$FREE")"
cp /usr/sbin/sftpd "$FREE"

# --- the session runs in the user's hat -------------------------------------

for u in "$U1" "$U2"; do
  label=$(hat_of "$u" "")
  if [ "$label" = "sftpd//$u (enforce)" ]; then
    ok "a session of $u (all layers on) runs as $label"
  else
    bad "a session of $u (all layers on) runs in the hat sftpd//$u" \
      "/proc/PID/attr/current: $label" "$(cat /tmp/long)"
  fi
  if grep '"op":"login"' "$AUDIT" | grep -F "\"user\":\"$u\"" |
      grep -qF "apparmor sftpd^$u"; then
    ok "the audit login event of $u says 'apparmor sftpd^$u'"
  else
    bad "the audit login event of $u says 'apparmor sftpd^$u'" "$AUDIT:" \
      "$(cat "$AUDIT")" "$(dmesg | grep 'apparmor="DENIED"')"
  fi
done

# The test build honours the layer switches (a plain build refuses them).
: >"$AUDIT"
if sess "$U1" "$OFF_AA" "ls /" &&
    grep '"op":"login"' "$AUDIT" | grep -q "layers off: $OFF_AA\""; then
  ok "sftpd switches the $OFF_AA layers off (a -DSFTPD_TEST_HOOKS=ON build)"
else
  fatal "sftpd switches the $OFF_AA layers off" \
    "is it built with -DSFTPD_TEST_HOOKS=ON?" "$(cat /tmp/err)" "$(cat "$AUDIT")"
fi
label=$(hat_of "$U1" apparmor)
if [ "$label" = "sftpd (enforce)" ]; then
  ok "with the hat change switched off, the session stays in profile sftpd"
else
  bad "with the hat change switched off, the session stays in profile sftpd" \
    "/proc/PID/attr/current: $label" "$(cat /tmp/long)"
fi

# --- owner_only: the other user's file, though 0666 ---------------------------

denied "owner_only: $U1 cannot read $U2's 0666 file" "$U1" "$SRV/own/f2" \
  "get /own/f2 got"
denied "owner_only: $U1 cannot write $U2's 0666 file" "$U1" "$SRV/own/f2" \
  "put mine /own/f2"
denied "owner_only: $U2 cannot read $U1's 0666 file" "$U2" "$SRV/own/f1" \
  "get /own/f1 got"
denied "owner_only: $U2 cannot write $U1's 0666 file" "$U2" "$SRV/own/f1" \
  "put mine /own/f1"
same_text "owner_only: $U2's file is unchanged" "$SRV/own/f2" "private $U2"
same_text "owner_only: $U1's file is unchanged" "$SRV/own/f1" "private $U1"

allowed "owner_only: $U1 reads its own file" "$U1" "$OFF_AA" "get /own/f1 got"
same_text "owner_only: $U1 got its own file" "/work/$U1/got" "private $U1"
allowed "owner_only: $U1 writes its own file and creates one" "$U1" "$OFF_AA" \
  "put mine /own/f1" "put mine /own/new-$U1"
same_text "owner_only: $U1's write landed" "$SRV/own/f1" "from $U1"
same_text "owner_only: $U1's new file is there" "$SRV/own/new-$U1" "from $U1"
allowed "owner_only: $U2 reads and writes its own file" "$U2" "$OFF_AA" \
  "get /own/f2 got" "put mine /own/f2"
same_text "owner_only: $U2 got its own file" "/work/$U2/got" "private $U2"
same_text "owner_only: $U2's write landed" "$SRV/own/f2" "from $U2"

rm -f "/work/$U1/got"
control "unconfined, $U1 reads $U2's file" "$U1" "get /own/f2 got"
same_text "control: $U1 got $U2's file" "/work/$U1/got" "$(cat "$SRV/own/f2")"
control "unconfined, $U2 writes $U1's file" "$U2" "put mine /own/f1"
same_text "control: $U2's write to $U1's file landed" "$SRV/own/f1" "from $U2"

# --- nothing outside the exports, whatever a symlink says ---------------------

denied "outside: $U1 cannot read through an absolute symlink in /shared" \
  "$U1" "$OUTSIDE/secret" "get /shared/esc-file got"
denied "outside: $U1 cannot write through a symlinked directory in /shared" \
  "$U1" "$OUTSIDE/planted" "put mine /shared/esc-dir/planted"
absent "outside: nothing was planted outside" "$OUTSIDE/planted"
denied "outside: $U2 cannot read through a ../../.. symlink in /own" \
  "$U2" "$OUTSIDE/secret" "get /own/esc-rel got"
denied "outside: $U2 cannot list a symlinked directory in /shared" \
  "$U2" "$OUTSIDE/" "ls /shared/esc-dir/*"
denied "outside: $U1 cannot read through a symlink in /ro" \
  "$U1" "$OUTSIDE/secret" "get /ro/esc-ro got"
# Landlock does not mediate attribute changes; the hat does (as a write).
denied "outside: $U1 cannot chmod its own outside file through a symlink" \
  "$U1" "$OUTSIDE/own-$U1" "chmod 600 /shared/esc-own"
mode=$(stat -c %a "$OUTSIDE/own-$U1")
if [ "$mode" = 644 ]; then ok "outside: its mode is still 644"
else bad "outside: its mode is still 644" "mode $mode"; fi

rm -f "/work/$U1/got"
control "unconfined, $U1 reads the outside file" "$U1" \
  "get /shared/esc-file got"
same_text "control: $U1 got the outside file" "/work/$U1/got" secret
control "unconfined, $U1 writes outside" "$U1" \
  "put mine /shared/esc-dir/planted" "ls /shared/esc-dir/*"
same_text "control: the file landed outside" "$OUTSIDE/planted" "from $U1"
control "unconfined, $U1 chmods its outside file" "$U1" "chmod 600 /shared/esc-own"
mode=$(stat -c %a "$OUTSIDE/own-$U1")
if [ "$mode" = 600 ]; then ok "control: its mode is now 600"
else bad "control: its mode is now 600" "mode $mode"; fi

# --- the read-only export -------------------------------------------------------

denied "ro: $U1 cannot overwrite a 0666 file" "$U1" "$SRV/ro/file" \
  "put mine /ro/file"
denied "ro: $U1 cannot create a file in a 0777 directory" "$U1" \
  "$SRV/ro/new" "put mine /ro/new"
denied "ro: $U1 cannot make a directory" "$U1" "$SRV/ro/dir/sub" \
  "mkdir /ro/dir/sub"
denied "ro: $U2 cannot remove a file" "$U2" "$SRV/ro/file" "rm /ro/file"
denied "ro: $U2 cannot rename a file" "$U2" "$SRV/ro/file" \
  "rename /ro/file /ro/dir/moved"
denied "ro: $U1 cannot chmod its own file" "$U1" "$SRV/ro/own-$U1" \
  "chmod 600 /ro/own-$U1"
mode=$(stat -c %a "$SRV/ro/own-$U1")
if [ "$mode" = 644 ]; then ok "ro: its mode is still 644"
else bad "ro: its mode is still 644" "mode $mode"; fi
same_text "ro: the file is unchanged" "$SRV/ro/file" "read only"
absent "ro: no new file" "$SRV/ro/new"
absent "ro: no new directory" "$SRV/ro/dir/sub"
allowed "ro: $U2 reads the file" "$U2" "$OFF_AA" "get /ro/file got"
same_text "ro: $U2 got the file" "/work/$U2/got" "read only"

control "unconfined, $U1 overwrites the ro file and makes a directory" \
  "$U1" "put mine /ro/file" "mkdir /ro/dir/sub"
if [ -d "$SRV/ro/dir/sub" ]; then ok "control: the directory was made"
else bad "control: the directory was made" "$(ls -la "$SRV/ro/dir")"; fi
same_text "control: the ro file was overwritten" "$SRV/ro/file" "from $U1"

# --- the shared export: both users read and write ------------------------------

allowed "shared: $U1 writes a new file" "$U1" "$OFF_AA" \
  "put mine /shared/from-$U1" "chmod 666 /shared/from-$U1"
allowed "shared: $U2 reads it and overwrites the 0666 seed" "$U2" "$OFF_AA" \
  "get /shared/from-$U1 got" "put mine /shared/seed" "mkdir /shared/dir-$U2"
same_text "shared: $U2 got $U1's file" "/work/$U2/got" "from $U1"
allowed "shared: $U1 reads what $U2 wrote" "$U1" "$OFF_AA" "get /shared/seed got"
same_text "shared: $U1 got $U2's write" "/work/$U1/got" "from $U2"
if [ -d "$SRV/shared/dir-$U2" ]; then ok "shared: $U2's directory is there"
else bad "shared: $U2's directory is there" "$(ls -la "$SRV/shared")"; fi

# --- every layer on: still works, still refuses -----------------------------

allowed "all layers: $U1 reads the shared tree" "$U1" "" "get /shared/seed got"
if sess "$U1" "" "get /own/f2 got"; then
  bad "all layers: $U1 cannot read $U2's file" "$(cat /tmp/out)"
elif session_died || ! grep -Eq 'Permission denied|not found' /tmp/err; then
  bad "all layers: $U1 cannot read $U2's file" "no permission-denied reply:" \
    "$(cat /tmp/err)"
else ok "all layers: $U1 cannot read $U2's file"; fi

# --- the daemon under the profile ---------------------------------------------
# `sftpd serve` with every layer on: the listener runs in profile sftpd with
# what it needs (config, host key made on first start, authorized_keys, PAM,
# the audit log, its capabilities), a session lands in its user's hat,
# sftpd sessions and sftpd audit work under the profile too, and the
# profile is denied nothing on the way.

ip link set lo up
dmesg -c >/dev/null
: >"$AUDIT"
/usr/sbin/sftpd serve --config "$CFG" >/tmp/daemon.log 2>&1 &
daemon=$!
i=0
while [ $i -lt 100 ] && ! netstat -ltn 2>/dev/null | grep -q "127.0.0.1:$DPORT "; do
  kill -0 $daemon 2>/dev/null || break
  sleep 0.1
  i=$((i + 1))
done
label=$(cat /proc/$daemon/attr/current 2>&1)
if [ "$label" = "sftpd (enforce)" ]; then ok "the daemon runs as $label"
else bad "the daemon runs in profile sftpd" "label: $label" "$(cat /tmp/daemon.log)"; fi
if [ -s "$HOSTKEY" ]; then ok "the daemon made its host key"
else bad "the daemon made its host key" "$(cat /tmp/daemon.log)"; fi

# dsess USER CMD...: one sftp session with USER's key over loopback.
dsess() {
  u=$1
  shift
  printf '%s\n' "$@" >/tmp/batch
  (cd "/work/$u" && timeout 30 sftp -q -b /tmp/batch -P "$DPORT" \
    -i "/vmtest/keys/$u" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR \
    "$u@127.0.0.1") >/tmp/out 2>/tmp/err
}
rm -f "/work/$U1/got"
echo "daemon $U1" >"/work/$U1/dput"
if dsess "$U1" "put dput /own/dput" "get /own/dput got" "get /shared/seed seed"; then
  ok "a daemon session of $U1 puts and gets"
else
  bad "a daemon session of $U1 puts and gets" "$(cat /tmp/err)" \
    "$(cat /tmp/daemon.log)" "$(dmesg | grep 'apparmor="DENIED"')"
fi
same_text "daemon: the file landed in /own" "$SRV/own/dput" "daemon $U1"
same_text "daemon: and came back" "/work/$U1/got" "daemon $U1"
if [ "$(stat -c %u "$SRV/own/dput" 2>&1)" = "$U1_UID" ]; then
  ok "daemon: the file is $U1's"
else bad "daemon: the file is $U1's" "$(ls -ln "$SRV/own")"; fi
if grep '"op":"login"' "$AUDIT" | grep -F "\"user\":\"$U1\"" |
    grep -qF "apparmor sftpd^$U1"; then
  ok "daemon: the session ran in the hat ('apparmor sftpd^$U1')"
else
  bad "daemon: the session ran in the hat sftpd//$U1" "$(cat "$AUDIT")"
fi
if dsess "$U2" "get /own/f1 got"; then
  bad "daemon: $U2 cannot read $U1's file" "$(cat /tmp/out)"
elif session_died; then
  bad "daemon: $U2 cannot read $U1's file" "no session:" "$(cat /tmp/err)"
else ok "daemon: $U2 cannot read $U1's file"; fi
# The admin's tools run in profile sftpd too (the binary attaches it).
if /usr/sbin/sftpd sessions --config "$CFG" >/tmp/out 2>/tmp/err &&
    grep -q '^SESSION' /tmp/out; then
  ok "sftpd sessions asks the daemon through its control socket"
else bad "sftpd sessions asks the daemon" "$(cat /tmp/err)" "$(cat /tmp/daemon.log)"; fi
if /usr/sbin/sftpd audit --config "$CFG" --user "$U1" --op write --json \
    >/tmp/out 2>/tmp/err && grep -q '"path":"/own/dput"' /tmp/out; then
  ok "sftpd audit reads the trail"
else bad "sftpd audit reads the trail" "$(cat /tmp/err)" "$(cat /tmp/out)"; fi
kill -TERM $daemon
i=0
while [ $i -lt 100 ] && kill -0 $daemon 2>/dev/null; do
  sleep 0.1
  i=$((i + 1))
done
if kill -0 $daemon 2>/dev/null; then
  bad "the daemon stops on SIGTERM" "$(cat /tmp/daemon.log)"
  kill -KILL $daemon
else ok "the daemon stops on SIGTERM"; fi
wait $daemon 2>/dev/null
denials=$(dmesg | grep 'apparmor="DENIED"' | grep -F 'profile="sftpd"')
if [ -z "$denials" ]; then
  ok "the daemon's profile denied it nothing"
else
  bad "the daemon's profile denied it nothing" "$denials"
fi

# --- without the profile, the same request goes through ---------------------------

if apparmor_parser -R /vmtest/sftpd.profile >/tmp/parser 2>&1; then
  ok "apparmor_parser -R removes the profile"
else bad "apparmor_parser -R removes the profile" "$(cat /tmp/parser)"; fi
: >"$AUDIT"
rm -f "/work/$U1/got"
allowed "control: without the profile $U1 reads $U2's file (AppArmor on)" \
  "$U1" "$OFF_AA" "get /own/f2 got"
same_text "control: without the profile $U1 got $U2's file" "/work/$U1/got" \
  "$(cat "$SRV/own/f2")"
if grep -q 'apparmor unconfined' "$AUDIT"; then
  ok "control: the login says 'apparmor unconfined'"
else bad "control: the login says 'apparmor unconfined'" "$(cat "$AUDIT")"; fi

finish
