"""fcgi_drop.py SOCKET LOG: a stand-in FastCGI responder for nginx's side.

It answers every request 200 {"served":N} and keeps the connection, as
award-fcgi does with kept connections, except once: the first POST that
arrives on a connection that already served a request is read whole and
then the connection is closed unanswered. That is what nginx meets when a
worker stopping for a reload closes a kept connection just as nginx writes
a request on it. LOG gets one line per request: "served METHOD URI" or
"dropped METHOD URI".
"""
import os
import socket
import struct
import sys
import threading

BEGIN, END, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6
lock = threading.Lock()
state = {"served": 0, "dropped": 0}


def read_exact(c, n):
    b = b""
    while len(b) < n:
        chunk = c.recv(n - len(b))
        if not chunk:
            return None
        b += chunk
    return b


def record(c):
    h = read_exact(c, 8)
    if h is None:
        return None
    _, t, rid, clen, plen, _ = struct.unpack(">BBHHBB", h)
    body = read_exact(c, clen + plen)
    if body is None:
        return None
    return t, rid, body[:clen]


def length(b, i):
    if b[i] < 128:
        return b[i], i + 1
    return struct.unpack(">I", b[i:i + 4])[0] & 0x7fffffff, i + 4


def params(b):
    out, i = {}, 0
    while i < len(b):
        n, i = length(b, i)
        v, i = length(b, i)
        out[b[i:i + n].decode()] = b[i + n:i + n + v].decode()
        i += n + v
    return out


def send(c, t, rid, data):
    c.sendall(struct.pack(">BBHHBB", 1, t, rid, len(data), 0, 0) + data)


def log(line):
    with open(sys.argv[2], "a") as f:
        f.write(line + "\n")


def serve(c):
    served_here = 0
    while True:
        p, stdin_done, rid = b"", False, 0
        while not stdin_done:
            r = record(c)
            if r is None:
                c.close()
                return
            t, rid, body = r
            if t == PARAMS:
                p += body
            elif t == STDIN and body == b"":
                stdin_done = True
        env = params(p)
        what = "%s %s" % (env.get("REQUEST_METHOD"), env.get("DOCUMENT_URI"))
        with lock:
            drop = (served_here > 0 and state["dropped"] == 0 and
                    env.get("REQUEST_METHOD") == "POST")
            if drop:
                state["dropped"] += 1
            else:
                state["served"] += 1
                n = state["served"]
        if drop:
            log("dropped " + what)
            c.close()
            return
        log("served " + what)
        out = ("Status: 200 OK\r\nContent-Type: application/json; "
               "charset=utf-8\r\n\r\n{\"served\":%d}\n" % n).encode()
        send(c, STDOUT, rid, out)
        send(c, STDOUT, rid, b"")
        send(c, END, rid, struct.pack(">IB3x", 0, 0))
        served_here += 1


def main():
    path = sys.argv[1]
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


main()
