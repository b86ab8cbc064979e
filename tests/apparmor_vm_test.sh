#!/usr/bin/env bash
# The AppArmor layer, enforced by a real kernel: boots Debian's kernel under
# qemu (TCG, no KVM needed) with the profile `sftpd policy apparmor` generates,
# and runs sftp sessions as two users with the namespace and Landlock layers
# switched off (a -DSFTPD_TEST_HOOKS=ON build), so the user's hat alone must
# refuse the other user's files in an owner_only tree, every path outside the
# exports (through symlinks planted by root) and writes to a read-only export,
# while allowing the shared tree and the user's own files. Each refusal must
# be an apparmor="DENIED" line of the hat sftpd//USER in the kernel log, and
# each has a control: the same request succeeds when served by the same
# binary from a path the profile does not attach to, and once the profile is
# unloaded. Then `sftpd serve` runs under the profile with every layer on:
# it makes its host key, serves a key login whose session lands in the hat,
# stops on SIGTERM, and the listener's profile denies it nothing. The checks
# themselves are tests/vm/checks.sh; tests/vm/image.sh
# builds the VM.
#
# Usage: apparmor_vm_test.sh /path/to/sftpd
# Exits 77 (skipped) when qemu cannot run at all.
# To show that the checks catch a weaker profile:
#   SFTPD_VM_PROFILE_SED='s/owner //'  edits the generated profile (sed -e);
#   SFTPD_VM_PROFILE=FILE  boots with FILE instead, its @SRV@, @CFG@ and
#                          @AUDIT@ replaced by this run's paths.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vm/image.sh"

readonly kSkip=77
# Below CTest's TIMEOUT of 300 s, so this script reports a hung VM itself.
readonly kVmTimeout=220

QEMU=$(command -v qemu-system-x86_64 || true)
if [[ -z "$QEMU" ]] || ! timeout 20 "$QEMU" -version >/dev/null 2>&1; then
  log "SKIP: qemu-system-x86_64 is not installed or does not run" \
    "(Debian package qemu-system-x86); the AppArmor layer is not tested"
  exit $kSkip
fi
for tool in busybox:busybox-static apparmor_parser:apparmor cpio:cpio \
    sftp:openssh-client setpriv:util-linux; do
  command -v "${tool%%:*}" >/dev/null ||
    die "${tool%%:*} is missing (Debian package ${tool#*:})"
done
if [[ ! -x /bin/busybox ]] || ldd /bin/busybox >/dev/null 2>&1; then
  die "/bin/busybox is missing or not static (Debian package busybox-static)"
fi

setup_common "$@"

# --- the config and its profile, generated on this host ---------------------
# The VM mirrors the paths below $TMP and the two users' passwd and group
# lines, so the profile generated here fits the VM.
SRV="$TMP/srv"
CFG="$TMP/etc/sftpd.toml"
AUDIT="$TMP/log/audit.jsonl"
mkdir -p "$SRV/own" "$SRV/shared" "$SRV/ro" "$TMP/log"
HOSTKEY="$TMP/etc/ssh_host_ed25519_key"
DPORT=2222   # inside the VM, which has its own loopback
install_config "$CFG" <<EOF
[server]
listen = ["127.0.0.1:$DPORT"]
host_keys = ["$HOSTKEY"]

[auth]
methods = ["publickey"]
authorized_keys = ["/etc/sftpd/authorized_keys/%u"]

[audit]
log = "$AUDIT"
syslog = false

[exports.own]
path = "$SRV/own"
access = "rw"
owner_only = true

[exports.shared]
path = "$SRV/shared"
access = "rw"

[exports.ro]
path = "$SRV/ro"
access = "ro"

[users.$T_USER1]
exports = ["own", "shared", "ro"]

[groups.$T_GROUP]
exports = ["own", "shared", "ro"]
EOF

PROFILE="$TMP/sftpd.profile"
if [[ -n "${SFTPD_VM_PROFILE:-}" ]]; then
  log "profile: $SFTPD_VM_PROFILE (SFTPD_VM_PROFILE), not the generated one"
  sed "s#@SRV@#$SRV#g; s#@CFG@#$CFG#g; s#@AUDIT@#$AUDIT#g" \
    "$SFTPD_VM_PROFILE" >"$PROFILE"
elif ! "$SFTPD" policy apparmor --config "$CFG" >"$PROFILE" 2>"$ERR"; then
  fail "sftpd policy apparmor prints the profile" "$(cat "$ERR")"
  finish
fi
if [[ -n "${SFTPD_VM_PROFILE_SED:-}" ]]; then
  log "profile edited with sed -e '$SFTPD_VM_PROFILE_SED' (SFTPD_VM_PROFILE_SED)"
  sed -i -e "$SFTPD_VM_PROFILE_SED" "$PROFILE"
fi
has_hat() { grep -Eq "\\^\"?$1\"?[[:space:]]*\\{" "$PROFILE"; }
if has_hat "$T_USER1" && has_hat "$T_USER2"; then
  pass "the profile has a hat for $T_USER1 and for $T_USER2"
else
  fail "the profile has a hat for $T_USER1 and for $T_USER2" \
    "$(head -c 2000 "$PROFILE")"
  finish
fi
# Compiled here first, so a profile the parser rejects is reported plainly.
# With the feature set the VM's parser uses (Debian's pinned one).
printf 'policy-features=/usr/share/apparmor-features/features\n' \
  >"$TMP/parser.conf"
if apparmor_parser -Q -K --config-file="$TMP/parser.conf" \
    "$PROFILE" >"$OUT" 2>&1; then
  pass "apparmor_parser compiles the profile"
else
  fail "apparmor_parser compiles the profile" "$(cat "$OUT")"
fi

# --- the VM ------------------------------------------------------------------

KERNEL=$(vm_kernel) || die "cannot get Debian's kernel (see above)"
log "kernel: $KERNEL"

FILES="$TMP/files"
mkdir -p "$FILES/etc" "$FILES/vmtest" "$FILES$(dirname "$CFG")" \
  "$FILES$(dirname "$AUDIT")" "$FILES$SRV"
cp "$CFG" "$FILES$CFG"
{
  echo "root:x:0:0:root:/root:/bin/sh"
  getent passwd "$T_USER1" "$T_USER2"
} >"$FILES/etc/passwd"
{
  echo "root:x:0:"
  getent group "$(id -g "$T_USER1")" "$(id -g "$T_USER2")" "$T_GROUP"
} >"$FILES/etc/group"
# Numeric ids: the VM's setpriv needs no name lookup.
groups_of() { id -G "$1" | tr ' ' ','; }
{
  echo "root:*:19000:0:99999:7:::"
  for u in "$T_USER1" "$T_USER2"; do echo "$u:*:19000:0:99999:7:::"; done
} >"$FILES/etc/shadow"
chmod 0600 "$FILES/etc/shadow"
# The daemon's PAM service as deployed, with this system's common-* files.
mkdir -p "$FILES/etc/pam.d" "$FILES/etc/sftpd/authorized_keys" "$FILES/vmtest/keys"
cp "$(dirname "$0")/../deploy/pam.d/sftpd" "$FILES/etc/pam.d/sftpd"
cp /etc/pam.d/common-auth /etc/pam.d/common-account \
  /etc/pam.d/common-session-noninteractive "$FILES/etc/pam.d/"
# pam_limits refuses the session without its file.
mkdir -p "$FILES/etc/security"
cp /etc/security/limits.conf "$FILES/etc/security/"
for u in "$T_USER1" "$T_USER2"; do
  ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$FILES/vmtest/keys/$u"
  mv "$FILES/vmtest/keys/$u.pub" "$FILES/etc/sftpd/authorized_keys/$u"
done
chmod 0755 "$FILES/etc/sftpd" "$FILES/etc/sftpd/authorized_keys"
chmod 0644 "$FILES/etc/sftpd/authorized_keys/"*
cat >"$FILES/vmtest/vmtest.env" <<EOF
SRV='$SRV'
CFG='$CFG'
AUDIT='$AUDIT'
HOSTKEY='$HOSTKEY'
DPORT=$DPORT
U1='$T_USER1'
U1_UID=$(id -u "$T_USER1")
U1_GID=$(id -g "$T_USER1")
U1_GROUPS=$(groups_of "$T_USER1")
U2='$T_USER2'
U2_UID=$(id -u "$T_USER2")
U2_GID=$(id -g "$T_USER2")
U2_GROUPS=$(groups_of "$T_USER2")
EOF

INITRD="$TMP/initrd.gz"
vm_build_initramfs "$TMP/root" "$INITRD" "$SFTPD" "$PROFILE" "$FILES" ||
  die "cannot build the initramfs"
log "initramfs: $(du -h "$INITRD" | cut -f1); booting (TCG, up to ${kVmTimeout} s)"

CONSOLE="$TMP/console.log"
vm_start=$SECONDS
qemu_rc=0
timeout "$kVmTimeout" "$QEMU" -accel tcg -m 1024 -smp 1 -nographic \
  -no-reboot -nodefaults -serial stdio -net none \
  -kernel "$KERNEL" -initrd "$INITRD" \
  -append 'console=ttyS0 apparmor=1 security=apparmor panic=-1 quiet' \
  </dev/null >"$CONSOLE" 2>&1 || qemu_rc=$?
tr -d '\r' <"$CONSOLE" >"$CONSOLE.txt"
log "VM ran $((SECONDS - vm_start)) s (qemu exit status $qemu_rc)"

show_console() {
  printf '       --- last 60 lines of the VM console (%s) ---\n' "$CONSOLE"
  tail -60 "$CONSOLE.txt" | sed 's/^/       | /'
}

# The VM's own check lines become this script's checks; details follow a
# check as "VMTEST:   ..." lines (evidence for an ok, the reason for a FAIL).
vm_pass=0 vm_fail=0
desc="" status="" details=()
flush() {
  if [[ "$status" == ok ]]; then
    pass "vm: $desc"
    local d
    for d in "${details[@]}"; do printf '         %s\n' "$d"; done
  elif [[ "$status" == FAIL ]]; then
    fail "vm: $desc" "${details[@]}"
  fi
  status="" details=()
}
while IFS= read -r line; do
  case "$line" in
    "VMTEST: ok "*) flush; status=ok desc=${line#VMTEST: ok }; vm_pass=$((vm_pass + 1)) ;;
    "VMTEST: FAIL "*) flush; status=FAIL desc=${line#VMTEST: FAIL }; vm_fail=$((vm_fail + 1)) ;;
    "VMTEST:   "*) details+=("${line#VMTEST:   }") ;;
  esac
done < <(grep -a '^VMTEST: ' "$CONSOLE.txt" || true)
flush

result=$(grep -a '^VMTEST-RESULT: ' "$CONSOLE.txt" | tail -1 || true)
if ((qemu_rc == 124)); then
  fail "the VM finishes within ${kVmTimeout} s" "$(show_console)"
elif [[ -z "$result" ]]; then
  fail "the VM reports a result" "qemu exit status $qemu_rc" \
    "$(grep -a '^VMTEST-ABORTED' "$CONSOLE.txt" || true)" "$(show_console)"
elif [[ "$result" != "VMTEST-RESULT: pass $vm_pass fail $vm_fail" ]]; then
  fail "the VM's result matches its check lines" "$result" \
    "counted: pass $vm_pass fail $vm_fail" "$(show_console)"
elif ((vm_fail > 0)); then
  show_console
fi
if ((vm_pass == 0)); then
  fail "the VM passes checks" "none passed" "$(show_console)"
fi
finish
