// The seccomp step of sandbox::Enter (seccomp.h): one table of system
// calls and what the filter does with each, turned into BPF at run time
// (the process's pid is part of the program).
#include "sftpd/sandbox/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

// Calls newer than the oldest headers this builds with (Debian 12's). From
// 424 on, the numbers are the same on every architecture.
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef __NR_faccessat2
#define __NR_faccessat2 439
#endif
#ifndef __NR_epoll_pwait2
#define __NR_epoll_pwait2 441
#endif
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

namespace sftpd::sandbox {
namespace {

#if defined(__x86_64__)
constexpr uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__) && defined(__AARCH64EL__)
constexpr uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
constexpr uint32_t kArch = 0;  // no filter
#endif

// ASan and UBSan make calls of their own when they report (an alternate
// signal stack, prctl, sched_yield, reading /proc/self/maps...); those
// builds allow them, so that a report is printed rather than lost.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
constexpr bool kSanitizerBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || \
    __has_feature(undefined_behavior_sanitizer)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif
#else
constexpr bool kSanitizerBuild = false;
#endif

enum class Action {
  kAllow,
  kSelfOnly,  // allowed when the first argument is the process's own pid
  kNoSys,     // ENOSYS: the caller falls back to an older call
  kNoFamily,  // EAFNOSUPPORT: no socket of any family
  kKill,      // SECCOMP_RET_KILL_PROCESS
};

struct Rule {
  int nr;
  Action action;
};

#define SFTPD_ALLOW(name) \
  Rule { __NR_##name, Action::kAllow }
#define SFTPD_KILL(name) \
  Rule { __NR_##name, Action::kKill }

// Allowed: what a session makes once confined, found with strace on real
// sessions of every request (both front doors, libssh's crypto in the
// daemon) and checked by the cross-process tests. The busiest calls come
// first: the filter tries the rules in order. File calls are allowed
// whole; which paths they reach is Landlock's and the namespace layer's
// business, not this one's.
constexpr Rule kAllowed[] = {
// I/O on the fds the session holds: the client's channel (stdin and
// stdout, or the TCP socket), the files, the relay to the listener,
// syslog. getpid: every log line and audit event asks.
#if defined(__x86_64__)
    SFTPD_ALLOW(poll),
#endif
    SFTPD_ALLOW(ppoll),
    SFTPD_ALLOW(recvfrom),
    SFTPD_ALLOW(sendto),
    SFTPD_ALLOW(getpid),
    SFTPD_ALLOW(read),
    SFTPD_ALLOW(write),
    SFTPD_ALLOW(pread64),
    SFTPD_ALLOW(pwrite64),
    SFTPD_ALLOW(readv),
    SFTPD_ALLOW(writev),
    SFTPD_ALLOW(preadv),
    SFTPD_ALLOW(pwritev),
    SFTPD_ALLOW(recvmsg),
    SFTPD_ALLOW(sendmsg),
    SFTPD_ALLOW(lseek),
    SFTPD_ALLOW(close),
    SFTPD_ALLOW(fcntl),
    SFTPD_ALLOW(dup),
    SFTPD_ALLOW(dup3),
    SFTPD_ALLOW(shutdown),
    SFTPD_ALLOW(getsockopt),
    SFTPD_ALLOW(setsockopt),
    SFTPD_ALLOW(getsockname),
    SFTPD_ALLOW(getpeername),
    SFTPD_ALLOW(epoll_pwait),
    SFTPD_ALLOW(epoll_pwait2),
    SFTPD_ALLOW(epoll_ctl),
    SFTPD_ALLOW(epoll_create1),
    SFTPD_ALLOW(pselect6),
    // Files, beneath the export roots.
    SFTPD_ALLOW(openat),
    SFTPD_ALLOW(openat2),
    SFTPD_ALLOW(newfstatat),
    SFTPD_ALLOW(fstat),
    SFTPD_ALLOW(statx),
    SFTPD_ALLOW(fstatfs),
    SFTPD_ALLOW(statfs),
    SFTPD_ALLOW(getdents64),
    SFTPD_ALLOW(readlinkat),
    SFTPD_ALLOW(mkdirat),
    SFTPD_ALLOW(unlinkat),
#ifdef __NR_renameat  // not on every architecture (renameat2 is)
    SFTPD_ALLOW(renameat),
#endif
    SFTPD_ALLOW(renameat2),
    SFTPD_ALLOW(linkat),
    SFTPD_ALLOW(symlinkat),
    SFTPD_ALLOW(fchmod),
    SFTPD_ALLOW(fchmodat),
    SFTPD_ALLOW(fchmodat2),
    SFTPD_ALLOW(fchown),
    SFTPD_ALLOW(fchownat),
    SFTPD_ALLOW(utimensat),
    SFTPD_ALLOW(truncate),
    SFTPD_ALLOW(ftruncate),
    SFTPD_ALLOW(fsync),
    SFTPD_ALLOW(fdatasync),
    SFTPD_ALLOW(fallocate),
    SFTPD_ALLOW(faccessat),
    SFTPD_ALLOW(faccessat2),
    SFTPD_ALLOW(fadvise64),
    SFTPD_ALLOW(getcwd),
    SFTPD_ALLOW(close_range),
    SFTPD_ALLOW(copy_file_range),
    // Memory: malloc, and mapping what glibc and OpenSSL map.
    SFTPD_ALLOW(brk),
    SFTPD_ALLOW(mmap),
    SFTPD_ALLOW(munmap),
    SFTPD_ALLOW(mremap),
    SFTPD_ALLOW(mprotect),
    SFTPD_ALLOW(madvise),
    // Time, randomness, futexes, the process's own identity and limits.
    SFTPD_ALLOW(clock_gettime),
    SFTPD_ALLOW(clock_getres),
    SFTPD_ALLOW(gettimeofday),
    SFTPD_ALLOW(clock_nanosleep),
    SFTPD_ALLOW(nanosleep),
    SFTPD_ALLOW(getrandom),
    SFTPD_ALLOW(futex),
    SFTPD_ALLOW(gettid),
    SFTPD_ALLOW(getuid),
    SFTPD_ALLOW(geteuid),
    SFTPD_ALLOW(getgid),
    SFTPD_ALLOW(getegid),
    SFTPD_ALLOW(getresuid),
    SFTPD_ALLOW(getresgid),
    SFTPD_ALLOW(getgroups),
    SFTPD_ALLOW(getppid),
    SFTPD_ALLOW(umask),
    SFTPD_ALLOW(prlimit64),
    SFTPD_ALLOW(getrlimit),
    SFTPD_ALLOW(sysinfo),
    SFTPD_ALLOW(uname),
    SFTPD_ALLOW(sched_getaffinity),
    SFTPD_ALLOW(getrusage),
    // Signals: handlers, masks, the daemon's login alarm, re-raising a stop
    // signal (kill and tgkill name the process itself, below).
    SFTPD_ALLOW(rt_sigaction),
    SFTPD_ALLOW(rt_sigprocmask),
    SFTPD_ALLOW(rt_sigreturn),
    SFTPD_ALLOW(rt_sigpending),
    SFTPD_ALLOW(rt_sigtimedwait),
    SFTPD_ALLOW(sigaltstack),
    SFTPD_ALLOW(restart_syscall),
    SFTPD_ALLOW(setitimer),
    SFTPD_ALLOW(getitimer),
    SFTPD_ALLOW(exit),
    SFTPD_ALLOW(exit_group),
    Rule{__NR_kill, Action::kSelfOnly},
    Rule{__NR_tgkill, Action::kSelfOnly},
#if defined(__x86_64__)
    // The calls x86_64 kept from before the *at ones, which glibc still
    // makes there for the plain functions (poll, stat, access, rename...).
    SFTPD_ALLOW(select),
    SFTPD_ALLOW(epoll_wait),
    SFTPD_ALLOW(open),
    SFTPD_ALLOW(stat),
    SFTPD_ALLOW(lstat),
    SFTPD_ALLOW(access),
    SFTPD_ALLOW(readlink),
    SFTPD_ALLOW(mkdir),
    SFTPD_ALLOW(rmdir),
    SFTPD_ALLOW(unlink),
    SFTPD_ALLOW(rename),
    SFTPD_ALLOW(link),
    SFTPD_ALLOW(symlink),
    SFTPD_ALLOW(chmod),
    SFTPD_ALLOW(dup2),
    SFTPD_ALLOW(alarm),
    SFTPD_ALLOW(time),
    SFTPD_ALLOW(arch_prctl),
#endif
    // clone3's flags are behind a pointer the filter cannot read: ENOSYS
    // sends glibc to clone, whose flags it can (and which is refused).
    Rule{__NR_clone3, Action::kNoSys},
    // No new socket: the session's are all open before it is confined. As
    // "no such family" rather than EPERM, because that is what libaudit,
    // which PAM's session close asks to write a record, takes for a kernel
    // without audit and passes over; EPERM makes PAM fail the close with a
    // critical log line. glibc's syslog and NSS fail quietly either way.
    Rule{__NR_socket, Action::kNoFamily},
};

// Only a sanitizer's report makes these.
constexpr Rule kAllowedForSanitizers[] = {
    SFTPD_ALLOW(prctl),
    SFTPD_ALLOW(sched_yield),
    SFTPD_ALLOW(mincore),
    // UBSan's vptr check tells readable memory by writing it into a pipe.
    SFTPD_ALLOW(pipe2),
#ifdef __NR_pipe
    SFTPD_ALLOW(pipe),
#endif
};

// Killed: no session ever makes them, and each is a step of an attack
// rather than of a bug: running another program, reading or writing
// another process, leaving or making namespaces and mounts, loading code
// into the kernel (modules, bpf), io_uring (whose work seccomp never
// sees), keyrings, handles that bypass paths, changing the machine.
// Ending the process at once stops the exploit where EPERM would let it
// try the next thing. Anything else not allowed fails with EPERM, so a
// call a future change needs shows as an error, not a dead session.
constexpr Rule kKilled[] = {
    SFTPD_KILL(execve),
    SFTPD_KILL(execveat),
    SFTPD_KILL(ptrace),
    SFTPD_KILL(process_vm_readv),
    SFTPD_KILL(process_vm_writev),
    SFTPD_KILL(mount),
    SFTPD_KILL(umount2),
    SFTPD_KILL(pivot_root),
    SFTPD_KILL(chroot),
    SFTPD_KILL(unshare),
    SFTPD_KILL(setns),
    SFTPD_KILL(bpf),
    SFTPD_KILL(perf_event_open),
    SFTPD_KILL(userfaultfd),
    SFTPD_KILL(io_uring_setup),
    SFTPD_KILL(io_uring_enter),
    SFTPD_KILL(io_uring_register),
    SFTPD_KILL(init_module),
    SFTPD_KILL(finit_module),
    SFTPD_KILL(delete_module),
    SFTPD_KILL(kexec_load),
    SFTPD_KILL(kexec_file_load),
    SFTPD_KILL(keyctl),
    SFTPD_KILL(add_key),
    SFTPD_KILL(request_key),
    SFTPD_KILL(personality),
    SFTPD_KILL(open_by_handle_at),
    SFTPD_KILL(name_to_handle_at),
    SFTPD_KILL(fsopen),
    SFTPD_KILL(fsconfig),
    SFTPD_KILL(fsmount),
    SFTPD_KILL(fspick),
    SFTPD_KILL(open_tree),
    SFTPD_KILL(move_mount),
    SFTPD_KILL(mount_setattr),
    SFTPD_KILL(reboot),
    SFTPD_KILL(swapon),
    SFTPD_KILL(swapoff),
    SFTPD_KILL(acct),
    SFTPD_KILL(quotactl),
    SFTPD_KILL(settimeofday),
    SFTPD_KILL(clock_settime),
    SFTPD_KILL(clock_adjtime),
    SFTPD_KILL(adjtimex),
    SFTPD_KILL(sethostname),
    SFTPD_KILL(setdomainname),
    SFTPD_KILL(vhangup),
    SFTPD_KILL(kcmp),
    SFTPD_KILL(pidfd_getfd),
#if defined(__x86_64__)
    SFTPD_KILL(iopl),
    SFTPD_KILL(ioperm),
    SFTPD_KILL(modify_ldt),
    SFTPD_KILL(uselib),
#endif
};

#undef SFTPD_ALLOW
#undef SFTPD_KILL

constexpr uint32_t kRetAllow = SECCOMP_RET_ALLOW;
constexpr uint32_t kRetKill = SECCOMP_RET_KILL_PROCESS;
constexpr uint32_t kRetEperm = SECCOMP_RET_ERRNO | EPERM;
constexpr uint32_t kRetEnosys = SECCOMP_RET_ERRNO | ENOSYS;
constexpr uint32_t kRetEafnosupport = SECCOMP_RET_ERRNO | EAFNOSUPPORT;

constexpr uint32_t kNrOffset = offsetof(seccomp_data, nr);
constexpr uint32_t kArchOffset = offsetof(seccomp_data, arch);
// The low 32 bits of the first argument (both architectures are little
// endian here): a pid.
constexpr uint32_t kArg0LowOffset = offsetof(seccomp_data, args[0]);

sock_filter Load(uint32_t offset) {
  return BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset);
}
sock_filter Return(uint32_t action) {
  return BPF_STMT(BPF_RET | BPF_K, action);
}
// If the accumulator equals k, go on with the next instruction, else skip
// `skip` of them.
sock_filter IfEqual(uint32_t k, uint8_t skip) {
  return BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, skip);
}

void Append(std::vector<sock_filter>& prog, const Rule& rule, int pid) {
  switch (rule.action) {
    case Action::kAllow:
      prog.push_back(IfEqual(static_cast<uint32_t>(rule.nr), 1));
      prog.push_back(Return(kRetAllow));
      return;
    case Action::kNoSys:
      prog.push_back(IfEqual(static_cast<uint32_t>(rule.nr), 1));
      prog.push_back(Return(kRetEnosys));
      return;
    case Action::kNoFamily:
      prog.push_back(IfEqual(static_cast<uint32_t>(rule.nr), 1));
      prog.push_back(Return(kRetEafnosupport));
      return;
    case Action::kKill:
      prog.push_back(IfEqual(static_cast<uint32_t>(rule.nr), 1));
      prog.push_back(Return(kRetKill));
      return;
    case Action::kSelfOnly:
      // The pid's high word is not checked: a pid is an int, and the
      // kernel reads only the low one.
      prog.push_back(IfEqual(static_cast<uint32_t>(rule.nr), 4));
      prog.push_back(Load(kArg0LowOffset));
      prog.push_back(IfEqual(static_cast<uint32_t>(pid), 1));
      prog.push_back(Return(kRetAllow));
      prog.push_back(Return(kRetEperm));
      return;
  }
}

}  // namespace

std::vector<sock_filter> SeccompProgram(int pid) {
  std::vector<sock_filter> prog;
  if (kArch == 0) return prog;
  // A call through another ABI (int 0x80 on x86_64: i386 numbers) would
  // be read with this table's numbers: killed.
  prog.push_back(Load(kArchOffset));
  prog.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0));
  prog.push_back(Return(kRetKill));
  prog.push_back(Load(kNrOffset));
#if defined(__x86_64__)
  // x32 numbers are x86_64's with bit 30 set, under the same arch value.
  prog.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1));
  prog.push_back(Return(kRetKill));
#endif
  for (const Rule& rule : kAllowed) Append(prog, rule, pid);
  if (kSanitizerBuild) {
    for (const Rule& rule : kAllowedForSanitizers) Append(prog, rule, pid);
  }
  for (const Rule& rule : kKilled) Append(prog, rule, pid);
  prog.push_back(Return(kRetEperm));
  return prog;
}

Result<SeccompState> RestrictWithSeccomp() {
  std::vector<sock_filter> filter = SeccompProgram(getpid());
  if (filter.empty()) {
    return SeccompState{
        .active = false,
        .text = "seccomp unavailable (no filter for this architecture)"};
  }
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(filter.size());
  prog.filter = filter.data();
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
    const int err = errno;
    // EINVAL: a kernel built without seccomp filters.
    if (err == EINVAL && prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
      return SeccompState{.active = false,
                          .text = "seccomp unavailable (not in this kernel)"};
    }
    return Error{std::string("sandbox: seccomp filter: ") + std::strerror(err)};
  }
  return SeccompState{.active = true, .text = "seccomp"};
}

}  // namespace sftpd::sandbox
