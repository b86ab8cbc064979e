// A delay line between two TUN devices, for tests and bench/ on a kernel
// without netem: every packet read from one device is written to the other
// after a fixed one-way delay, and a share of them (chosen by a seeded,
// repeatable generator) is dropped. Both TCP stacks then see the round trip
// and the losses of a real link.
//
// Usage: delay_line DEV_A DEV_B ONE_WAY_DELAY_US [LOSS_PPM]
// Creates the TUN devices DEV_A and DEV_B (IPv4/IPv6 packets, no header),
// prints "ready" on stdout, and forwards until SIGTERM or SIGINT. The caller
// moves each device into its own network namespace and gives it an address
// (tests/lib.sh, delay_line_up). On exit it prints to stderr how many packets
// it forwarded and dropped each way; the devices vanish with it.
// Packets wait in a queue of at most 64 MiB each way; beyond that they are
// dropped, as by a router's full buffer.
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr size_t kMaxPacket = 65536;
constexpr size_t kMaxQueuedBytes = 64 << 20;
// Packets read from one device in one turn, so that neither direction
// starves the other.
constexpr int kBurst = 64;

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int64_t NowMicros() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

int OpenTun(const char* name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1;
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (strlen(name) >= sizeof(ifr.ifr_name)) {
    errno = ENAMETOOLONG;
    close(fd);
    return -1;
  }
  strncpy(ifr.ifr_name, name, sizeof(ifr.ifr_name) - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

struct Packet {
  int64_t due_us;
  std::vector<unsigned char> bytes;
};

// One direction: packets read from `in`, written to `out` when due.
struct Direction {
  int in = -1;
  int out = -1;
  std::deque<Packet> queue;
  size_t queued_bytes = 0;
  uint64_t forwarded = 0;
  uint64_t lost = 0;      // dropped on purpose (LOSS_PPM)
  uint64_t overflow = 0;  // dropped because the queue was full
};

bool ParseCount(const char* s, uint64_t max, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v > max) return false;
  *out = v;
  return true;
}

void Receive(Direction* d, int64_t delay_us, uint64_t loss_ppm,
             std::mt19937_64* rng, std::vector<unsigned char>* buf) {
  for (int i = 0; i < kBurst; ++i) {
    ssize_t n = read(d->in, buf->data(), buf->size());
    if (n <= 0) return;  // EAGAIN, or nothing more this turn
    if (loss_ppm > 0 && (*rng)() % 1000000 < loss_ppm) {
      ++d->lost;
      continue;
    }
    if (d->queued_bytes + size_t(n) > kMaxQueuedBytes) {
      ++d->overflow;
      continue;
    }
    d->queue.push_back(
        Packet{NowMicros() + delay_us, {buf->begin(), buf->begin() + n}});
    d->queued_bytes += size_t(n);
  }
}

void Release(Direction* d, int64_t now) {
  while (!d->queue.empty() && d->queue.front().due_us <= now) {
    Packet& p = d->queue.front();
    // A TUN write hands the packet to the stack; a failure (the device's
    // namespace being torn down) loses the packet, as a link would.
    if (write(d->out, p.bytes.data(), p.bytes.size()) > 0) ++d->forwarded;
    d->queued_bytes -= p.bytes.size();
    d->queue.pop_front();
  }
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t delay_us = 0;
  uint64_t loss_ppm = 0;
  if ((argc != 4 && argc != 5) || !ParseCount(argv[3], 10000000, &delay_us) ||
      (argc == 5 && !ParseCount(argv[4], 1000000, &loss_ppm))) {
    fprintf(stderr,
            "usage: delay_line DEV_A DEV_B ONE_WAY_DELAY_US [LOSS_PPM]\n");
    return 2;
  }
  Direction ab;
  Direction ba;
  ab.in = ba.out = OpenTun(argv[1]);
  if (ab.in < 0) {
    fprintf(stderr, "delay_line: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  ab.out = ba.in = OpenTun(argv[2]);
  if (ab.out < 0) {
    fprintf(stderr, "delay_line: %s: %s\n", argv[2], strerror(errno));
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  sigset_t during_poll;
  sigprocmask(SIG_BLOCK, &blocked, &during_poll);
  printf("ready\n");
  fflush(stdout);

  std::mt19937_64 rng(20261206);
  std::vector<unsigned char> buf(kMaxPacket);
  Direction* dirs[2] = {&ab, &ba};
  while (g_stop == 0) {
    int64_t now = NowMicros();
    int64_t wait_us = -1;
    for (Direction* d : dirs) {
      Release(d, now);
      if (!d->queue.empty()) {
        int64_t w = d->queue.front().due_us - now;
        if (wait_us < 0 || w < wait_us) wait_us = w;
      }
    }
    pollfd fds[2] = {{ab.in, POLLIN, 0}, {ba.in, POLLIN, 0}};
    timespec ts{wait_us / 1000000, (wait_us % 1000000) * 1000};
    // Signals are let through only while waiting, so none is lost between
    // the check of g_stop and the wait.
    int rc = ppoll(fds, 2, wait_us < 0 ? nullptr : &ts, &during_poll);
    if (rc < 0 && errno != EINTR) {
      perror("delay_line: ppoll");
      return 1;
    }
    if (rc <= 0) continue;
    if ((fds[0].revents | fds[1].revents) & (POLLERR | POLLHUP | POLLNVAL)) {
      fprintf(stderr, "delay_line: a device went away\n");
      return 1;
    }
    if (fds[0].revents & POLLIN)
      Receive(&ab, int64_t(delay_us), loss_ppm, &rng, &buf);
    if (fds[1].revents & POLLIN)
      Receive(&ba, int64_t(delay_us), loss_ppm, &rng, &buf);
  }
  fprintf(stderr,
          "delay_line: %s->%s %llu forwarded, %llu lost, %llu overflowed; "
          "%s->%s %llu forwarded, %llu lost, %llu overflowed\n",
          argv[1], argv[2], static_cast<unsigned long long>(ab.forwarded),
          static_cast<unsigned long long>(ab.lost),
          static_cast<unsigned long long>(ab.overflow), argv[2], argv[1],
          static_cast<unsigned long long>(ba.forwarded),
          static_cast<unsigned long long>(ba.lost),
          static_cast<unsigned long long>(ba.overflow));
  return 0;
}
