#!/usr/bin/env python3
"""The AWS API emulator the integration tests talk to: moto in server mode, plus a fault-injecting proxy.

    emulator.py [--log FILE]

Prints `READY <moto-port> <proxy-port>` once both listen on 127.0.0.1 (free ports), then runs until its
standard input closes, so it never outlives the test process that started it.

Both ports put moto behind a translation of CloudWatch's Smithy RPC v2 CBOR protocol, which
aws-sdk-cloudwatch speaks from 1.100.0 on and moto does not serve (`cbor_cloudwatch.py`); every other
request reaches moto unchanged. The moto port is for the tests' own calls: nothing is injected there.
The proxy port is the functions': it forwards every request, except those a fault rule matches. Rules are set
with `POST /__faults` on the proxy port, a JSON list of
`{"action": "PutMetricData", "pass": 1, "fail": 100, "status": 503}`: let `pass` matching requests
through, then answer the next `fail` ones with `status` and an AWS-shaped error; with `"hang": SECONDS`,
hold each of those requests that long without answering, then drop it unforwarded (a stalled
connection: the caller must give up and try again); with `"answer": JSON`, answer those requests with
that JSON and status 200 instead (an AWS JSON-protocol operation moto does not serve, such as
CloudTrail's ListPublicKeys). `POST /__faults` with `[]` clears them. `GET /__faults` returns the rules with their counters.
"""

import argparse
import gzip
import http.client
import http.server
import json
import socket
import sys
import threading
import time
import urllib.parse

from moto.server import ThreadedMotoServer

import cbor_cloudwatch


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RULES = []
LOCK = threading.Lock()


def action_of(headers, body):
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    if headers.get("Content-Encoding") == "gzip":
        try:
            body = gzip.decompress(body)
        except OSError:
            return None
    try:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    except ValueError:
        return None
    return (form.get("Action") or [None])[0]


def make_proxy(moto_port, faults=True):
    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, body, content_type="application/json", headers=()):
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            cbor_op = cbor_cloudwatch.operation_of(self.path, self.headers)
            if self.path.startswith("/__faults") and faults:
                global RULES
                with LOCK:
                    if self.command == "POST":
                        RULES = [dict(r, seen=0, failed=0) for r in json.loads(body or b"[]")]
                    self.reply(200, json.dumps(RULES).encode())
                return
            action = cbor_op or action_of(self.headers, body)
            hang = 0
            with LOCK:
                for rule in RULES if faults else []:
                    if rule["action"] != action:
                        continue
                    rule["seen"] += 1
                    if rule["seen"] > rule.get("pass", 0) and rule["failed"] < rule.get("fail", 1):
                        rule["failed"] += 1
                        if "hang" in rule:
                            hang = rule["hang"]
                            break
                        if "answer" in rule:
                            self.reply(200, json.dumps(rule["answer"]).encode(), "application/x-amz-json-1.1")
                            return
                        status = rule.get("status", 503)
                        code = "Throttling" if status == 400 else "InternalFailure"
                        if cbor_op:
                            st, hs, b = cbor_cloudwatch.error(status, code, "injected by the test proxy", status == 400)
                            self.reply(st, b, None, hs)
                            return
                        err = (
                            "<ErrorResponse><Error><Type>Receiver</Type><Code>%s</Code>"
                            "<Message>injected by the test proxy</Message></Error>"
                            "<RequestId>fault</RequestId></ErrorResponse>" % code
                        ).encode()
                        self.reply(status, err, "text/xml")
                        return
            if hang:
                time.sleep(hang)
                self.reply(503, b"", "text/plain")
                return
            conn = http.client.HTTPConnection("127.0.0.1", moto_port, timeout=60)
            path = self.path
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            if cbor_op:
                path, headers, body = cbor_cloudwatch.request(cbor_op, headers, body)
            headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
            headers["Host"] = "127.0.0.1:%d" % moto_port
            headers["Content-Length"] = str(len(body))
            conn.request(self.command, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            if cbor_op:
                st, hs, b = cbor_cloudwatch.response(cbor_op, resp.status, resp.getheaders(), data)
                self.reply(st, b, None, hs)
                conn.close()
                return
            skip = {"content-length", "transfer-encoding", "connection", "content-type"}
            self.reply(
                resp.status,
                data,
                resp.getheader("Content-Type", "application/octet-stream"),
                [(k, v) for k, v in resp.getheaders() if k.lower() not in skip],
            )
            conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any

    return Proxy


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--log", help="where moto's request log goes (default: nowhere)")
    args = ap.parse_args()
    if args.log:
        sys.stderr = open(args.log, "a", buffering=1)
    moto_port, plain_port, proxy_port = free_port(), free_port(), free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    plain = http.server.ThreadingHTTPServer(("127.0.0.1", plain_port), make_proxy(moto_port, faults=False))
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", proxy_port), make_proxy(moto_port))
    for server in (plain, proxy):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("READY %d %d" % (plain_port, proxy_port), flush=True)
    sys.stdin.read()  # until the test process goes away
    proxy.shutdown()
    plain.shutdown()
    moto.stop()


if __name__ == "__main__":
    main()
