#!/usr/bin/env python3
"""Tiny traffic tools for the data-plane end-to-end suite, run inside test namespaces.

serve SPEC...          listen on tcp:PORT / udp:PORT (IPv4 and IPv6), print "ready";
                       TCP echoes each chunk ("GET " gets an HTTP reply); UDP echoes, and
                       remembers "mark:X" datagrams so that "query:X" answers yes/no
tcp ADDR PORT T        connect, send, expect the echo within T seconds: exit 0 / 1
udp ADDR PORT T        one datagram, expect the echo: exit 0 / 1
http ADDR PORT T       GET /, expect 200: exit 0 / 1
send ADDR PORT MSG [SRC]  one UDP datagram (optionally from SRC), no reply expected
stream ADDR PORT       connect, print "connected"; then for each stdin line send it and
                       print "ok" or "fail" (1 s per reply)
"""
import socket
import sys
import threading


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def tcp_conn(conn):
    with conn:
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            if data.startswith(b"GET "):
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
                return
            conn.sendall(data)


def tcp_loop(sock):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=tcp_conn, args=(conn,), daemon=True).start()


def udp_loop(sock):
    marks = set()
    while True:
        data, peer = sock.recvfrom(4096)
        if data.startswith(b"mark:"):
            marks.add(data[5:])
            continue
        if data.startswith(b"query:"):
            sock.sendto(b"yes" if data[6:] in marks else b"no", peer)
            continue
        sock.sendto(data, peer)


def serve(specs):
    for spec in specs:
        proto, port = spec.split(":")
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET6, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(("::", int(port)))
        if proto == "tcp":
            sock.listen(128)
            threading.Thread(target=tcp_loop, args=(sock,), daemon=True).start()
        else:
            threading.Thread(target=udp_loop, args=(sock,), daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


def tcp(addr, port, timeout):
    try:
        with socket.create_connection((addr, int(port)), timeout=float(timeout)) as s:
            s.sendall(b"hello")
            return 0 if s.recv(100) == b"hello" else 1
    except OSError:
        return 1


def udp(addr, port, timeout):
    with socket.socket(family(addr), socket.SOCK_DGRAM) as s:
        s.settimeout(float(timeout))
        try:
            s.sendto(b"hello", (addr, int(port)))
            data, _ = s.recvfrom(100)
            if data.startswith(b"yes") or data.startswith(b"no"):
                print(data.decode())
            return 0 if data in (b"hello", b"yes") else 1
        except OSError:
            return 1


def query(addr, port, token, timeout):
    with socket.socket(family(addr), socket.SOCK_DGRAM) as s:
        s.settimeout(float(timeout))
        try:
            s.sendto(b"query:" + token.encode(), (addr, int(port)))
            data, _ = s.recvfrom(100)
            return 0 if data == b"yes" else 1
        except OSError:
            return 2


def http(addr, port, timeout):
    import http.client

    try:
        conn = http.client.HTTPConnection(addr, int(port), timeout=float(timeout))
        conn.request("GET", "/")
        return 0 if conn.getresponse().status == 200 else 1
    except OSError:
        return 1


def send(addr, port, msg, src=None):
    with socket.socket(family(addr), socket.SOCK_DGRAM) as s:
        if src:
            s.bind((src, 0))
        s.sendto(msg.encode(), (addr, int(port)))
    return 0


def stream(addr, port):
    try:
        s = socket.create_connection((addr, int(port)), timeout=2)
    except OSError:
        print("refused", flush=True)
        return 1
    print("connected", flush=True)
    s.settimeout(1)
    for line in sys.stdin:
        msg = line.strip().encode()
        try:
            s.sendall(msg)
            ok = s.recv(100) == msg
        except OSError:
            ok = False
        print("ok" if ok else "fail", flush=True)
    return 0


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "serve":
        serve(args)
        return 0
    fns = {"tcp": tcp, "udp": udp, "http": http, "send": send, "stream": stream, "query": query}
    return fns[cmd](*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
