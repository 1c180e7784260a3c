#!/usr/bin/env python3
"""Writes the hostile-input corpus, tests/data/hostile/ (committed; run again to regenerate it).

Each file is an input an attacker with write access to a trail bucket, a broken tool or a careless export
could produce. tests/data/hostile/README.md says what each must do; shared/tests/hostile.rs checks it.
The large inputs (gzip bombs, 100,000-deep nesting) are built by that test at run time instead.
Deterministic: gzip members carry mtime 0.
"""
import gzip
import json
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "hostile")
TIME = "2026-11-20T10:00:00Z"


def event(user="alice", name="StartInstances", time=TIME, **extra):
    e = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "userName": user, "accountId": "123456789012"},
        "eventTime": time,
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "eventID": f"{user}-{name}-{time}",
        "recipientAccountId": "123456789012",
    }
    e.update(extra)
    return e


def log(*events):
    return json.dumps({"Records": list(events)}, separators=(",", ":")).encode()


def gz(data):
    return gzip.compress(data, mtime=0)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    two = log(event("alice"), event("bob"))
    write("truncated.json.gz", gz(two)[:-20])
    # One log split across two gzip members in the middle of a record, and two whole logs as members.
    half = len(two) // 2
    write("multi-member-split.json.gz", gz(two[:half]) + gz(two[half:]))
    write("multi-member-logs.json.gz", gz(log(event("alice"))) + gz(log(event("bob"), event("carol"))))
    write("plain-named-gz.json.gz", two)
    write("gzip-without-name", gz(two))
    write("bom.json", b"\xef\xbb\xbf" + two)
    write("bom.json.gz", gz(b"\xef\xbb\xbf" + two))
    write("bom-only.json", b"\xef\xbb\xbf")
    bad = two.replace(b'"alice"', b'"al\xffice"')
    write("non-utf8.json", bad)
    write("non-utf8.json.gz", gz(bad))
    # Lone surrogates: in the dimension value, in a key, in a field no rule reads; and a valid pair.
    write(
        "lone-surrogates.json",
        b'{"Records":['
        + json.dumps(event("al\udc00ice"), ensure_ascii=True).encode().replace(b"\\udc00", b"\\ud800")
        + b","
        + json.dumps(event("bob", userAgent="\ud83d\ude00 and \udfff"), ensure_ascii=True).encode()
        + b","
        + json.dumps(event("carol"), ensure_ascii=True).encode().replace(b'"eventSource"', b'"x\\udc00":1,"eventSource"')
        + b"]}",
    )
    write("event-256k.json", log(event("alice", requestParameters={"policy": "p" * (256 * 1024)})))
    write(
        "records-not-objects.json",
        b'{"Records":[null,0,-1.5e3,"StartInstances",true,false,[],[{"eventName":"StartInstances"}],{}, '
        + json.dumps(event("alice")).encode()
        + b"]}",
    )
    # Duplicate keys inside an event: the last one wins, as in JavaScript, Python and Java's Jackson.
    write(
        "duplicate-keys.json",
        b'{"Records":[{"eventName":"StopInstances","eventTime":"'
        + TIME.encode()
        + b'","userIdentity":{"type":"IAMUser","userName":"mallory","userName":"alice"},"eventName":"StartInstances"}]}',
    )
    write("duplicate-records.json", b'{"Records":[' + json.dumps(event("alice")).encode() + b'],"Records":[' + json.dumps(event("bob")).encode() + b"]}")
    write(
        "duplicate-records-escaped.json",
        b'{"Records":[],"other":{"Records":[]},"Rec\\u006fr\\u0064s":[' + json.dumps(event("bob")).encode() + b"]}",
    )
    write(
        "huge-numbers.json",
        b'{"Records":['
        + json.dumps(event("alice")).encode()[:-1]
        + b',"big":123456789012345678901234567890123456789,"inf":1e400,"neg":-1e99999,"tiny":1e-400}'
        + b","
        + json.dumps(event("bob")).encode().replace(b'"bob"', b"1e400")
        + b","
        + json.dumps(event("carol")).encode().replace(b'"eventTime"', b'"eventTime":-1e999,"eventTime"', 0)
        + b"]}",
    )
    good_times = [
        "2026-11-20T10:00:00Z",
        "2026-11-20T10:00:00.123Z",
        "2026-11-20T10:00:00.123456789Z",
        "2026-11-20T11:00:00+01:00",
        "2026-11-20T05:30:00.5-04:30",
        "2026-11-20T10:00:00",
        "2026-11-20T10:00:00.000",
        "2026-11-20 10:00:00Z",
        "2026-11-20T12:00:00+0200",
        "2026-11-20t10:00:00z",
        "2026-11-20T09:59:60Z",
    ]
    bad_times = [
        "",
        "2026-11-20",
        "2026-11-20T10:00Z",
        "20261120T100000Z",
        "2026-13-20T10:00:00Z",
        "2026-02-30T10:00:00Z",
        "2026-11-20T24:00:00Z",
        "2026-11-20T10:00:00+25:00",
        "2026-11-20T10:00:00 UTC",
        "Fri, 20 Nov 2026 10:00:00 GMT",
        1795168800,
        None,
    ]
    write(
        "event-times.json",
        log(*[event(f"good{i}", time=t) for i, t in enumerate(good_times)], *[event(f"bad{i}", time=t) for i, t in enumerate(bad_times)]),
    )
    line = lambda u: json.dumps(event(u)).encode()
    write("crlf.ndjson", line("alice") + b"\r\n\r\n \t\r\n" + line("bob") + b"\r\n" + line("carol") + b"\r\n\r\n")
    write("empty.json", b"")
    write("whitespace.json", b" \r\n\t\n")
    write("empty.json.gz", gz(b""))
    write("empty-records.json", b'{"Records":[]}')
    write("empty-records-ws.json.gz", gz(b' {\n  "Records" : [ ]\n}\n'))
    digest = {
        "awsAccountId": "123456789012",
        "digestStartTime": "2026-11-20T09:00:00Z",
        "digestEndTime": "2026-11-20T10:00:00Z",
        "digestS3Bucket": "trail-bucket",
        "digestS3Object": "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/11/20/x.json.gz",
        "digestPublicKeyFingerprint": "0" * 32,
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": TIME,
        "oldestEventTime": TIME,
        "previousDigestS3Bucket": None,
        "previousDigestS3Object": None,
        "previousDigestHashValue": None,
        "previousDigestHashAlgorithm": None,
        "previousDigestSignature": None,
        "logFiles": [{"s3Bucket": "trail-bucket", "s3Object": "AWSLogs/x.json.gz", "hashValue": "00", "hashAlgorithm": "SHA-256", "newestEventTime": TIME, "oldestEventTime": TIME}],
    }
    name = "123456789012_CloudTrail_us-east-1_20261120T1000Z_{}.json.gz"
    write(name.format("digest"), gz(json.dumps(digest).encode()))
    # A digest or LookupEvents page first, then a log: the log's events count.
    write("digest-then-log.json", json.dumps(digest).encode() + b"\n" + log(event("alice")))
    lookup = json.dumps({"Events": [{"EventId": "1", "CloudTrailEvent": json.dumps(event())}]}).encode()
    write("lookup-then-log.json", lookup + b"\n" + log(event("alice")))
    # A digest whose gzip CRC is wrong (the last 8 bytes are the CRC and the size).
    bad_crc = bytearray(gz(json.dumps(digest).encode()))
    bad_crc[-8] ^= 0xFF
    write("digest-bad-crc.json.gz", bytes(bad_crc))
    insight = {
        "eventVersion": "1.08",
        "eventTime": TIME,
        "awsRegion": "us-east-1",
        "eventID": "11111111-2222-3333-4444-555555555555",
        "eventType": "AwsCloudTrailInsight",
        "recipientAccountId": "123456789012",
        "sharedEventID": "66666666-7777-8888-9999-000000000000",
        "insightDetails": {
            "state": "Start",
            "eventSource": "ec2.amazonaws.com",
            "eventName": "StartInstances",
            "insightType": "ApiCallRateInsight",
            "insightContext": {"statistics": {"baseline": {"average": 0.01}, "insight": {"average": 30.0}}},
        },
        "eventCategory": "Insight",
    }
    write(name.format("insight"), gz(log(insight)))
    write("lookup-events.json", json.dumps({"Events": [{"EventId": "1", "CloudTrailEvent": json.dumps(event())}]}).encode())
    write("trailing-garbage.json", two + b"\n}")
    write("unclosed-records.json", two[:-2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
