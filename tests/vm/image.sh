# The VM for apparmor_vm_test (sourced): Debian's own kernel, which has
# AppArmor built in, and a small initramfs holding busybox, the AppArmor
# parser, OpenSSH's sftp client, the sftpd under test and the in-VM checks
# (tests/vm/init), OpenSSH's ssh for the daemon checks and the PAM modules
# the given /etc/pam.d files name. The kernel is cached under $VM_CACHE, keyed by package
# and version; the initramfs is rebuilt every run, as it holds the binary
# under test. Functions print errors on stderr and return non-zero.

VM_CACHE=${VM_CACHE:-/var/cache/sftpd-test}
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# vm_kernel: prints the path of a cached vmlinuz of the kernel package
# linux-image-amd64 currently depends on, downloading and extracting it
# (apt-get download; nothing is installed) when it is not cached yet.
# Without apt's package lists, the newest cached kernel is used.
vm_kernel() {
  local pkg ver cached work
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
  if [[ -n "$pkg" ]]; then
    ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null |
      awk '$1 == "Version:" { print $2; exit }')
  fi
  if [[ -z "$pkg" || -z "$ver" ]]; then
    cached=$(ls -t "$VM_CACHE"/vmlinuz-* 2>/dev/null | head -1 || true)
    if [[ -n "$cached" ]]; then
      echo "$cached"
      return 0
    fi
    echo "no kernel: apt knows no linux-image-amd64 (run apt-get update)" \
      "and $VM_CACHE holds none" >&2
    return 1
  fi
  cached="$VM_CACHE/vmlinuz-${pkg}_${ver}"
  if [[ -s "$cached" ]]; then
    echo "$cached"
    return 0
  fi
  mkdir -p "$VM_CACHE"
  work=$(mktemp -d "$VM_CACHE/download.XXXXXX")
  # _apt must be able to write there, or apt complains (and downloads as root).
  chmod 0755 "$work"
  chown _apt: "$work" 2>/dev/null || true
  if ! (cd "$work" && timeout 600 apt-get download "$pkg=$ver") \
      >"$work/log" 2>&1; then
    echo "apt-get download $pkg=$ver failed:" >&2
    tail -5 "$work/log" >&2
    rm -rf "$work"
    return 1
  fi
  local deb
  deb=$(ls "$work"/*.deb)
  if ! dpkg-deb --fsys-tarfile "$deb" |
      tar -x -O "./boot/vmlinuz-${pkg#linux-image-}" >"$work/vmlinuz" ||
      [[ ! -s "$work/vmlinuz" ]]; then
    echo "no ./boot/vmlinuz-${pkg#linux-image-} in $deb" >&2
    rm -rf "$work"
    return 1
  fi
  # Older kernels are not needed any more: one kernel in the cache.
  rm -f "$VM_CACHE"/vmlinuz-*
  mv "$work/vmlinuz" "$cached"
  rm -rf "$work"
  echo "$cached"
}

# vm_add_program ROOT PATH [DEST]: copies the program PATH to ROOT/DEST
# (default: the same path) with every shared library ldd lists, and the
# dynamic loader, at the paths ldd shows.
vm_add_program() {
  local root=$1 path=$2 dest=${3:-$2} lib
  mkdir -p "$root$(dirname "$dest")"
  cp --remove-destination -L "$path" "$root$dest"
  ldd "$path" >"$root/.ldd" 2>&1 || true
  if grep -q 'not a dynamic executable' "$root/.ldd"; then
    rm -f "$root/.ldd"
    return 0
  fi
  for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 }
                    $1 ~ /^\// { print $1 }' "$root/.ldd"); do
    if [[ ! -e "$root$lib" ]]; then
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    fi
  done
  if grep -q 'not found' "$root/.ldd"; then
    echo "$path: missing libraries: $(grep 'not found' "$root/.ldd")" >&2
    rm -f "$root/.ldd"
    return 1
  fi
  rm -f "$root/.ldd"
}

# vm_build_initramfs ROOT OUT SFTPD PROFILE FILES_DIR: fills ROOT and packs it
# into OUT (gzip'ed newc cpio). SFTPD goes to /usr/sbin/sftpd (the path the
# profile attaches to), PROFILE to /vmtest/sftpd.profile; FILES_DIR is copied
# onto ROOT as is (the config, passwd, group, vmtest.env: the caller's
# files); tests/vm/init becomes /init.
vm_build_initramfs() {
  local root=$1 out=$2 sftpd=$3 profile=$4 files=$5 a
  mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{dev,proc,sys,etc,tmp,run,root}
  chmod 1777 "$root/tmp"
  # The kernel opens /dev/console for /init before anything is mounted.
  mknod -m 0600 "$root/dev/console" c 5 1
  mknod -m 0666 "$root/dev/null" c 1 3
  # Debian's merged /usr, so ldd's /lib/... paths land in usr/lib.
  ln -sfn usr/bin "$root/bin"
  ln -sfn usr/sbin "$root/sbin"
  ln -sfn usr/lib "$root/lib"
  ln -sfn usr/lib64 "$root/lib64"

  cp /bin/busybox "$root/usr/bin/busybox"
  for a in $(/bin/busybox --list); do
    [[ "$a" == busybox ]] || ln -sfn busybox "$root/usr/bin/$a"
  done
  # Real programs replace busybox applets of the same name.
  vm_add_program "$root" /usr/sbin/apparmor_parser || return 1
  vm_add_program "$root" /usr/bin/sftp || return 1
  vm_add_program "$root" /usr/bin/ssh || return 1
  vm_add_program "$root" /usr/bin/setpriv || return 1
  vm_add_program "$root" "$sftpd" /usr/sbin/sftpd || return 1
  # The daemon module `sftpd serve` loads, where /usr/sbin/sftpd looks for it.
  vm_add_program "$root" "$(dirname "$sftpd")/../lib/sftpd/sftpd-daemon.so" \
    /usr/lib/sftpd/sftpd-daemon.so || return 1
  # glibc >= 2.34 has the files backend built in; older ones load it.
  local nss=/usr/lib/x86_64-linux-gnu/libnss_files.so.2
  if [[ -e "$nss" ]]; then cp -L "$nss" "$root$nss"; fi

  mkdir -p "$root/etc/apparmor.d" "$root/etc/apparmor" \
    "$root/usr/share/apparmor-features"
  cp -r /etc/apparmor.d/abi /etc/apparmor.d/tunables \
    /etc/apparmor.d/abstractions "$root/etc/apparmor.d/"
  cp /usr/share/apparmor-features/features "$root/usr/share/apparmor-features/"
  printf 'policy-features=/usr/share/apparmor-features/features\n' \
    >"$root/etc/apparmor/parser.conf"
  printf 'passwd: files\ngroup: files\nshadow: files\n' \
    >"$root/etc/nsswitch.conf"

  # The PAM modules the caller's /etc/pam.d files name, with their libraries.
  local module
  for module in $(cat "$files"/etc/pam.d/* 2>/dev/null |
      grep -o 'pam_[a-z0-9_]*\.so' | sort -u); do
    [[ -e "/usr/lib/x86_64-linux-gnu/security/$module" ]] || continue
    vm_add_program "$root" "/usr/lib/x86_64-linux-gnu/security/$module" ||
      return 1
  done

  mkdir -p "$root/vmtest"
  cp "$profile" "$root/vmtest/sftpd.profile"
  cp "$VM_DIR/init" "$root/init"
  cp "$VM_DIR/checks.sh" "$root/vmtest/checks.sh"
  chmod 0755 "$root/init"
  cp -a "$files/." "$root/"

  (cd "$root" && find . -print0 | LC_ALL=C sort -z |
    cpio --null --create --format=newc --owner=0:0 --quiet) |
    gzip -1 >"$out"
}
