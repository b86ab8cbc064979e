#!/usr/bin/env bash
# The Debian package: builds sftpd_VERSION_ARCH.deb from this tree (a
# Release build for /usr without test hooks), checks its files, modes,
# conffiles and control fields with dpkg-deb and lintian (no errors), then
# installs it with dpkg -i, checks the installed config, man pages and bash
# completion,
# starts the daemon as the systemd unit's ExecStartPre and ExecStart lines
# say (with no systemd running here, systemctl cannot) and asks it with
# sftpd sessions, stops it, and finally removes and purges the package,
# checking what each leaves behind. Then again with a PAM file and a
# /run/sftpd of the admin's made before the install: purge leaves both as
# they were.
# It installs into this system, so it will not run (exit 77, skipped) where
# sftpd is installed already or /etc/sftpd, /etc/pam.d/sftpd or /run/sftpd
# exists.
# Usage: package_test.sh /path/to/sftpd   (the binary is not used: the
# package is built from the source tree)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
setup_common "${1:-}"

SRC=$(cd "$(dirname "$0")/.." && pwd)
if dpkg -s sftpd >/dev/null 2>&1 ||
    [[ -e /etc/sftpd || -e /usr/sbin/sftpd || -e /etc/pam.d/sftpd || -e /run/sftpd ]]; then
  log "sftpd is installed here, or /etc/sftpd, /etc/pam.d/sftpd or /run/sftpd exists: not touching it; skipped"
  exit 77
fi

log "building the package"
B=$TMP/build-deb
start=$SECONDS
if ! { cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release \
         -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF &&
       cmake --build "$B" -j2 && (cd "$B" && cpack -G DEB); } >"$TMP/build.log" 2>&1; then
  tail -n 40 "$TMP/build.log"
  die "the package did not build"
fi
VERSION=$(sed -n 's/^project(sftpd VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
DEB=$B/sftpd_${VERSION}_$(dpkg --print-architecture).deb
check "built $(basename "$DEB") in $((SECONDS - start)) s" test -s "$DEB"

log "its contents"
dpkg-deb -c "$DEB" >"$TMP/contents"
# Files (not directories), with their modes, sorted.
files() { awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $1, $6}' "$TMP/contents" | sort; }
check_eq "the files and their modes" "$(sort <<EOF
-rw-r--r-- /etc/apparmor.d/usr.sbin.sftpd
-rw-r--r-- /etc/logrotate.d/sftpd
-rw-r--r-- /etc/sftpd/sftpd.toml
-rw-r--r-- /lib/systemd/system/sftpd-inetd.socket
-rw-r--r-- /lib/systemd/system/sftpd-inetd@.service
-rw-r--r-- /lib/systemd/system/sftpd.service
-rw-r--r-- /lib/systemd/system/sftpd.socket
-rw-r--r-- /lib/systemd/system/sftpd@.service
-rw-r--r-- /usr/lib/sftpd/sftpd-daemon.so
-rwxr-xr-x /usr/sbin/sftpd
-rw-r--r-- /usr/share/bash-completion/completions/sftpd
-rw-r--r-- /usr/share/doc/sftpd/changelog.gz
-rw-r--r-- /usr/share/doc/sftpd/copyright
-rw-r--r-- /usr/share/doc/sftpd/examples/rsyslog/sftpd-central.conf
-rw-r--r-- /usr/share/doc/sftpd/examples/rsyslog/sftpd-forward.conf
-rw-r--r-- /usr/share/doc/sftpd/examples/sftpd.toml
-rw-r--r-- /usr/share/man/man5/sftpd.toml.5.gz
-rw-r--r-- /usr/share/man/man8/sftpd.8.gz
-rw-r--r-- /usr/share/sftpd/pam.d/sftpd
EOF
)" "$(files)"
check_eq "  ... all root's" "" "$(awk '$2 != "root/root"' "$TMP/contents")"
check_eq "the conffiles are the files in /etc" \
  "$(files | awk '$2 ~ /^\/etc\// {print $2}')" \
  "$(dpkg-deb -I "$DEB" conffiles | sort)"
field() { dpkg-deb -f "$DEB" "$1"; }
check_eq "Package" "sftpd" "$(field Package)"
check_eq "Version" "$VERSION" "$(field Version)"
check_eq "Architecture" "$(dpkg --print-architecture)" "$(field Architecture)"
for dep in libssh-4 libpam0g libapparmor1 libtomlplusplus3 zlib1g libc6; do
  check "Depends names $dep" grep -q "\b$dep\b" <<<"$(field Depends)"
done
check "the binary is stripped" bash -c "dpkg-deb --fsys-tarfile '$DEB' |
  tar -xO ./usr/sbin/sftpd >'$TMP/sftpd.bin' && ! readelf -S '$TMP/sftpd.bin' | grep -q '\.debug_info'"
check "  ... a PIE with full RELRO" bash -c "readelf -h '$TMP/sftpd.bin' | grep -q 'DYN' &&
  readelf -d '$TMP/sftpd.bin' | grep -q 'BIND_NOW'"

log "lintian"
lrc=0
lintian --tag-display-limit 0 "$DEB" >"$TMP/lintian" 2>&1 || lrc=$?
log "$(grep -c '^W:' "$TMP/lintian" || true) warnings, $(grep -c '^I:' "$TMP/lintian" || true) notes"
check_eq "lintian reports no error" "" "$(grep '^E:' "$TMP/lintian" || true)"
check_eq "  ... and exits 0" "0" "$lrc"

log "dpkg -i"
at_exit "dpkg --purge sftpd >/dev/null 2>&1"
check "installs" dpkg -i "$DEB"
check_eq "  ... installed" "install ok installed" "$(dpkg-query -W -f '${Status}' sftpd)"
check_eq "/usr/sbin/sftpd runs" "sftpd $VERSION" "$(/usr/sbin/sftpd --version)"
check "the installed config is valid" /usr/sbin/sftpd check-config
check_eq "postinst made /etc/pam.d/sftpd, the package's" \
  "$(cat "$SRC/deploy/pam.d/sftpd")" "$(cat /etc/pam.d/sftpd 2>&1)"
check_eq "/var/log/sftpd is made, root's, 0750" "root 750" "$(stat -c '%U %a' /var/log/sftpd)"
if command -v groff >/dev/null; then
  for page in man8/sftpd.8 man5/sftpd.toml.5; do
    check "man page $page renders without a warning" bash -c \
      "zcat /usr/share/man/$page.gz | groff -man -Tutf8 -ww -z 2>&1 | (! grep .)"
  done
fi
# complete WORDS...: what bash completion offers for the last word.
complete_words() {
  bash -c 'source /usr/share/bash-completion/bash_completion
    source /usr/share/bash-completion/completions/sftpd
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _sftpd sftpd "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
    printf "%s\n" "${COMPREPLY[@]}"' complete "$@" | sort | tr '\n' ' '
}
check_eq "bash completes the commands" "audit " "$(complete_words sftpd au)"
check_eq "  ... an audit option" "--summary " "$(complete_words sftpd audit --su)"
check_eq "  ... serve's option" "--inetd " "$(complete_words sftpd serve --in)"
check_eq "  ... an --op class after a comma, not one given already" \
  "read,refused read,remove read,rename read,rmdir " \
  "$(complete_words sftpd audit --op read,r)"
UNIT=/lib/systemd/system/sftpd.service
# unit_lines KEY: the unit's KEY= command lines, $MAINPID as the daemon's.
unit_lines() { sed -n "s/^$1=//p" "$UNIT"; }
check_eq "the unit runs the installed binary" \
  "/usr/sbin/sftpd serve --config /etc/sftpd/sftpd.toml" "$(unit_lines ExecStart)"
check_eq "  ... as the templates do" \
  "-/usr/sbin/sftpd serve --inetd --config /etc/sftpd/sftpd.toml /usr/sbin/sftpd serve --config /etc/sftpd/%i.toml" \
  "$(sed -n 's/^ExecStart=//p' /lib/systemd/system/sftpd-inetd@.service /lib/systemd/system/sftpd@.service | tr '\n' ' ' | sed 's/ $//')"
if port_listening 2222; then
  log "port 2222 is taken here: the daemon is not started"
else
  while read -r pre; do
    check "ExecStartPre: $pre" $pre
  done < <(unit_lines ExecStartPre)
  $(unit_lines ExecStart) 2>"$TMP/daemon.log" &
  DPID=$!
  T_SERVER_LOGS+=("$TMP/daemon.log")
  at_exit "kill $DPID 2>/dev/null"
  for ((i = 0; i < 50; i++)); do port_listening 2222 && break; sleep 0.1; done
  check "ExecStart: the daemon listens on port 2222" port_listening 2222
  check "  ... sftpd sessions reaches it" /usr/sbin/sftpd sessions
  check "  ... it made its host key" test -s /etc/sftpd/ssh_host_ed25519_key
  kill -TERM "$DPID"
  rc=0
  wait "$DPID" || rc=$?
  check_eq "  ... and stops on SIGTERM with status 0" "0" "$rc"
fi

log "dpkg -r, then --purge"
check "removes" dpkg -r sftpd
check_not "  ... the binary is gone" test -e /usr/sbin/sftpd
check_not "  ... the unit is gone" test -e "$UNIT"
check "  ... the conffiles stay" test -e /etc/sftpd/sftpd.toml
check "purges" dpkg --purge sftpd
for gone in /etc/sftpd /etc/pam.d/sftpd /etc/logrotate.d/sftpd \
    /etc/apparmor.d/usr.sbin.sftpd /var/log/sftpd /usr/lib/sftpd \
    /usr/share/doc/sftpd /usr/share/sftpd /var/lib/sftpd /run/sftpd; do
  check_not "  ... $gone is gone" test -e "$gone"
done
check_not "  ... dpkg knows it no more" dpkg -s sftpd

log "an admin's own /etc/pam.d/sftpd and /run/sftpd survive install and purge"
if [[ -e /etc/pam.d/sftpd || -e /run/sftpd ]]; then
  die "/etc/pam.d/sftpd or /run/sftpd is left from above"
fi
OWN_PAM="# the admin's own
auth required pam_deny.so"
printf '%s\n' "$OWN_PAM" >/etc/pam.d/sftpd
at_exit "rm -f /etc/pam.d/sftpd"
install -d -m 0711 /run/sftpd
echo "the admin's" >/run/sftpd/keep
at_exit "rm -rf /run/sftpd"
check "installs" dpkg -i "$DEB"
check_eq "  ... the PAM file is the admin's" "$OWN_PAM" "$(cat /etc/pam.d/sftpd)"
check "purges" dpkg --purge sftpd
check_eq "  ... the PAM file is still the admin's" "$OWN_PAM" "$(cat /etc/pam.d/sftpd 2>&1)"
check_eq "  ... /run/sftpd is still there, with its file" "711 the admin's" \
  "$(stat -c %a /run/sftpd 2>&1) $(cat /run/sftpd/keep 2>&1)"
check_not "  ... /etc/sftpd is gone" test -e /etc/sftpd
check_not "  ... /var/lib/sftpd is gone" test -e /var/lib/sftpd

finish
