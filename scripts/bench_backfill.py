#!/usr/bin/env python3
"""How `trailwatch backfill` scales with the files it processes at once, and with cores.

    scripts/bench_backfill.py [--files DIR] [--rounds N]

Starts the moto emulator (the test venv's, target/py, as scripts/test.sh installs it) on a free
loopback port, puts the generated logs of DIR (default: scripts/bench.sh's target/bench/many) in a
bucket under CloudTrail's key layout, then runs a dry-run backfill of them (`--dedup off`) with
`--concurrency` 1, 2 and 4, and with 4 on one core only (`taskset -c 0`). Each run's figures are
those of its median-wall round: wall time, trailwatch's CPU (its rusage), and the emulator's CPU over
the same interval, since on a small machine the emulator serving the objects shares the cores. The
datums each run prints must be the same. It is a report, not a test.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACCOUNT = "123456789012"
BUCKET = "trailwatch-bench-backfill"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    """User and system CPU of a running process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_moto(venv):
    server = os.path.join(venv, "bin", "moto_server")
    if not os.access(server, os.X_OK):
        sys.exit(f"bench_backfill.py: {server} is missing (scripts/test.sh installs it)")
    port = free_port()
    moto = subprocess.Popen(
        [server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            return moto, url
        except OSError:
            time.sleep(0.05)
    moto.kill()
    sys.exit(f"bench_backfill.py: moto_server did not answer on {url}")


def upload(url, files, venv):
    """Puts each file in the bucket with boto3 from the venv (moto's own dependency)."""
    keys = []
    for i, path in enumerate(files):
        keys.append(
            (
                path,
                f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/25/"
                f"{ACCOUNT}_CloudTrail_us-east-1_20261125T09{i:02d}Z_bench{i:04d}.json.gz",
            )
        )
    script = (
        "import boto3, sys\n"
        "s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',\n"
        "                  aws_access_key_id='test', aws_secret_access_key='test')\n"
        "s3.create_bucket(Bucket=sys.argv[2])\n"
        "for path, key in zip(sys.argv[3::2], sys.argv[4::2]):\n"
        "    s3.upload_file(path, sys.argv[2], key)\n"
    )
    args = [a for pair in keys for a in pair]
    subprocess.run([os.path.join(venv, "bin", "python"), "-c", script, url, BUCKET, *args], check=True)


def run(binary, url, concurrency, pin):
    env = dict(
        os.environ,
        AWS_ENDPOINT_URL=url,
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
    )
    env.pop("AWS_PROFILE", None)
    command = [
        binary,
        "backfill",
        f"s3://{BUCKET}/AWSLogs/{ACCOUNT}/CloudTrail/",
        "--dedup",
        "off",
        "--concurrency",
        str(concurrency),
    ]
    if pin:
        command = ["taskset", "-c", "0", *command]
    start = time.monotonic()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = child.communicate()
    wall = time.monotonic() - start
    if child.returncode != 0:
        sys.exit(f"bench_backfill.py: {' '.join(command)} failed:\n{err.decode(errors='replace')}")
    return wall, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", default=os.path.join(REPO, "target", "bench", "many"))
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    files = sorted(
        os.path.join(args.files, f) for f in os.listdir(args.files) if f.endswith(".json.gz")
    )
    if not files:
        sys.exit(f"bench_backfill.py: no .json.gz files in {args.files} (scripts/bench.sh makes them)")
    binary = os.path.join(REPO, "target", "release", "trailwatch")
    if not os.access(binary, os.X_OK):
        sys.exit(f"bench_backfill.py: {binary} is missing (cargo build --release -p trailwatch-cli)")
    if shutil.which("taskset") is None:
        sys.exit("bench_backfill.py: taskset is needed (util-linux)")
    venv = os.environ.get("TRAILWATCH_VENV", os.path.join(REPO, "target", "py"))

    moto, url = start_moto(venv)
    try:
        upload(url, files, venv)
        size = sum(os.path.getsize(f) for f in files) / 1e6
        print(
            f"backfill dry run of {len(files)} logs ({size:.0f} MB gzipped) from moto on this machine's "
            f"{os.cpu_count()} cores; median-wall round of {args.rounds}"
        )
        print(f"  {'run':<36} {'wall s':>7} {'trailwatch CPU s':>17} {'moto CPU s':>11} {'speed-up':>9}")
        outputs = {}
        base = None
        for label, concurrency, pin in [
            ("--concurrency 1", 1, False),
            ("--concurrency 2", 2, False),
            ("--concurrency 4 (the default)", 4, False),
            ("--concurrency 4, one core (taskset)", 4, True),
        ]:
            rounds = []
            for _ in range(args.rounds):
                moto_before = cpu_seconds(moto.pid)
                before = os.times()
                wall, out = run(binary, url, concurrency, pin)
                after = os.times()
                own = (after.children_user - before.children_user) + (
                    after.children_system - before.children_system
                )
                rounds.append((wall, own, cpu_seconds(moto.pid) - moto_before))
                outputs.setdefault(out, []).append(label)
            wall, own, served = sorted(rounds)[len(rounds) // 2]
            base = base or wall
            print(f"  {label:<36} {wall:7.2f} {own:17.2f} {served:11.2f} {base / wall:8.2f}x")
        print(f"  datums printed: {'the same in every run' if len(outputs) == 1 else 'DIFFERENT'}")
    finally:
        moto.kill()
        moto.wait()


if __name__ == "__main__":
    main()
