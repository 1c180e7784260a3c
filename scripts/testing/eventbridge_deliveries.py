"""Which events an EventBridge bus delivers for each event pattern, as the moto emulator decides.

moto 5.2.5's TestEventPattern API answers nothing (it is a stub), so each pattern becomes a rule on
the default bus with a CloudWatch Logs log group as its target, every event is put with PutEvents, and
each group is read back (a log group, not an SQS queue: moto reads a queue of thousands of messages ten
at a time, slowly). Each event carries its index in `Resources`, which no pattern tests.

Usage: python eventbridge_deliveries.py ENDPOINT < {"patterns": {name: pattern}, "events": [event]}
Prints {name: [index, ...]} (sorted).
"""

import json
import os
import sys

import boto3


def main():
    endpoint = sys.argv[1]
    kw = dict(
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    events = boto3.client("events", **kw)
    logs = boto3.client("logs", **kw)
    data = json.load(sys.stdin)
    run = os.urandom(4).hex()
    groups = {}
    for i, (name, pattern) in enumerate(data["patterns"].items()):
        rule = "tw-%s-%d" % (run, i)
        group = "/trailwatch-test/%s" % rule
        logs.create_log_group(logGroupName=group)
        arn = "arn:aws:logs:us-east-1:123456789012:log-group:%s" % group
        events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=rule, Targets=[{"Id": "log", "Arn": arn}])
        groups[name] = (rule, group)
    batch = []
    for index, event in enumerate(data["events"]):
        batch.append(
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "Resources": ["trailwatch-test:%d" % index],
            }
        )
        if len(batch) == 10 or index == len(data["events"]) - 1:
            answer = events.put_events(Entries=batch)
            if answer.get("FailedEntryCount"):
                raise SystemExit("PutEvents refused entries: %r" % answer)
            batch = []
    out = {}
    for name, (rule, group) in groups.items():
        seen = set()
        token = None
        while True:
            page = logs.filter_log_events(logGroupName=group, **({"nextToken": token} if token else {}))
            for event in page.get("events", []):
                body = json.loads(event["message"])
                for r in body.get("resources", []):
                    if r.startswith("trailwatch-test:"):
                        seen.add(int(r.split(":", 1)[1]))
            token = page.get("nextToken")
            if not token:
                break
        events.remove_targets(Rule=rule, Ids=["log"])
        events.delete_rule(Name=rule)
        logs.delete_log_group(logGroupName=group)
        out[name] = sorted(seen)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
