#!/usr/bin/env python3
"""A balancer in miniature, for ssh's ProxyCommand: connects from SOURCE to
127.0.0.1:PORT, sends a PROXY protocol v1 header naming CLIENT:CLIENT_PORT
(with --split, in two pieces 0.3 s apart, so the server must wait for the
rest), then relays stdin and stdout over the connection until it closes.
Usage: proxy_relay.py SOURCE PORT CLIENT CLIENT_PORT [--split]"""
import os
import selectors
import socket
import sys
import time


def main():
    source, port, client, client_port = sys.argv[1:5]
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", int(port)))
    header = f"PROXY TCP4 {client} 127.0.0.1 {client_port} 22\r\n".encode()
    if "--split" in sys.argv[5:]:
        s.sendall(header[:9])
        time.sleep(0.3)
        header = header[9:]
    s.sendall(header)
    sel = selectors.DefaultSelector()
    sel.register(0, selectors.EVENT_READ, "stdin")
    sel.register(s, selectors.EVENT_READ, "net")
    while True:
        events = sel.select(30)
        if not events:
            sys.exit("proxy_relay: nothing for 30 s")
        for key, _ in events:
            if key.data == "stdin":
                data = os.read(0, 65536)
                if not data:
                    s.shutdown(socket.SHUT_WR)
                    sel.unregister(0)
                else:
                    s.sendall(data)
            else:
                data = s.recv(65536)
                if not data:
                    return
                while data:
                    data = data[os.write(1, data):]


if __name__ == "__main__":
    main()
