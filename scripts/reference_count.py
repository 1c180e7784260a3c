#!/usr/bin/env python3
"""The straightforward Python version of what trailwatch does, as people write it in a Lambda.

    scripts/reference_count.py FILE.json.gz

Loads the whole log file, then counts events per (eventName, minute), successful StartInstances
calls per actor (the person behind an IAM Identity Center session, else the principal),
and the events three CIS checks look for. Used as the baseline in
scripts/bench.sh.
"""

import gzip
import json
import sys
from collections import Counter


def principal_name(identity):
    kind = identity.get("type")
    if kind == "Root":
        return "root"
    if kind in ("AssumedRole", "Role", "FederatedUser"):
        return identity.get("sessionContext", {}).get("sessionIssuer", {}).get("userName")
    if kind == "AWSService":
        return identity.get("invokedBy")
    if kind == "IdentityCenterUser":
        return identity.get("onBehalfOf", {}).get("userId")
    return identity.get("userName")


def actor(identity):
    """Who really acted, as trailwatch's @actor: a person's role session is named after the person."""
    kind = identity.get("type")
    if kind in ("AssumedRole", "Role"):
        context = identity.get("sessionContext") or {}
        role = (context.get("sessionIssuer") or {}).get("userName")
        session = (identity.get("arn") or "").rsplit("/", 1)[-1]
        # Not web-identity (OIDC) sessions: their callers pick their names.
        person = (role or "").startswith("AWSReservedSSO_")
        if person and session and ":" not in session:
            return session
        return role
    if kind == "FederatedUser":
        session = (identity.get("arn") or "").rsplit("/", 1)[-1]
        if session and ":" not in session:
            return session
    return principal_name(identity)


def main(path):
    with open(path, "rb") as f:
        data = json.loads(gzip.decompress(f.read()))

    per_minute = Counter()
    start_instances = Counter()
    root_usage = 0
    unauthorized = 0
    console_no_mfa = 0

    for record in data["Records"]:
        identity = record.get("userIdentity") or {}
        event_name = record.get("eventName")
        error_code = record.get("errorCode") or ""

        per_minute[(event_name, record["eventTime"][:16])] += 1

        if event_name == "StartInstances" and "errorCode" not in record:
            start_instances[actor(identity)] += 1

        if (identity.get("type") == "Root" and "invokedBy" not in identity
                and record.get("eventType") != "AwsServiceEvent"):
            root_usage += 1

        # CIS v7.0.0 5.1 (the default pack), read as CloudWatch reads it: `A || (B && C && D)`; a `!=`
        # needs the field to be there.
        if error_code.endswith("UnauthorizedOperation") or (
                error_code.startswith("AccessDenied")
                and "sourceIPAddress" in record
                and record["sourceIPAddress"] != "delivery.logs.amazonaws.com"
                and "eventName" in record
                and event_name != "HeadBucket"):
            unauthorized += 1

        if (event_name == "ConsoleLogin"
                and identity.get("type") == "IAMUser"
                and (record.get("additionalEventData") or {}).get("MFAUsed") != "Yes"
                and (record.get("responseElements") or {}).get("ConsoleLogin") == "Success"):
            console_no_mfa += 1

    print(f"records={len(data['Records'])} event_minutes={len(per_minute)} "
          f"start_instances={sum(start_instances.values())} principals={len(start_instances)} "
          f"root_usage={root_usage} unauthorized={unauthorized} console_login_no_mfa={console_no_mfa}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: reference_count.py FILE.json.gz")
    main(sys.argv[1])
