#!/usr/bin/env python3
"""Cold start of a Lambda function binary: from its process start to its first request for work.

    scripts/cold_start.py BINARY [--runs N] [--env NAME=VALUE ...]

Serves the Lambda runtime API's `GET /2018-06-01/runtime/invocation/next` on 127.0.0.1, starts BINARY
with AWS_LAMBDA_RUNTIME_API pointing at it, and notes when the request arrives: by then the binary has
read its configuration, built its SDK clients and compiled its rules, all it does once per container.
No invocation is given; the process is killed and the next run starts. It prints every run's time in
milliseconds, then the median and the maximum: `cold start: median 6.9 ms, max 8.1 ms (10 runs)`.

It measures the binary's own start on this machine, not Lambda's (which adds loading the code and
starting the sandbox). Dummy credentials and a region are set, so the SDK looks nothing up.
"""

import argparse
import http.server
import os
import socketserver
import statistics
import subprocess
import sys
import threading
import time


class Runtime(http.server.BaseHTTPRequestHandler):
    arrived = None  # set per run: a threading.Event
    arrived_at = None

    def do_GET(self):
        if self.path.endswith("/runtime/invocation/next") and not Runtime.arrived.is_set():
            Runtime.arrived_at = time.perf_counter()
            Runtime.arrived.set()
        # No work: the client waits until the process is killed.
        time.sleep(5)

    def do_POST(self):
        # An init error: answer, so the binary can exit and the run report it.
        self.send_response(202)
        self.end_headers()
        Runtime.init_error = True

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    server = Server(("127.0.0.1", 0), Runtime)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % server.server_address[1],
        "AWS_LAMBDA_FUNCTION_NAME": os.path.basename(args.binary),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_STREAM_NAME": "cold-start",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/cold-start",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "cold-start",
    }
    for pair in args.env:
        name, sep, value = pair.partition("=")
        if not sep:
            ap.error("--env takes NAME=VALUE, not %r" % pair)
        env[name] = value

    times = []
    for run in range(args.runs):
        Runtime.arrived = threading.Event()
        Runtime.init_error = False
        start = time.perf_counter()
        proc = subprocess.Popen([args.binary], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        ok = Runtime.arrived.wait(timeout=10)
        proc.kill()
        _, stderr = proc.communicate()
        if not ok or Runtime.init_error:
            sys.stderr.write(stderr.decode(errors="replace")[-2000:])
            sys.exit("cold_start.py: %s did not ask for work (run %d)" % (args.binary, run + 1))
        times.append((Runtime.arrived_at - start) * 1000)
    server.shutdown()
    print("runs (ms): " + " ".join("%.1f" % t for t in times))
    print("cold start: median %.1f ms, max %.1f ms (%d runs)"
          % (statistics.median(times), max(times), len(times)))


if __name__ == "__main__":
    main()
