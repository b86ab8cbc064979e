#!/usr/bin/env python3
"""Floods an SFTP server with requests it refuses, for the audit tests.

Usage: refusal_flood.py COUNT DIR LENGTH
                        [--malformed | --extension NAME | --control]
                        -- COMMAND...

Runs COMMAND (an `sftpd --stdio`, or `ssh -s ... sftp`), speaks SFTP v3 to
its stdin and stdout: INIT, then COUNT MKDIRs of distinct paths LENGTH bytes
long under DIR (a read-only export, say), at most 64 in flight, then closes
its input and waits for it. Prints "denied=N other=M" (M replies that were
not PERMISSION_DENIED) and exits 0 when every request got a reply.
With --malformed each MKDIR's ATTRS has flag bit 0x10, which SFTP v3 does
not define: it prints "malformed=N other=M" (N replies BAD_MESSAGE). With
--extension it sends COUNT EXTENDED requests named NAME (an unknown one) and
prints "unsupported=N other=M" (N replies OP_UNSUPPORTED). With --control
the paths are filled with byte 0x01 instead of "x", which the audit trail
escapes to six bytes each.
"""
import os
import struct
import subprocess
import sys

FXP_INIT, FXP_VERSION, FXP_MKDIR, FXP_EXTENDED, FXP_STATUS = 1, 2, 14, 200, 101
FX_PERMISSION_DENIED, FX_BAD_MESSAGE, FX_OP_UNSUPPORTED = 3, 5, 8
IN_FLIGHT = 64


def packet(kind, body):
    return struct.pack(">IB", len(body) + 1, kind) + body


def read_exactly(stream, n):
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            raise EOFError("the server closed its output")
        data += chunk
    return data


def read_packet(stream):
    (length,) = struct.unpack(">I", read_exactly(stream, 4))
    body = read_exactly(stream, length)
    return body[0], body[1:]


def main():
    count, where, length = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    command = sys.argv[sys.argv.index("--") + 1:]
    options = sys.argv[4:sys.argv.index("--")]
    malformed = "--malformed" in options
    fill = b"\x01" if "--control" in options else b"x"
    extension = None
    if "--extension" in options:
        extension = os.fsencode(options[options.index("--extension") + 1])
    label, expected = ("malformed", FX_BAD_MESSAGE) if malformed else \
        ("unsupported", FX_OP_UNSUPPORTED) if extension is not None else \
        ("denied", FX_PERMISSION_DENIED)
    proc = subprocess.Popen(command, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    out, inp = proc.stdout, proc.stdin
    inp.write(packet(FXP_INIT, struct.pack(">I", 3)))
    inp.flush()
    kind, _ = read_packet(out)
    if kind != FXP_VERSION:
        sys.exit("no VERSION reply")
    denied = other = sent = answered = 0
    while answered < count:
        while sent < count and sent - answered < IN_FLIGHT:
            name = ("%s/%d-" % (where, sent)).encode()
            name += fill * max(0, length - len(name))
            body = struct.pack(">II", sent, len(name)) + name
            # ATTRS: no flags, or one v3 does not define (and no fields)
            body += struct.pack(">I", 0x10 if malformed else 0)
            if extension is not None:
                body = struct.pack(">II", sent, len(extension)) + extension
                inp.write(packet(FXP_EXTENDED, body))
            else:
                inp.write(packet(FXP_MKDIR, body))
            sent += 1
        inp.flush()
        kind, body = read_packet(out)
        answered += 1
        if kind == FXP_STATUS and struct.unpack(">I", body[4:8])[0] == \
                expected:
            denied += 1
        else:
            other += 1
    inp.close()
    proc.wait(timeout=30)
    print("%s=%d other=%d" % (label, denied, other))


if __name__ == "__main__":
    main()
