#!/usr/bin/python3
"""An SSH client for what OpenSSH's client will not do, driven by the daemon
tests: claim any user name (control characters included), show the
keyboard-interactive prompts a server sends, time a failed password, hold
idle connections from a chosen source address. Uses paramiko (Debian's
python3-paramiko, hence /usr/bin/python3). Every network wait is bounded.

  ssh_probe.py [--bind ADDR] PORT password USER PASSWORD
      one password attempt; prints "ok" or "refused" and the seconds the
      attempt took, e.g. "refused 2.104"
  ssh_probe.py [--bind ADDR] PORT kbdint USER ANSWER
      keyboard-interactive, answering every prompt with ANSWER; prints each
      round as a JSON line {"instruction":..,"prompts":[[text, echo],..]},
      then "ok" or "refused"
  ssh_probe.py [--bind ADDR] PORT hold COUNT SECONDS
      opens COUNT connections that send nothing, prints "held COUNT", and
      keeps them open for SECONDS (or until killed)
  ssh_probe.py [--bind ADDR] PORT steps STEP...
      one connection, one authentication request a STEP, "none:USER",
      "publickey:USER:KEYFILE" (an ed25519 key) or "kbdint-cut:USER:OTHER"
      (keyboard-interactive for USER, which at the first prompt sends a
      "none" request for OTHER before its answers); USER may change from
      step to step; prints a line a step: "ok", "refused" (the server answered
      failure) or "closed REASON" (it ended the connection unanswered, with
      the reason of its disconnect message), and stops after "closed"
"""
import argparse
import json
import logging
import socket
import sys
import time

import paramiko

TIMEOUT = 15


def connect(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    if args.bind:
        sock.bind((args.bind, 0))
    sock.connect(("127.0.0.1", args.port))
    return sock


def transport(args):
    t = paramiko.Transport(connect(args))
    t.banner_timeout = TIMEOUT
    t.auth_timeout = TIMEOUT
    t.start_client(timeout=TIMEOUT)
    return t


def password(args):
    t = transport(args)
    start = time.monotonic()
    try:
        t.auth_password(args.rest[0], args.rest[1])
        result = "ok"
    except paramiko.SSHException:
        result = "refused"
    print(f"{result} {time.monotonic() - start:.3f}")
    t.close()


def kbdint(args):
    t = transport(args)
    answer = args.rest[1]

    def handler(title, instruction, prompts):
        print(json.dumps({"instruction": instruction,
                          "prompts": [[p, bool(e)] for p, e in prompts]}),
              flush=True)
        return [answer for _ in prompts]

    try:
        t.auth_interactive(args.rest[0], handler)
        print("ok")
    except paramiko.SSHException:
        print("refused")
    t.close()


def hold(args):
    count, seconds = int(args.rest[0]), float(args.rest[1])
    held = [connect(args) for _ in range(count)]
    print(f"held {len(held)}", flush=True)
    time.sleep(seconds)


def steps(args):
    # Which requests the server answered with failure: paramiko raises the
    # same exception for a failure and for a connection closed meanwhile.
    failures = []
    table = paramiko.auth_handler.AuthHandler._client_handler_table
    parse_failure = table[paramiko.common.MSG_USERAUTH_FAILURE]

    def on_failure(handler, m):
        failures.append(m)
        parse_failure(handler, m)

    table[paramiko.common.MSG_USERAUTH_FAILURE] = on_failure
    reasons = []

    class Disconnects(logging.Handler):
        def emit(self, record):
            text = record.getMessage()
            if text.startswith("Disconnect (code"):
                reasons.append(text.split(": ", 1)[1])

    logger = logging.getLogger("paramiko.transport")
    logger.setLevel(logging.INFO)
    logger.addHandler(Disconnects())
    t = transport(args)
    for step in args.rest:
        method, rest = step.split(":", 1)
        seen = len(failures)
        try:
            if method == "none":
                t.auth_none(rest)
            elif method == "kbdint-cut":
                user, other = rest.split(":", 1)

                def cut(title, instruction, prompts):
                    m = paramiko.Message()
                    m.add_byte(paramiko.common.cMSG_USERAUTH_REQUEST)
                    for field in (other, "ssh-connection", "none"):
                        m.add_string(field)
                    t._send_message(m)
                    return ["" for _ in prompts]

                t.auth_interactive(user, cut)
            else:
                user, key = rest.rsplit(":", 1)
                t.auth_publickey(
                    user, paramiko.Ed25519Key.from_private_key_file(key))
            print("ok", flush=True)
        except (paramiko.SSHException, EOFError, OSError):
            if len(failures) > seen:
                print("refused", flush=True)
            else:
                print("closed " + " ".join(reasons), flush=True)
                break
    t.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind")
    p.add_argument("port", type=int)
    p.add_argument("mode", choices=["password", "kbdint", "hold", "steps"])
    p.add_argument("rest", nargs="*")
    args = p.parse_args()
    modes = {"password": password, "kbdint": kbdint, "hold": hold,
             "steps": steps}
    modes[args.mode](args)


if __name__ == "__main__":
    main()
