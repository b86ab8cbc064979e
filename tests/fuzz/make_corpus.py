#!/usr/bin/env python3
"""Writes the binary seed corpora of the session and framing harnesses
(tests/fuzz/corpus/session/, .../framing/): short, valid request sequences
that reach every request type and extension, so the fuzzer starts from
inputs the engine accepts. Deterministic; run it again after changing it:
    python3 tests/fuzz/make_corpus.py
The config and authorized_keys seeds are plain text files, kept as is."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

OPEN, CLOSE, READ, WRITE, LSTAT, FSTAT, SETSTAT, FSETSTAT = 3, 4, 5, 6, 7, 8, 9, 10
OPENDIR, READDIR, REMOVE, MKDIR, RMDIR, REALPATH, STAT = 11, 12, 13, 14, 15, 16, 17
RENAME, READLINK, SYMLINK, EXTENDED = 18, 19, 20, 200
R, W, APPEND, CREAT, TRUNC, EXCL = 1, 2, 4, 8, 16, 32


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def s(b):
    b = b.encode() if isinstance(b, str) else b
    return u32(len(b)) + b


def attrs(mode=None, size=None):
    if mode is None and size is None:
        return u32(0)
    flags, body = 0, b""
    if size is not None:
        flags |= 1
        body += u64(size)
    if mode is not None:
        flags |= 4
        body += u32(mode)
    return u32(flags) + body


def handle(slot=0, gen=0):
    return s(u32(slot) + u32(gen))


def ext(name, body=b""):
    return (EXTENDED, s(name) + body)


# Each sequence: (type, body) requests, in order.
SEQUENCES = {
    "write_read_close": [
        (OPEN, s("/home/new") + u32(W | CREAT | TRUNC) + attrs(0o644)),
        (WRITE, handle() + u64(0) + s("hello, world")),
        (CLOSE, handle()),
        (OPEN, s("/home/new") + u32(R) + attrs()),
        (READ, handle(0, 1) + u64(0) + u32(4096)),
        (FSTAT, handle(0, 1)),
        (CLOSE, handle(0, 1)),
    ],
    "listing": [
        (REALPATH, s(".")),
        (OPENDIR, s("/")),
        (READDIR, handle()),
        (READDIR, handle()),
        (CLOSE, handle()),
        (OPENDIR, s("/home")),
        (READDIR, handle(0, 1)),
        (CLOSE, handle(0, 1)),
    ],
    "paths": [
        (STAT, s("/home/f")),
        (LSTAT, s("/home/../home/./f")),
        (STAT, s("/../../etc/passwd")),
        (REALPATH, s("/home/d/../f")),
        (STAT, s("relative/f")),
        (LSTAT, s("/shared/d")),
    ],
    "tree_changes": [
        (MKDIR, s("/home/x") + attrs(0o755)),
        (RENAME, s("/home/f") + s("/home/x/g")),
        (SYMLINK, s("/home/x/g") + s("/home/link")),
        (READLINK, s("/home/link")),
        (SETSTAT, s("/home/x/g") + attrs(0o600)),
        (REMOVE, s("/home/link")),
        (REMOVE, s("/home/x/g")),
        (RMDIR, s("/home/x")),
    ],
    "read_only": [
        (OPEN, s("/ro/f") + u32(W | TRUNC) + attrs()),
        (REMOVE, s("/ro/f")),
        (MKDIR, s("/ro/new") + attrs()),
        (SETSTAT, s("/ro/f") + attrs(0o777)),
        (RENAME, s("/ro/f") + s("/home/stolen")),
    ],
    "owner_only": [
        (OPEN, s("/own/f") + u32(R) + attrs()),
        (OPEN, s("/own/mine") + u32(W | CREAT | EXCL) + attrs(0o600)),
        (FSETSTAT, handle() + attrs(0o640, 3)),
        (CLOSE, handle()),
    ],
    "atomic_uploads": [
        (OPEN, s("/shared/up") + u32(W | CREAT | TRUNC) + attrs(0o640)),
        (WRITE, handle() + u64(0) + s("staged")),
        (OPEN, s("/shared/f") + u32(W | TRUNC) + attrs()),
        (WRITE, handle(1, 0) + u64(1 << 62) + s("x")),
        (CLOSE, handle(1, 0)),
        (CLOSE, handle()),
        (OPEN, s("/shared/f") + u32(W | CREAT | EXCL) + attrs()),
        (OPEN, s("/shared/gone") + u32(W | CREAT | TRUNC) + attrs()),
    ],
    "extensions": [
        ext("limits@openssh.com"),
        ext("statvfs@openssh.com", s("/home")),
        ext("posix-rename@openssh.com", s("/home/f") + s("/home/g")),
        ext("hardlink@openssh.com", s("/home/g") + s("/home/h")),
        ext("lsetstat@openssh.com", s("/home/h") + attrs(0o600)),
        ext("expand-path@openssh.com", s("~/d")),
        ext("home-directory", s("fuzz")),
        ext("users-groups-by-id@openssh.com", s(u32(0)) + s(u32(0))),
        ext("no-such-extension@example.com", s("x")),
    ],
    "handles_extensions": [
        (OPEN, s("/home/f") + u32(R | W) + attrs()),
        ext("fstatvfs@openssh.com", handle()),
        ext("fsync@openssh.com", handle()),
        (OPEN, s("/home/copy") + u32(W | CREAT) + attrs(0o644)),
        ext("copy-data", handle() + u64(0) + u64(0) + handle(1, 0) + u64(0)),
        (CLOSE, handle(1, 0)),
        (CLOSE, handle()),
        (CLOSE, handle()),
    ],
}


def record(t, body):
    # The session harness's record: type, 2-byte body length, body.
    return bytes([t]) + struct.pack(">H", len(body)) + body


def frame(t, rid, body):
    payload = bytes([t]) + u32(rid) + body
    return u32(len(payload)) + payload


def main():
    init = u32(5) + bytes([1]) + u32(3)
    for kind in ("session", "framing"):
        os.makedirs(os.path.join(HERE, "corpus", kind), exist_ok=True)
    for name, seq in SEQUENCES.items():
        with open(os.path.join(HERE, "corpus", "session", name), "wb") as f:
            f.write(b"".join(record(t, b) for t, b in seq))
        # The framing harness: its first byte picks the read size.
        stream = init + b"".join(frame(t, i + 1, b) for i, (t, b) in enumerate(seq))
        for cut in (0, 2):
            with open(os.path.join(HERE, "corpus", "framing", "%s.%d" % (name, cut)), "wb") as f:
                f.write(bytes([cut]) + stream)
    # Broken framing: a zero length, an oversized length, a cut packet.
    broken = {
        "zero_length": init + u32(0),
        "oversized": init + u32(0x7FFFFFFF) + b"\x03",
        "cut": init + frame(STAT, 1, s("/home/f"))[:-3],
    }
    for name, stream in broken.items():
        with open(os.path.join(HERE, "corpus", "framing", name), "wb") as f:
            f.write(b"\x01" + stream)


if __name__ == "__main__":
    main()
