"""Which events an EventBridge bus delivers for each event pattern, as the moto emulator decides.

moto 5.2.5's TestEventPattern API answers nothing (it is a stub), so each pattern becomes a rule on
the default bus with an SQS queue as its target, every event is put with PutEvents, and each queue is
read back. Each event carries its index in `Resources`, which no pattern tests.

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
    sqs = boto3.client("sqs", **kw)
    data = json.load(sys.stdin)
    run = os.urandom(4).hex()
    queues = {}
    for i, (name, pattern) in enumerate(data["patterns"].items()):
        rule = "tw-%s-%d" % (run, i)
        url = sqs.create_queue(QueueName=rule)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
        queues[name] = (rule, url)
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
    for name, (rule, url) in queues.items():
        seen = set()
        while True:
            got = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not got:
                break
            for message in got:
                body = json.loads(message["Body"])
                for r in body.get("resources", []):
                    if r.startswith("trailwatch-test:"):
                        seen.add(int(r.split(":", 1)[1]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        events.remove_targets(Rule=rule, Ids=["q"])
        events.delete_rule(Name=rule)
        out[name] = sorted(seen)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
