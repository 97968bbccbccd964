"""fcgi_raw.py: a raw FastCGI client for the connection tests (test_conn.sh).

Usage: python3 fcgi_raw.py SOCKET MODE [ARG]
  huge22         send the 22-byte PARAMS record with name length 0x7ffffff0
                 (issue 18 finding 2); print "closed" when the responder
                 closes the connection, "open" if it is still open after 5 s
  stall N        open N connections that each stop in the middle of a
                 record, print "stalled N" and hold them until killed
  hold N         open N connections that send nothing; "held K" (K opened)
  two            two requests on one kept connection, one after the other
  pipelined      two requests on one kept connection, sent at once
  idle SECS      one request on a kept connection, then wait SECS for the
                 responder to close it: "closed" or "open"
  nokeep         one request without FCGI_KEEP_CONN (then "eof" expected)
  busy GO BODY   on one kept connection, a webhook with the JSON in file
                 BODY; once file GO exists, a second request (healthz),
                 then file GO.sent; then both answers (60 s at most)
  endwith SENT   a request on a kept connection and the end of our side
                 (shutdown SHUT_WR) at once; file SENT once both went;
                 then the answer and "eof", or "timeout" when the
                 responder keeps the connection open 10 s after it
  deaf N         up to N webhooks with a body that is not JSON on one kept
                 connection, sent without ever reading an answer; print
                 "closed" when the responder closes the connection, "open"
                 when all N went and it is still open after 5 s
The last two print one "Status: NNN" line per answer and "end N" per
FCGI_END_REQUEST, then "eof" if the responder closed the connection.
"""
import os
import socket
import struct
import sys
import time


def rec(rtype, rid, content=b"", pad=0):
    return struct.pack(">BBHHBx", 1, rtype, rid, len(content), pad) + \
        content + b"\0" * pad


def nv(k, v):
    k, v = k.encode(), v.encode()
    return bytes([len(k), len(v)]) + k + v


def request(rid, keep, path="/healthz", method="GET", body=b""):
    p = nv("REQUEST_METHOD", method) + nv("DOCUMENT_URI", path) + \
        nv("QUERY_STRING", "") + nv("REMOTE_ADDR", "127.0.0.1") + \
        nv("CONTENT_LENGTH", str(len(body)))
    out = rec(1, rid, struct.pack(">HB5x", 1, 1 if keep else 0))
    out += rec(4, rid, p) + rec(4, rid) + rec(5, rid, body, 3) + rec(5, rid)
    return out


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def read_answers(s, want, timeout=10):
    """Read records until want END_REQUESTs or EOF; print what came."""
    s.settimeout(timeout)
    buf, ends, out = b"", 0, ""
    while ends < want:
        try:
            d = s.recv(65536)
        except socket.timeout:
            print("timeout")
            return
        if not d:
            print("eof")
            return
        buf += d
        while len(buf) >= 8:
            _, t, rid, clen, pad = struct.unpack(">BBHHBx", buf[:8])
            if len(buf) < 8 + clen + pad:
                break
            c = buf[8:8 + clen]
            buf = buf[8 + clen + pad:]
            if t == 6:
                out += c.decode("latin-1")
            elif t == 3:
                ends += 1
                for line in out.split("\r\n"):
                    if line.startswith("Status:"):
                        print(line.strip())
                print("end %d" % rid)
                out = ""


def main():
    path, mode = sys.argv[1], sys.argv[2]
    if mode == "huge22":
        s = connect(path)
        c = struct.pack(">I", 0x7FFFFFF0 | 0x80000000) + bytes([16]) + \
            b"\0" * 9
        s.sendall(rec(1, 1, struct.pack(">HB5x", 1, 0)) + rec(4, 1, c))
        s.settimeout(5)
        try:
            print("closed" if s.recv(100) == b"" else "answered")
        except socket.timeout:
            print("open")
        except ConnectionResetError:
            print("closed")
    elif mode in ("stall", "hold"):
        n, conns = int(sys.argv[3]), []
        for _ in range(n):
            try:
                s = connect(path)
            except OSError:
                break
            if mode == "stall":
                s.sendall(rec(1, 1, struct.pack(">HB5x", 1, 0)) +
                          struct.pack(">BBHH", 1, 4, 1, 100))
            conns.append(s)
        print("%s %d" % ("stalled" if mode == "stall" else "held",
                         len(conns)), flush=True)
        while True:
            time.sleep(60)
    elif mode == "two":
        s = connect(path)
        s.sendall(request(1, True))
        read_answers(s, 1)
        s.sendall(request(1, True))
        read_answers(s, 1)
        s.shutdown(socket.SHUT_WR)
        read_answers(s, 1, 5)
    elif mode == "idle":
        s = connect(path)
        s.sendall(request(1, True))
        read_answers(s, 1)
        s.settimeout(float(sys.argv[3]))
        try:
            print("closed" if s.recv(100) == b"" else "data", flush=True)
        except socket.timeout:
            print("open", flush=True)
    elif mode == "nokeep":
        s = connect(path)
        s.sendall(request(1, False))
        read_answers(s, 2)
    elif mode == "pipelined":
        s = connect(path)
        s.sendall(request(1, True) + request(1, True))
        read_answers(s, 2)
        s.shutdown(socket.SHUT_WR)
        read_answers(s, 1, 5)
    elif mode == "busy":
        go = sys.argv[3]
        with open(sys.argv[4], "rb") as f:
            body = f.read()
        s = connect(path)
        s.sendall(request(1, True, "/v1/payments/webhook", "POST", body))
        while not os.path.exists(go):
            time.sleep(0.02)
        s.sendall(request(1, True))
        open(go + ".sent", "w").close()
        read_answers(s, 2, 60)
    elif mode == "endwith":
        s = connect(path)
        s.sendall(request(1, True))
        s.shutdown(socket.SHUT_WR)
        open(sys.argv[3], "w").close()
        read_answers(s, 1, 30)
        read_answers(s, 1, 10)
    elif mode == "deaf":
        s = connect(path)
        s.settimeout(30)
        one = request(1, True, "/v1/payments/webhook", "POST", b"{")
        try:
            for _ in range(int(sys.argv[3])):
                s.sendall(one)
            time.sleep(5)
            s.sendall(one)
            print("open")
        except (BrokenPipeError, ConnectionResetError):
            print("closed")
        except socket.timeout:
            print("open")


main()
