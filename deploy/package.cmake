# The Debian package, sftpd_VERSION_ARCH.deb, of everything the install
# rules put in place, made by CPack from a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr (tests/package_test.sh does):
#   cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=Release \
#     -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF
#   cmake --build build-deb && (cd build-deb && cpack -G DEB)
# The files in /etc are conffiles; the PAM file is in /usr/share/sftpd and
# postinst puts it in /etc/pam.d when absent. The maintainer scripts are in
# deploy/debian/. Included by the top-level CMakeLists.txt.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sftpd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER
    "sftpd maintainers <maintainers@users.noreply.h-seed-f2ed0beb.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "hardened SFTP file service for small networks")
set(CPACK_PACKAGE_DESCRIPTION
    "sftpd serves files over SFTP to the users one TOML file names, each\n\
confined to the directory trees granted to them, read-write or read-only,\n\
from the addresses they may connect from: a secure replacement for NFS\n\
exports. Sessions are confined in layers (path resolution beneath each\n\
export, the user's uid, Landlock and a generated AppArmor profile) and an\n\
audit trail records who touched which file.\n\
.\n\
It runs as its own SSH server (libssh; public keys and PAM), or behind\n\
OpenSSH as a drop-in sftp-server. Tools: check-config, policy apparmor\n\
and sshd, audit, sessions and kick.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "apparmor, logrotate")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "openssh-server, sshfs")
set(CPACK_STRIP_FILES ON)

file(WRITE ${PROJECT_BINARY_DIR}/debian/conffiles
     "/etc/sftpd/sftpd.toml\n/etc/logrotate.d/sftpd\n"
     "/etc/apparmor.d/usr.sbin.sftpd\n")
foreach(script IN ITEMS postinst prerm postrm)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/debian/${script}
                 ${PROJECT_BINARY_DIR}/debian/${script} COPYONLY
                 FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
                                  GROUP_READ GROUP_EXECUTE WORLD_READ
                                  WORLD_EXECUTE)
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_BINARY_DIR}/debian/conffiles ${PROJECT_BINARY_DIR}/debian/postinst
    ${PROJECT_BINARY_DIR}/debian/prerm ${PROJECT_BINARY_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
