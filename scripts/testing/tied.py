#!/usr/bin/env python3
"""Runs a command until this script's standard input closes, then ends the command's whole process group.

    tied.py LOG COMMAND [ARG...]

Tests start long-running tools (`cargo lambda watch`) through it so that nothing outlives the test
process, whatever way it ends. The command's output goes to LOG.
"""

import os
import signal
import subprocess
import sys
import threading


def main():
    log, cmd = sys.argv[1], sys.argv[2:]
    with open(log, "ab") as out:
        child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
    threading.Thread(target=lambda: (sys.stdin.read(), stop(child)), daemon=True).start()
    code = child.wait()
    print("EXITED %d" % code, flush=True)


def stop(child):
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    main()
