#!/usr/bin/env python3
"""A mock of YooKassa's API v3 for the tests (SPEC.md §11). Loopback only.

Serves what award-reconcile and verification call:
  GET /v3/payments?status=succeeded&created_at.gte=T&limit=N[&cursor=C]
  GET /v3/refunds?...                (the same list shape)
  GET /v3/payments/{id}, GET /v3/refunds/{id}   (404 when unknown)
with HTTP Basic shop_id:secret_key (401 otherwise), lists newest first and
paged with opaque cursors, as the real API does.

Data: --data FILE, JSON {"payments":[...], "refunds":[...]}, full objects
as the API returns them; reread whenever the file changes. `gen` writes
such a file (see `yookassa.py gen --help`).

Faults: --faults FILE, reread whenever it changes (its counters restart),
a JSON list of rules; each request takes the first rule that matches:
  {"path": "/payments",     prefix of the path after /v3 (default: any)
   "query": "cursor=",      substring of the query (default: any)
   "after": N,              let the first N matching requests through
   "count": K,              then fault K of them (default: all after)
   "status": 500,           answer this status ...
   "retry_after": "2",      ... with this Retry-After header
   "body": "text",          ... and this body (default: a YooKassa error)
   "hang": S,               or sleep S seconds before answering normally
   "release": FILE}         ... or less: until FILE exists
Every request served is appended to --log FILE as one JSON line:
{"method","path","query","auth","status"} (auth: "ok" | "bad" | "none"),
before the answer is sent; a request that hangs is logged on arrival
too, with "status": "hang".

Run: yookassa.py serve --port-file F [--port P] --data D [--faults F]
     [--log L] [--shop-id ID] [--secret-key KEY]
The chosen port is written to --port-file once the socket listens.
"""

import argparse
import base64
import datetime
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

PREFIX = "/v3"
LIMIT_MAX = 100


def parse_time(s):
    """ISO-8601 with Z or an offset, with or without fractions."""
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    return datetime.datetime.fromisoformat(s)


class Reloading:
    """A JSON file reread when its mtime or size changes."""

    def __init__(self, path, default):
        self.path, self.default = path, default
        self.stamp, self.value, self.lock = None, default, threading.Lock()
        self.on_change = None

    def get(self):
        if not self.path:
            return self.value
        with self.lock:
            try:
                st = os.stat(self.path)
                stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            except FileNotFoundError:
                stamp = None
            if stamp != self.stamp:
                self.stamp = stamp
                if stamp is None:
                    self.value = self.default
                else:
                    with open(self.path, encoding="utf-8") as f:
                        self.value = json.load(f)
                if self.on_change:
                    self.on_change(self.value)
            return self.value


class State:
    def __init__(self, args):
        self.args = args
        self.data = Reloading(args.data, {"payments": [], "refunds": []})
        self.data.on_change = self._index
        self.faults = Reloading(args.faults, [])
        self.faults.on_change = self._reset_faults
        self.hits = []
        self.lock = threading.Lock()
        self.log_lock = threading.Lock()
        self.sorted = {"payments": [], "refunds": []}
        self.by_id = {"payments": {}, "refunds": {}}
        self.data.get()

    def _index(self, value):
        for kind in ("payments", "refunds"):
            items = list(value.get(kind, []))
            # Newest first, ties by id: a stable order for the cursors.
            keyed = [(parse_time(o["created_at"]), o["id"], o)
                     for o in items]
            keyed.sort(key=lambda k: (k[0], k[1]), reverse=True)
            self.sorted[kind] = [(t, o) for t, _, o in keyed]
            items = [o for _, _, o in keyed]
            self.by_id[kind] = {o["id"]: o for o in items}

    def _reset_faults(self, rules):
        self.hits = [0] * len(rules)

    def fault_for(self, path, query):
        rules = self.faults.get()
        with self.lock:
            for i, r in enumerate(rules):
                if not path.startswith(r.get("path", "")):
                    continue
                if r.get("query", "") not in query:
                    continue
                self.hits[i] += 1
                n = self.hits[i]
                after = r.get("after", 0)
                count = r.get("count")
                if n <= after:
                    return None
                if count is not None and n > after + count:
                    continue
                return r
        return None

    def log(self, rec):
        if not self.args.log:
            return
        with self.log_lock, open(self.args.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec) + "\n")


def error_body(code, desc):
    return {"type": "error", "id": "mock-%d" % code, "code": code,
            "description": desc}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "yookassa-mock/1"

    def log_message(self, fmt, *a):  # quiet: the request log is --log
        pass

    def answer(self, status, obj=None, raw=None, headers=()):
        body = raw if raw is not None else json.dumps(obj).encode()
        # Logged before the answer leaves: a client that counts requests
        # right after its call must find this one in the log.
        self.logged = True
        self.server.state.log({"method": "GET", "path": self.url.path,
                               "query": self.url.query,
                               "auth": self.auth_state, "status": status})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.status = status

    def auth(self):
        st = self.server.state
        h = self.headers.get("Authorization")
        if not h:
            return "none"
        want = base64.b64encode(("%s:%s" % (st.args.shop_id,
                                            st.args.secret_key)).encode())
        return "ok" if h == "Basic " + want.decode() else "bad"

    def do_GET(self):
        st = self.server.state
        u = urlsplit(self.path)
        path = u.path[len(PREFIX):] if u.path.startswith(PREFIX) else None
        self.status = 0
        self.url, self.logged = u, False
        self.auth_state = auth = self.auth()
        try:
            self.route(st, path, u.query, auth)
        finally:
            if not self.logged:
                st.log({"method": "GET", "path": u.path, "query": u.query,
                        "auth": auth, "status": 0})

    def route(self, st, path, query, auth):
        if path is None:
            return self.answer(404, error_body(404, "not under /v3"))
        rule = st.fault_for(path, query)
        if rule is not None and "hang" in rule:
            # Logged on arrival too, so that a test can tell that a
            # client is waiting here now.
            st.log({"method": "GET", "path": self.url.path,
                    "query": self.url.query, "auth": auth,
                    "status": "hang"})
            end = time.monotonic() + float(rule["hang"])
            release = rule.get("release")
            while time.monotonic() < end:
                if release and os.path.exists(release):
                    break
                time.sleep(min(0.05, max(0, end - time.monotonic())))
        elif rule is not None:
            hdrs = []
            if "retry_after" in rule:
                hdrs.append(("Retry-After", str(rule["retry_after"])))
            status = int(rule.get("status", 500))
            if "body" in rule:
                return self.answer(status, raw=rule["body"].encode(),
                                   headers=hdrs)
            return self.answer(status, error_body(status, "injected"),
                               headers=hdrs)
        if auth != "ok":
            return self.answer(401, error_body(401, "invalid_credentials"))
        st.data.get()
        parts = [unquote(p) for p in path.split("/") if p]
        if len(parts) == 1 and parts[0] in ("payments", "refunds"):
            return self.list(st, parts[0], parse_qs(query))
        if len(parts) == 2 and parts[0] in ("payments", "refunds"):
            obj = st.by_id[parts[0]].get(parts[1])
            if obj is None:
                return self.answer(404, error_body(404, "not_found"))
            return self.answer(200, obj)
        return self.answer(404, error_body(404, "no such path"))

    def list(self, st, kind, q):
        def one(name):
            v = q.get(name)
            return v[0] if v else None
        try:
            limit = int(one("limit") or 10)
            gte = one("created_at.gte")
            since = parse_time(gte) if gte else None
            cursor = one("cursor")
            start = int(base64.urlsafe_b64decode(cursor).decode()) \
                if cursor else 0
        except (ValueError, TypeError):
            return self.answer(400, error_body(400, "invalid_request"))
        if not 1 <= limit <= LIMIT_MAX:
            return self.answer(400, error_body(400, "invalid limit"))
        status = one("status")
        items = [o for t, o in st.sorted[kind]
                 if (status is None or o.get("status") == status) and
                 (since is None or t >= since)]
        page = items[start:start + limit]
        out = {"type": "list", "items": page}
        if start + limit < len(items):
            out["next_cursor"] = base64.urlsafe_b64encode(
                str(start + limit).encode()).decode()
        return self.answer(200, out)


def serve(args):
    st = State(args)
    srv = ThreadingHTTPServer((args.host, args.port), Handler)
    srv.daemon_threads = True
    srv.state = st
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def payment(pid, order, tg, plan, created, value="199.00", meta=None,
            status="succeeded"):
    """A payment object shaped like the API's (tests/fixtures)."""
    md = {"order_id": order, "telegram_id": str(tg), "plan_id": plan,
          "cms_name": "vpn_bot"} if meta is None else meta
    return {
        "id": pid, "status": status,
        "amount": {"value": value, "currency": "RUB"},
        "income_amount": {"value": value, "currency": "RUB"},
        "description": "VPN", "recipient": {"account_id": "123456",
                                             "gateway_id": "1234567"},
        "payment_method": {"type": "bank_card", "id": pid, "saved": False,
                           "title": "Bank card *4444",
                           "card": {"first6": "555555", "last4": "4444",
                                    "expiry_year": "2028",
                                    "expiry_month": "07",
                                    "card_type": "MasterCard",
                                    "issuer_country": "RU"}},
        "captured_at": created, "created_at": created, "test": False,
        "refunded_amount": {"value": "0.00", "currency": "RUB"},
        "paid": True, "refundable": True, "metadata": md,
        "authorization_details": {"rrn": "603668680243",
                                  "auth_code": "000000",
                                  "three_d_secure": {"applied": True}}}


def refund(rid, pid, created, value):
    return {"id": rid, "payment_id": pid, "status": "succeeded",
            "created_at": created,
            "amount": {"value": value, "currency": "RUB"},
            "description": "Refund at the customer's request"}


def gen(args):
    """N payments of plan --plan by buyers --tg-base+i, one a second back
    from --end (default now), ids --prefix-i, orders --order-prefix-i."""
    end = parse_time(args.end) if args.end else \
        datetime.datetime.now(datetime.timezone.utc)
    out = {"payments": [], "refunds": []}
    for i in range(args.payments):
        t = iso(end - datetime.timedelta(seconds=args.payments - i))
        out["payments"].append(payment(
            "%s-%06d" % (args.prefix, i), "%s-%06d" % (args.order_prefix, i),
            args.tg_base + i, args.plan, t, value=args.value))
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--port-file")
    s.add_argument("--data")
    s.add_argument("--faults")
    s.add_argument("--log")
    s.add_argument("--shop-id", default="123456")
    s.add_argument("--secret-key",
                   default="test_secret_key_0123456789abcdefghijklmnop")
    g = sub.add_parser("gen")
    g.add_argument("--payments", type=int, default=10)
    g.add_argument("--prefix", default="2f000000-000f-5000-8000")
    g.add_argument("--order-prefix", default="ord")
    g.add_argument("--tg-base", type=int, default=1000000)
    g.add_argument("--plan", default="plan_1m")
    g.add_argument("--value", default="199.00")
    g.add_argument("--end")
    args = ap.parse_args()
    if args.cmd == "serve":
        if args.host not in ("127.0.0.1", "::1", "localhost"):
            ap.error("the mock listens on loopback only")
        serve(args)
    else:
        gen(args)


if __name__ == "__main__":
    main()
