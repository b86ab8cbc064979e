#!/usr/bin/env bash
# Hostile clients: every attempt to leave an export, write to a read-only
# export, or reach another user's file in an owner_only tree must fail, and
# nothing outside may change or be read. The outside tree is deliberately
# world-writable (and its canary owned by the test user), so only sftpd's own
# confinement stands in the way, not file permissions.
#
# Landlock alone: with SFTPD_TEST_LAYERS_OFF=namespace (a test build, see
# sftpd/sandbox/layers.h) the namespace layer is off and Landlock, with the user's
# uid, must hold by itself. Landlock restricts access by path; it does not
# mediate attribute changes (chmod, chown, times) or know owners, so those
# checks are left to the layers that do (the namespace layer, and AppArmor
# in apparmor_vm_test) and are listed as skipped. With
# SFTPD_TEST_LAYERS_OFF=landlock the namespace layer holds alone, for every
# check.
# Usage: escape_test.sh /path/to/sftpd
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

LANDLOCK_ALONE=0
[[ ",${SFTPD_TEST_LAYERS_OFF:-}," == *,namespace,* ]] && LANDLOCK_ALONE=1
# landlock_can DESC WHY: true unless Landlock alone is being tested, where
# the check for DESC is skipped because of WHY.
landlock_can() {
  ((LANDLOCK_ALONE)) || return 0
  log "  skip $1 (not Landlock's: $2)"
  return 1
}

SRV=$TMP/srv
CFG=$TMP/etc/sftpd.toml
SH=$SRV/shared          # /shared: rw, not owner_only: the namespace layer alone
H=$SRV/users/$T_USER1   # /home: rw, owner_only
AR=$SRV/archive         # /archive: ro
DR=$SRV/drop            # /drop: rw, owner_only, shared by two users
OUTSIDE=$TMP/outside
L=$TMP/work/$T_USER1
SECRET="OUTSIDE-SECRET-$RANDOM$RANDOM"
U1=$T_USER1 U2=$T_USER2

mkdir -p "$SH/sub" "$H" "$AR/sub" "$DR" "$OUTSIDE/dir" "$L"
chown "$U1:" "$SH" "$SH/sub" "$H" "$L"
chmod 0777 "$OUTSIDE" "$OUTSIDE/dir" "$AR" "$AR/sub"
chmod 1777 "$DR"
echo "$SECRET" >"$OUTSIDE/canary"
echo "$SECRET" >"$OUTSIDE/dir/canary"
chown "$U1:" "$OUTSIDE/canary" "$OUTSIDE/dir/canary"
chmod 0666 "$OUTSIDE/canary" "$OUTSIDE/dir/canary"
echo "inside" >"$SH/sub/inner.txt"
echo "payload" >"$L/f"
head -c 4096 /dev/urandom >"$L/big"
echo "archived" >"$AR/file.txt"
echo "to move" >"$SH/src.txt"
chown "$U1:" "$AR/file.txt" "$SH/src.txt" "$SH/sub/inner.txt" "$L/f" "$L/big"
chmod 0666 "$AR/file.txt"
echo "theirs" >"$DR/theirs.txt"
chown "$U2:" "$DR/theirs.txt"; chmod 0666 "$DR/theirs.txt"
mkdir "$DR/theirdir"; echo "theirs too" >"$DR/theirdir/t.txt"
chown -R "$U2:" "$DR/theirdir"; chmod 0777 "$DR/theirdir"; chmod 0666 "$DR/theirdir/t.txt"

# Symlinks planted by root but owned by the user (so ownership rules do not
# mask the namespace check): absolute and relative, to a file and a dir.
plant() { ln -s "$1" "$2"; chown -h "$U1:" "$2"; }
plant "$OUTSIDE/canary" "$SH/abs-file"
plant "$OUTSIDE/dir" "$SH/abs-dir"
plant "../../outside/canary" "$SH/rel-file"
plant "../../outside/dir" "$SH/rel-dir"
plant "sub/../../../outside/canary" "$SH/sub-climb"
plant "sub/inner.txt" "$SH/inside-file"
plant "sub" "$SH/inside-dir"
# Only Unix permissions keep these out once every other layer is off.
echo "root's" >"$OUTSIDE/rootfile"; chmod 0644 "$OUTSIDE/rootfile"
plant /etc/shadow "$SH/shadow"
plant "$OUTSIDE/rootfile" "$SH/rootfile"
plant "$OUTSIDE/canary" "$H/abs-file"
plant "../../../outside/dir" "$H/rel-dir"

install_config "$CFG" <<EOF
[exports.shared]
path = "$SH"
access = "rw"

[exports.home]
path = "$SRV/users/%u"
access = "rw"
owner_only = true

[exports.archive]
path = "$AR"
access = "ro"

[exports.drop]
path = "$DR"
access = "rw"
owner_only = true

[users.$U1]
exports = ["shared", "home", "archive", "drop"]
allow_from = ["127.0.0.0/8"]

[groups.$T_GROUP]
exports = ["drop"]
allow_from = ["127.0.0.0/8"]
EOF

outside_before=$(snapshot "$OUTSIDE")
passwd_before=$(sha /etc/passwd)

# no_secret DESC FILE: FILE does not exist or holds no outside content.
no_secret() {
  if [[ -e "$2" ]] && grep -q -- "$SECRET\|^root:" "$2"; then
    fail "$1" "outside content was read into $2"
  else pass "$1"; fi
}
# no_listing DESC CMD: CMD (an ls) fails, or lists none of the outside
# entries (a server may show the symlink itself).
no_listing() {
  if sftp1 "$U1" "$CFG" "$2" && grep -q 'canary\|dir$' "$OUT"; then
    fail "$1" "outside entries listed:" "$(head -c 600 "$OUT")"
  elif session_died; then fail "$1" "the session died" "$(head -c 600 "$ERR")"
  else pass "$1"; fi
}
# outside_intact DESC
outside_intact() { check_eq "$1: outside unchanged" "$outside_before" "$(snapshot "$OUTSIDE")"; }
# stays_in_root DESC CMD: after CMD (in one session) pwd is / and ls shows
# only the exports, or CMD fails.
stays_in_root() {
  if printf '%s\npwd\nls -1\n' "$2" | sftp_as "$U1" "$CFG" "$T_LOCAL_ADDR"; then
    local where rest
    where=$(sed -n 's/^Remote working directory: //p' "$OUT")
    rest=$(awk '/^sftp> ls -1$/{f=1;next} f' "$OUT" | sed 's|.*/||' | LC_ALL=C sort | tr '\n' ' ')
    if [[ "$where" == "/" && "$rest" == "archive drop home shared " ]]; then pass "$1 (stays at /)"
    else fail "$1" "now at '$where' listing: $rest"; fi
  else pass "$1 (refused)"; fi
}

# Every hostile check below passes only on an error reply, so first make sure
# a session works at all.
if ! sftp1 "$U1" "$CFG" "pwd"; then
  fail "a plain session works (precondition)" "$(cat "$ERR")"
  finish
fi

if ((LANDLOCK_ALONE)); then
  log "layers off: $SFTPD_TEST_LAYERS_OFF; Landlock must hold alone"
  # Control: with Landlock off as well, the planted link does lead out, so
  # every refusal below is Landlock's.
  rm -f "$L/got"
  SFTPD_TEST_LAYERS_OFF=namespace,landlock \
    expect_ok "control: with Landlock off too, get abs-file leaves the export" \
    "$U1" "$CFG" "get abs-file $L/got"
  check "  ... and reads the outside file" grep -q "$SECRET" "$L/got"
  rm -f "$L/got"
  # With only DAC left, the user's uid still holds for files it has no
  # permission on.
  SFTPD_TEST_LAYERS_OFF=namespace,landlock \
    expect_fail "DAC alone: get shadow (-> /etc/shadow)" "$U1" "$CFG" "get shadow $L/got"
  check "  ... nothing read" test ! -s "$L/got"
  SFTPD_TEST_LAYERS_OFF=namespace,landlock \
    expect_fail "DAC alone: put over rootfile (-> root's 0644 file)" "$U1" "$CFG" "put $L/f rootfile"
  check_eq "  ... unchanged" "root's" "$(cat "$OUTSIDE/rootfile")"
  rm -f "$L/got"
fi

log "paths that climb out"
for p in ../../etc/passwd /etc/passwd /../etc/passwd /home/../../etc/passwd \
         ../../../../../../../../etc/passwd /shared/../../outside/canary \
         "$OUTSIDE/canary" ../../outside/canary; do
  rm -f "$L/got"
  expect_fail "get $p" "$U1" "$CFG" "get $p $L/got"
  no_secret "  ... nothing read" "$L/got"
done
stays_in_root "cd /.." "cd /.."
stays_in_root "cd /../.." "cd /../.."
stays_in_root "cd /home/../.." "cd /home/../.."
expect_fail "ls /etc" "$U1" "$CFG" "ls /etc"
expect_fail "ls ../.." "$U1" "$CFG" "ls -1 ../../outside"
expect_fail "put ../../outside/new" "$U1" "$CFG" "put $L/f ../../outside/new"
expect_fail "mkdir ../../outside/newdir" "$U1" "$CFG" "mkdir ../../outside/newdir"
tmp_new="$TMP.new"   # a fresh name in /tmp, beside (not inside) $TMP
at_exit "rm -f '$tmp_new'"
expect_fail "put /tmp/<new>" "$U1" "$CFG" "put $L/f $tmp_new"
check "  ... $tmp_new not created" test ! -e "$tmp_new"
outside_intact "climbing paths"

log "symlinks planted inside the export, pointing out"
for link in abs-file rel-file sub-climb /home/abs-file; do
  rm -f "$L/got"
  expect_fail "get $link" "$U1" "$CFG" "get $link $L/got"
  no_secret "  ... nothing read" "$L/got"
  expect_fail "put over $link" "$U1" "$CFG" "put $L/f $link"
  landlock_can "chmod 600 $link" "attributes" &&
    expect_fail "chmod 600 $link" "$U1" "$CFG" "chmod 600 $link"
done
for link in abs-dir rel-dir /home/rel-dir; do
  rm -f "$L/got"
  expect_fail "get $link/canary" "$U1" "$CFG" "get $link/canary $L/got"
  no_secret "  ... nothing read" "$L/got"
  no_listing "ls $link/" "ls -l $link/"
  expect_fail "put $link/new" "$U1" "$CFG" "put $L/f $link/new"
  expect_fail "mkdir $link/newdir" "$U1" "$CFG" "mkdir $link/newdir"
  expect_fail "rm $link/canary" "$U1" "$CFG" "rm $link/canary"
  expect_fail "rename $link/canary stolen" "$U1" "$CFG" "rename $link/canary stolen"
  expect_fail "rename src.txt $link/moved" "$U1" "$CFG" "rename /shared/src.txt $link/moved"
  expect_fail "ln -s into $link" "$U1" "$CFG" "ln -s x $link/newlink"
done
check "renames out of the export left the source" test -e "$SH/src.txt"
check "no outside file renamed in" test ! -e "$SH/stolen"
outside_intact "planted symlinks"

log "symlinks the client creates"
sftp1 "$U1" "$CFG" "ln -s /etc/passwd x" || true
rm -f "$L/got"
if landlock_can "get x -> /etc/passwd" "a system file sessions read"; then
  expect_fail "ln -s /etc/passwd x; get x" "$U1" "$CFG" "get x $L/got"
  no_secret "  ... nothing read" "$L/got"
fi
sftp1 "$U1" "$CFG" "ln -s $OUTSIDE/canary x2" || true
rm -f "$L/got"
expect_fail "ln -s <outside canary> x2; get x2" "$U1" "$CFG" "get x2 $L/got"
no_secret "  ... nothing read" "$L/got"
sftp1 "$U1" "$CFG" "ln -s ../../outside y" || true
expect_fail "ln -s ../../outside y; put f y/f" "$U1" "$CFG" "put $L/f y/f"
expect_fail "  ... get y/canary" "$U1" "$CFG" "get y/canary $L/got"
no_secret "  ... nothing read" "$L/got"
no_listing "  ... ls y/" "ls -l y/"
outside_intact "client-created symlinks"

log "symlinks pointing inside keep working"
rm -f "$L/got"
expect_ok "get inside-file (sub/inner.txt)" "$U1" "$CFG" "get inside-file $L/got"
check_eq "  ... content" "inside" "$(cat "$L/got" 2>&1)"
expect_ok "put inside-dir/new (dir link to sub)" "$U1" "$CFG" "put $L/f inside-dir/new"
check_eq "  ... landed in sub/" "payload" "$(cat "$SH/sub/new" 2>&1)"
expect_ok "ln -s sub/inner.txt in2 (client-made, inside)" "$U1" "$CFG" "ln -s sub/inner.txt in2"
rm -f "$L/got"
expect_ok "get in2" "$U1" "$CFG" "get in2 $L/got"
check_eq "  ... content" "inside" "$(cat "$L/got" 2>&1)"

log "hard links to outside files"
expect_fail "ln /etc/passwd h" "$U1" "$CFG" "ln /etc/passwd h"
expect_fail "ln ../../outside/canary h2" "$U1" "$CFG" "ln ../../outside/canary h2"
expect_fail "ln abs-dir/canary h4" "$U1" "$CFG" "ln abs-dir/canary h4"
check "  ... no link created" test ! -e "$SH/h" -a ! -e "$SH/h2" -a ! -e "$SH/h4"
# Linking the symlink itself (not its target) is harmless: at most another
# name for the same symlink.
sftp1 "$U1" "$CFG" "ln abs-file h3" || true
check "ln abs-file h3: never a hard link to the outside file" test ! -f "$SH/h3" -o -L "$SH/h3"
check_eq "  ... outside canary link count still 1" "1" "$(stat -c %h "$OUTSIDE/canary")"

log "read-only export: every write refused"
ar_before=$(snapshot "$AR")
ro() { expect_fail_msg "$1" "$U1" "$CFG" "$2" "[Pp]ermission denied"; }
ro "put new file into ro" "put $L/f /archive/new"
ro "put over a file in ro" "put $L/f /archive/file.txt"
ro "put -a (append) in ro" "put -a $L/big /archive/file.txt"
ro "mkdir in ro" "mkdir /archive/nd"
ro "rm in ro" "rm /archive/file.txt"
ro "rmdir in ro" "rmdir /archive/sub"
ro "rename within ro" "rename /archive/file.txt /archive/renamed"
ro "rename out of ro" "rename /archive/file.txt /shared/moved"
ro "rename into ro" "rename /shared/src.txt /archive/in"
landlock_can "chmod in ro" "attributes" &&
  ro "chmod in ro" "chmod 600 /archive/file.txt"
ro "chmod of ro dir" "chmod 700 /archive/sub"
ro "ln -s in ro" "ln -s file.txt /archive/sl"
ro "ln in ro" "ln /archive/file.txt /archive/hl"
expect_fail "ln from ro to rw (write access to ro content)" "$U1" "$CFG" "ln /archive/file.txt /shared/hl"
check "  ... no link in /shared" test ! -e "$SH/hl"
check "  ... /shared/src.txt still there" test -e "$SH/src.txt"
check_eq "ro export unchanged" "$ar_before" "$(snapshot "$AR")"
rm -f "$L/got"
expect_ok "reading ro works" "$U1" "$CFG" "get /archive/file.txt $L/got"

if landlock_can "owner_only" "owners"; then
log "owner_only: another uid's 0666 file"
their() { snapshot "$DR" | grep 'their'; }   # their entries only
dr_before=$(their)
echo "mine" >"$DR/mine0.txt"; chown "$U1:" "$DR/mine0.txt"
rm -f "$L/got"
expect_fail "get their file" "$U1" "$CFG" "get /drop/theirs.txt $L/got"
check "  ... nothing read" test ! -s "$L/got"
expect_fail "put over their file" "$U1" "$CFG" "put $L/f /drop/theirs.txt"
expect_fail "put -a to their file" "$U1" "$CFG" "put -a $L/big /drop/theirs.txt"
expect_fail "rm their file" "$U1" "$CFG" "rm /drop/theirs.txt"
expect_fail "rename their file" "$U1" "$CFG" "rename /drop/theirs.txt /drop/mine.txt"
expect_fail "chmod their file" "$U1" "$CFG" "chmod 600 /drop/theirs.txt"
expect_fail "ln their file (hard link)" "$U1" "$CFG" "ln /drop/theirs.txt /drop/hl"
expect_fail "ls their dir" "$U1" "$CFG" "ls /drop/theirdir"
expect_fail "get in their dir" "$U1" "$CFG" "get /drop/theirdir/t.txt $L/got"
expect_fail "put into their dir" "$U1" "$CFG" "put $L/f /drop/theirdir/mine"
expect_fail "mkdir in their dir" "$U1" "$CFG" "mkdir /drop/theirdir/mydir"
expect_fail "rename my file into their dir" "$U1" "$CFG" "rename /drop/mine0.txt /drop/theirdir/mine0.txt"
sftp1 "$U1" "$CFG" "ln -s theirs.txt /drop/mylink" || true
expect_fail "get through my own link to their file" "$U1" "$CFG" "get /drop/mylink $L/got"
check "  ... nothing read" test ! -s "$L/got"
rm -f "$DR/mylink"
check_eq "their entries unchanged" "$dr_before" "$(their)"
if sftp1 "$U1" "$CFG" "ls -1 /drop"; then
  if grep -q theirs "$OUT"; then fail "ls /drop hides their entries" "$(cat "$OUT")"
  else pass "ls /drop hides their entries"; fi
else fail "ls /drop (export root) is allowed" "$(cat "$ERR")"; fi
expect_ok "the owner reads it" "$U2" "$CFG" "get /drop/theirs.txt /dev/null"
expect_ok "the owner chmods it" "$U2" "$CFG" "chmod 644 /drop/theirs.txt"
expect_ok "my own file in /drop works" "$U1" "$CFG" "put $L/f /drop/mine.txt"
expect_fail "  ... and they cannot read it" "$U2" "$CFG" "get /drop/mine.txt /dev/null"
fi

log "rename race: a directory swapped with a symlink to outside"
# The client puts and gets through shared/race while root swaps race between
# a real directory and a symlink to $OUTSIDE/dir (the window a check-then-use
# server would lose). Bounded: 4 s or 500000 rounds.
mkdir "$SH/race"; echo "inside" >"$SH/race/canary"; chown -R "$U1:" "$SH/race"
plant "$OUTSIDE/dir" "$SH/race.link"
outside_before=$(snapshot "$OUTSIDE")
# perl (in every Debian) renames without a fork per step.
timeout 8 perl -e '
  my ($dir, $max, $secs, $out) = @ARGV;
  chdir $dir or die "chdir $dir: $!";
  my ($i, $end) = (0, time + $secs);
  while ($i < $max && time < $end) {
    rename "race", "race.real"; rename "race.link", "race";
    rename "race", "race.link"; rename "race.real", "race";
    $i++;
  }
  open my $fh, ">", $out or die; print $fh "$i\n";' "$SH" 500000 4 "$TMP/race.rounds" &
swapper=$!
at_exit "kill $swapper 2>/dev/null"
mkdir -p "$L/race"; chown "$U1:" "$L/race"
sessions=0
while kill -0 "$swapper" 2>/dev/null && ((sessions < 12)); do
  for ((k = 0; k < 60; k++)); do
    printf -- '-put %s race/p%d.%d\n-get race/canary %s/race/g%d.%d\n' \
      "$L/f" "$sessions" "$k" "$L" "$sessions" "$k"
  done | sftp_as "$U1" "$CFG" "$T_LOCAL_ADDR" || true
  sessions=$((sessions + 1))
done
wait "$swapper" || true
rounds=$(cat "$TMP/race.rounds" 2>/dev/null || echo "?")
gets=$(find "$L/race" -type f | wc -l)
leaks=$(grep -rl -- "$SECRET" "$L/race" | wc -l || true)
log "race: $rounds swap rounds, $sessions sessions, $gets gets succeeded"
check_eq "race: no outside content read" "0" "$leaks"
outside_intact "race"
check "race: outside dir holds no p* files" test -z "$(find "$OUTSIDE" -name 'p*')"

log "an export root in a directory the user can write cannot be re-pointed"
# %u/public beside an export of %u: the user owns the root's parent.
PUBCFG=$TMP/etc/public.toml
mkdir -p "$SRV/pub/$U1/public"
chown -R "$U1:" "$SRV/pub/$U1"
install_config "$PUBCFG" <<EOF
[exports.mine]
path = "$SRV/pub/%u"
access = "rw"

[exports.public]
path = "$SRV/pub/%u/public"
access = "rw"

[users.$U1]
exports = ["mine", "public"]
allow_from = ["127.0.0.1/32"]
EOF
expect_ok "public: served" "$U1" "$PUBCFG" "ls /public"
# In one session: the next could not start without its root.
if printf 'rename /mine/public /mine/old\nln -s %s /mine/public\n' "$OUTSIDE" |
  sftp_as "$U1" "$PUBCFG" "$T_LOCAL_ADDR"; then
  pass "public: the user renames the root away and links its name outside"
else
  fail "public: the user renames the root away and links its name outside" \
    "$(head -c 600 "$ERR")"
fi
if sftp1 "$U1" "$PUBCFG" "ls /public"; then
  fail "public: the next session is refused" "it was served:" "$(head -c 600 "$OUT")"
elif grep -q "not followed" "$ERR"; then
  pass "public: the next session is refused, naming the link"
else
  fail "public: the next session is refused, naming the link" "$(head -c 600 "$ERR")"
fi
check_not "public: nothing outside was listed" grep -q canary "$OUT"

log "final"
outside_intact "whole test"
check_eq "/etc/passwd unchanged" "$passwd_before" "$(sha /etc/passwd)"
leaks=$(grep -rl -- "$SECRET" "$L" | wc -l || true)
check_eq "no outside content anywhere on the client side" "0" "$leaks"
finish
