#include "sftpd/engine/status.h"

#include <cerrno>

namespace sftpd {

Status StatusFromErrno(int err) {
  using C = StatusCode;
  switch (err) {
    case 0:
      return {C::kOk, "Success"};
    case ENOENT:
      return {C::kNoSuchFile, "No such file or directory"};
    case ENOTDIR:
      return {C::kNoSuchFile, "Not a directory"};
    case EBADF:
      return {C::kFailure, "Bad file handle"};
    case ELOOP:
      return {C::kFailure, "Too many levels of symbolic links"};
    case EACCES:
      return {C::kPermissionDenied, "Permission denied"};
    case EPERM:
      return {C::kPermissionDenied, "Operation not permitted"};
    case EROFS:
      return {C::kPermissionDenied, "Read-only file system"};
    // openat2(RESOLVE_BENEATH) says EXDEV for a path leaving the export;
    // Exports turns that into EACCES before it gets here, so EXDEV is a real
    // cross-filesystem rename or link.
    case EXDEV:
      return {C::kFailure, "Cannot rename or link across filesystems"};
    case EEXIST:
      return {C::kFailure, "File exists"};
    case ENOTEMPTY:
      return {C::kFailure, "Directory not empty"};
    case EISDIR:
      return {C::kFailure, "Is a directory"};
    case ENOSPC:
      return {C::kFailure, "No space left on device"};
    case EDQUOT:
      return {C::kFailure, "Disk quota exceeded"};
    case EFBIG:
      return {C::kFailure, "File too large"};
    case ENAMETOOLONG:
      return {C::kFailure, "File name too long"};
    case EINVAL:
      return {C::kFailure, "Invalid argument"};
    case EMFILE:
    case ENFILE:
      return {C::kFailure, "Too many open files"};
    case EBUSY:
      return {C::kFailure, "Device or resource busy"};
    case ETXTBSY:
      return {C::kFailure, "Text file busy"};
    case EMLINK:
      return {C::kFailure, "Too many links"};
    case EIO:
      return {C::kFailure, "Input/output error"};
    case ENOTSUP:
      return {C::kOpUnsupported, "Operation not supported"};
    case ENOSYS:
      return {C::kOpUnsupported, "Function not implemented"};
    case ENOMEM:
      return {C::kFailure, "Out of memory"};
    case EAGAIN:
      return {C::kFailure, "Resource temporarily unavailable"};
    case EOVERFLOW:
      return {C::kFailure, "Value too large"};
    case ENXIO:
      return {C::kNoSuchFile, "No such device or address"};
    case ENODEV:
      return {C::kNoSuchFile, "No such device"};
    // atomic_uploads: an upload a write into failed is removed at its CLOSE.
    case ECANCELED:
      return {C::kFailure, "Upload incomplete: discarded"};
    default:
      return {C::kFailure, "Failure"};
  }
}

}  // namespace sftpd
