"""template.yaml, read the way CloudFormation reads it: the SAM transform applied (by AWS's own
samtranslator, which `sam` uses), conditions evaluated for each way logs come in, and the properties the
deployment depends on checked. With `TRAILWATCH_SAM_BUILD=<dir>`, also the output of `sam build`: both
functions built as arm64 `bootstrap` binaries.

    python -m unittest discover -s tests/template     (scripts/test.sh runs it with the pinned tools)
"""

import copy
import json
import os
import pathlib
import re
import unittest

from cfnlint.decode import decode
from samtranslator.translator.transform import transform

# The SAM translator resolves pseudo parameters from the environment; no AWS call is made.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
FUNCTIONS = {"TrailMetricsFunction": "trail-metrics", "AlarmNotifierFunction": "alarm-notifier"}


def load(path):
    template, matches = decode(str(path))
    assert not matches, matches
    return template


class NoManagedPolicies:
    """The template names no managed policies by name; SAM adds the basic execution role by ARN."""

    def load(self):
        return {}


def translated(parameters):
    source = copy.deepcopy(load(TEMPLATE))
    # What `sam deploy` does before the transform: the code is uploaded, CodeUri becomes its S3 URI.
    for logical in FUNCTIONS:
        source["Resources"][logical]["Properties"]["CodeUri"] = f"s3://artifacts/{logical}.zip"
    return transform(source, parameters, NoManagedPolicies())


def evaluate(node, template, parameters):
    """A condition's value, for given parameter values (defaults otherwise)."""
    if isinstance(node, dict):
        (fn, arg), = node.items()
        if fn == "Fn::Equals":
            a, b = (evaluate(x, template, parameters) for x in arg)
            return a == b
        if fn == "Fn::Not":
            return not evaluate(arg[0], template, parameters)
        if fn == "Fn::And":
            return all(evaluate(x, template, parameters) for x in arg)
        if fn == "Fn::Or":
            return any(evaluate(x, template, parameters) for x in arg)
        if fn == "Condition":
            return evaluate(template["Conditions"][arg], template, parameters)
        if fn == "Ref":
            if arg in parameters:
                return parameters[arg]
            return template["Parameters"][arg].get("Default")
        raise AssertionError(f"unexpected {fn} in a condition")
    return node


def deployed(parameters):
    """The resources CloudFormation creates for these parameters."""
    template = translated(parameters)
    live = {}
    for name, resource in template["Resources"].items():
        condition = resource.get("Condition")
        if condition and not evaluate(template["Conditions"][condition], template, parameters):
            continue
        live[name] = resource
    return template, live


def of_type(resources, kind):
    return {n: r for n, r in resources.items() if r["Type"] == kind}


def statements(role):
    for policy in role["Properties"].get("Policies", []):
        for s in policy["PolicyDocument"]["Statement"]:
            if isinstance(s, dict) and "Fn::If" in s:
                # Both branches are checked: a conditional statement must be narrow either way.
                for branch in s["Fn::If"][1:]:
                    if isinstance(branch, dict) and "Ref" not in branch:
                        yield branch
            else:
                yield s


def as_list(x):
    return x if isinstance(x, list) else [x]


class Functions(unittest.TestCase):
    def setUp(self):
        self.source = load(TEMPLATE)
        self.template, self.live = deployed({})

    def test_both_functions_are_arm64_rust_built_from_the_workspace_root(self):
        for logical, binary in FUNCTIONS.items():
            f = self.source["Resources"][logical]
            p = f["Properties"]
            self.assertEqual(p["Runtime"], "provided.al2023", logical)
            self.assertEqual(p["Architectures"], ["arm64"], logical)
            self.assertEqual(p["Handler"], "bootstrap", logical)
            self.assertEqual(p["CodeUri"], "./", logical)
            self.assertEqual(f["Metadata"]["BuildMethod"], "rust-cargolambda", logical)
            self.assertEqual(f["Metadata"]["BuildProperties"]["Binary"], binary, logical)
            self.assertTrue((ROOT / "functions" / binary / "Cargo.toml").exists(), binary)
            self.assertEqual(p["LoggingConfig"]["LogFormat"], "JSON", logical)

    def test_log_groups_have_the_retention_parameter(self):
        for logical in FUNCTIONS:
            group = self.source["Resources"][logical]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
            props = self.source["Resources"][group]["Properties"]
            self.assertEqual(props["RetentionInDays"], {"Ref": "LogRetentionDays"}, group)

    def test_failures_end_in_a_queue_that_is_alarmed(self):
        configs = of_type(self.live, "AWS::Lambda::EventInvokeConfig")
        self.assertEqual(len(configs), 2, configs)
        for name, c in configs.items():
            p = c["Properties"]
            self.assertLessEqual(p["MaximumRetryAttempts"], 2, name)
            dest = p["DestinationConfig"]["OnFailure"]["Destination"]
            self.assertEqual(dest, {"Fn::GetAtt": ["FailedEventsQueue", "Arn"]}, name)
        alarm = self.live["FailedEventsAlarm"]["Properties"]
        self.assertEqual(alarm["Namespace"], "AWS/SQS")
        self.assertEqual(alarm["MetricName"], "ApproximateNumberOfMessagesVisible")
        # SAM gives each role the right to send there.
        for logical in FUNCTIONS:
            role = self.live[f"{logical}Role"]
            sends = [s for s in statements(role) if "sqs:SendMessage" in as_list(s.get("Action"))]
            self.assertTrue(sends, f"{logical} cannot send to its on-failure queue")


def trail_uses_validation(live):
    return live["Trail"]["Properties"].get("EnableLogFileValidation") is True


class Triggers(unittest.TestCase):
    def test_new_trail_creates_bucket_trail_and_filtered_s3_trigger(self):
        _, live = deployed({"TrailSource": "NewTrail"})
        bucket = live["TrailBucket"]["Properties"]
        self.assertEqual(
            bucket["PublicAccessBlockConfiguration"],
            {"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
             "RestrictPublicBuckets": True},
        )
        self.assertIn("BucketEncryption", bucket)
        self.assertTrue(bucket["LifecycleConfiguration"]["Rules"])
        logs, digests = bucket["NotificationConfiguration"]["LambdaConfigurations"]
        for notification, folder in [(logs, "CloudTrail"), (digests, "CloudTrail-Digest")]:
            rules = {r["Name"]: r["Value"] for r in notification["Filter"]["S3Key"]["Rules"]}
            self.assertEqual(rules, {"prefix": {"Fn::Sub": f"AWSLogs/${{AWS::AccountId}}/{folder}/"},
                                     "suffix": ".json.gz"})
            self.assertEqual(notification["Function"], {"Fn::GetAtt": ["TrailMetricsFunction", "Arn"]})
        self.assertTrue(trail_uses_validation(live))
        trail = live["Trail"]["Properties"]
        self.assertTrue(trail["IsMultiRegionTrail"] and trail["IsLogging"])
        policy = live["TrailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        self.assertTrue(any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in policy))
        self.assertEqual(live["TrailMetricsS3Permission"]["Properties"]["Principal"], "s3.amazonaws.com")
        self.assertNotIn("TrailTopicSubscription", live)
        self.assertNotIn("TrailObjectCreatedRule", live)

    def test_existing_trail_by_sns(self):
        params = {"TrailSource": "ExistingTrailSns", "TrailBucketName": "my-trail-bucket",
                  "TrailTopicArn": "arn:aws:sns:us-east-1:111122223333:trail"}
        _, live = deployed(params)
        self.assertEqual(live["TrailTopicSubscription"]["Properties"]["Protocol"], "lambda")
        self.assertEqual(live["TrailMetricsSnsPermission"]["Properties"]["Principal"], "sns.amazonaws.com")
        for absent in ["TrailBucket", "Trail", "TrailMetricsS3Permission", "TrailObjectCreatedRule"]:
            self.assertNotIn(absent, live)

    def test_existing_bucket_by_eventbridge(self):
        params = {"TrailSource": "ExistingBucketEventBridge", "TrailBucketName": "my-trail-bucket",
                  "TrailKeyPrefix": "org/"}
        _, live = deployed(params)
        pattern = live["TrailObjectCreatedRule"]["Properties"]["EventPattern"]
        self.assertEqual(pattern["source"], ["aws.s3"])
        self.assertEqual(pattern["detail-type"], ["Object Created"])
        keys = json.dumps(pattern["detail"]["object"]["key"])
        self.assertIn("AWSLogs/*/CloudTrail/*.json.gz", keys)
        self.assertIn("AWSLogs/*/CloudTrail-Digest/*.json.gz", keys)
        self.assertEqual(live["TrailMetricsEventBridgePermission"]["Properties"]["Principal"],
                         "events.amazonaws.com")
        for absent in ["TrailBucket", "Trail", "TrailTopicSubscription"]:
            self.assertNotIn(absent, live)

    def test_the_real_time_rule_is_off_by_default_and_sends_cloudtrail_events_with_a_dead_letter_queue(self):
        _, live = deployed({})
        for absent in ["RealtimeEventsRule", "RealtimeEventsPermission", "RealtimeEventsDeadLetterQueue"]:
            self.assertNotIn(absent, live)
        _, live = deployed({"RealtimeEvents": "on"})
        rule = live["RealtimeEventsRule"]["Properties"]
        # Root's read-only calls are root use too: EventBridge sends them only in this state.
        self.assertEqual(rule["State"], "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
        self.assertEqual(rule["EventPattern"]["detail-type"],
                         ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"])
        # Only events from AWS: PutEvents refuses `aws.` sources to everyone else.
        self.assertEqual(rule["EventPattern"]["source"], [{"prefix": "aws."}])
        (target,) = rule["Targets"]
        self.assertEqual(target["Arn"], {"Fn::GetAtt": ["AlarmNotifierFunction", "Arn"]})
        self.assertEqual(target["DeadLetterConfig"]["Arn"],
                         {"Fn::GetAtt": ["RealtimeEventsDeadLetterQueue", "Arn"]})
        permission = live["RealtimeEventsPermission"]["Properties"]
        self.assertEqual(permission["SourceArn"], {"Fn::GetAtt": ["RealtimeEventsRule", "Arn"]})
        statements_ = live["RealtimeEventsDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
        allow = [s for s in statements_ if s["Effect"] == "Allow"]
        self.assertEqual(allow[0]["Condition"]["ArnEquals"]["aws:SourceArn"],
                         {"Fn::GetAtt": ["RealtimeEventsRule", "Arn"]})
        alarm = live["RealtimeEventsDeadLetterAlarm"]["Properties"]
        self.assertEqual(alarm["Dimensions"][0]["Value"],
                         {"Fn::GetAtt": ["RealtimeEventsDeadLetterQueue", "QueueName"]})

    def test_existing_trails_must_name_their_bucket(self):
        rules = load(TEMPLATE)["Rules"]
        self.assertIn("TrailBucketName", json.dumps(rules["ExistingTrailNeedsItsBucket"]))
        self.assertIn("TrailTopicArn", json.dumps(rules["SnsNeedsTheTopic"]))


class LeastPrivilege(unittest.TestCase):
    def setUp(self):
        self.template, self.live = deployed({"SlackWebhookParameter": "/trailwatch/slack"})

    def all_statements(self):
        for name, role in of_type(self.live, "AWS::IAM::Role").items():
            for s in statements(role):
                yield name, s

    def test_no_wildcard_actions_and_star_resources_only_where_unavoidable(self):
        for role, s in self.all_statements():
            actions = as_list(s["Action"])
            for a in actions:
                self.assertNotIn("*", a, f"{role}: {s}")
            if s.get("Resource") == "*":
                # PutMetricData and X-Ray-style actions take no resource; PutMetricData is narrowed.
                self.assertEqual(actions, ["cloudwatch:PutMetricData"], f"{role}: {s}")

    def test_put_metric_data_only_in_the_namespace(self):
        role = self.live["TrailMetricsFunctionRole"]
        (put,) = [s for s in statements(role) if "cloudwatch:PutMetricData" in as_list(s["Action"])]
        self.assertEqual(put["Condition"], {"StringEquals": {"cloudwatch:namespace": {"Ref": "MetricNamespace"}}})

    def test_s3_access_is_scoped_to_prefixes(self):
        for role, s in self.all_statements():
            if not any(a.startswith("s3:") for a in as_list(s["Action"])):
                continue
            text = json.dumps(s["Resource"])
            self.assertNotEqual(s["Resource"], "*", f"{role}: {s}")
            if "s3:ListBucket" in as_list(s["Action"]):
                # S3 answers 404 rather than 403 for a missing key only with it: on the state bucket
                # (markers not written yet), and on the trail bucket for trail-metrics (a digest names
                # a deleted log file or digest).
                if s.get("Sid") == "ReadTrailLogsList":
                    self.assertEqual(role, "TrailMetricsFunctionRole")
                    self.assertNotIn("/", json.dumps(s["Resource"]).split(":::")[-1].split('"')[0])
                else:
                    self.assertEqual(s["Resource"], {"Fn::GetAtt": ["StateBucket", "Arn"]}, f"{role}: {s}")
            else:
                self.assertTrue(re.search(r"(AWSLogs|progress|deliveries)/\*", text), f"{role}: {s}")

    def test_alarm_notifier_reads_only_the_named_parameters_and_publishes_only_e_mail(self):
        role = self.live["AlarmNotifierFunctionRole"]
        actions = {}
        for s in statements(role):
            for a in as_list(s["Action"]):
                actions.setdefault(a, []).append(s)
        self.assertEqual(
            sorted(a for a in actions if not a.startswith("logs:") and not a.startswith("sqs:")),
            sorted(["sns:Publish", "s3:GetObject", "s3:PutObject", "s3:ListBucket", "ssm:GetParameter",
                    "kms:Decrypt"]),
        )
        (publish,) = actions["sns:Publish"]
        self.assertEqual(publish["Resource"], {"Ref": "EmailTopic"})
        for s in actions["ssm:GetParameter"]:
            self.assertIn("parameter${", json.dumps(s["Resource"]))
        (decrypt,) = actions["kms:Decrypt"]
        self.assertIn("kms:ViaService", json.dumps(decrypt["Condition"]))

    def test_alarm_notifier_searches_only_trail_metrics_evidence_lines(self):
        role = self.live["AlarmNotifierFunctionRole"]
        logs = [s for s in statements(role) if any(a.startswith("logs:") for a in as_list(s["Action"]))]
        searches = [s for s in logs if "logs:FilterLogEvents" in as_list(s["Action"])]
        self.assertEqual(len(searches), 1, searches)
        self.assertEqual(as_list(searches[0]["Action"]), ["logs:FilterLogEvents"])
        self.assertEqual(searches[0]["Resource"], {"Fn::GetAtt": ["TrailMetricsLogGroup", "Arn"]})
        env = self.source_env("AlarmNotifierFunction")
        self.assertEqual(env["EVIDENCE_LOG_GROUP"], {"Ref": "TrailMetricsLogGroup"})
        self.assertEqual(env["EVIDENCE_SHOWN"], {"Ref": "EvidenceShown"})

    def test_webhook_variables_are_ssm_references(self):
        env = self.source_env("AlarmNotifierFunction")
        self.assertEqual(env["SLACK_WEBHOOK_URL"]["Fn::If"][1], {"Fn::Sub": "ssm:${SlackWebhookParameter}"})
        self.assertEqual(env["SLACK_BOT_TOKEN"]["Fn::If"][1], {"Fn::Sub": "ssm:${SlackBotTokenParameter}"})
        self.assertEqual(env["SLACK_CHANNEL"]["Fn::If"][1], {"Ref": "SlackChannel"})
        self.assertEqual(env["EMAIL_TOPIC_ARN"], {"Ref": "EmailTopic"})
        self.assertIn("deliveries/", json.dumps(env["DEDUP"]))
        tm = self.source_env("TrailMetricsFunction")
        self.assertIn("progress/", json.dumps(tm["DEDUP"]))

    def source_env(self, logical):
        return load(TEMPLATE)["Resources"][logical]["Properties"]["Environment"]["Variables"]


class AlarmsAndDashboard(unittest.TestCase):
    def setUp(self):
        self.template, self.live = deployed({})
        self.alarms = of_type(self.live, "AWS::CloudWatch::Alarm")

    def test_one_alarm_per_rule_of_each_pack_and_none_for_a_rule_it_lacks(self):
        template = load(TEMPLATE)
        packs = template["Parameters"]["RulePack"]["AllowedValues"]
        self.assertEqual(template["Parameters"]["RulePack"]["Default"], "cis-v7.0.0")
        self.assertEqual(sorted(packs), sorted(p.stem for p in (ROOT / "shared/rules/packs").glob("*.json")
                                               if p.stem != "start-instances"))
        for pack in packs:
            _, live = deployed({"RulePack": pack})
            for logical in FUNCTIONS:
                env = live[logical]["Properties"]["Environment"]["Variables"]
                self.assertEqual(env["RULE_PACKS"], {"Fn::Sub": "start-instances,${RulePack}"}, logical)
            alarms = of_type(live, "AWS::CloudWatch::Alarm")
            metrics = {a["Properties"].get("MetricName") for a in alarms.values()
                       if a["Properties"].get("Namespace") == {"Ref": "MetricNamespace"}}
            rules = {r["name"] for r in json.loads((ROOT / f"shared/rules/packs/{pack}.json").read_text())["rules"]}
            self.assertEqual(metrics, rules, pack)

    def test_one_alarm_per_security_rule(self):
        rules = json.loads((ROOT / "shared/rules/packs/cis-v7.0.0.json").read_text())["rules"]
        by_metric = {a["Properties"].get("MetricName"): a["Properties"] for a in self.alarms.values()
                     if a["Properties"].get("Namespace") == {"Ref": "MetricNamespace"}}
        for rule in rules:
            name = rule["name"]
            if name == "StartInstances":
                continue
            a = by_metric.get(name)
            self.assertIsNotNone(a, f"no alarm for {name}")
            self.assertEqual(a["Threshold"], 1, name)
            self.assertEqual(a["ComparisonOperator"], "GreaterThanOrEqualToThreshold", name)
            self.assertEqual(a["TreatMissingData"], "notBreaching", name)
            # Late delivery: a match in any of the last periods alarms.
            self.assertEqual(a["DatapointsToAlarm"], 1, name)
            self.assertGreaterEqual(a["EvaluationPeriods"], 3, name)
            self.assertEqual(a["AlarmActions"], [{"Ref": "AlarmTopic"}], name)
            self.assertIn(rule["description"].split(".")[0], a["AlarmDescription"], name)
            self.assertLessEqual(len(a["AlarmDescription"]), 1024, name)

    def test_start_instances_per_user_is_one_alarm_with_a_contributor_per_principal(self):
        a = self.live["StartInstancesPerUserAlarm"]["Properties"]
        (query,) = a["Metrics"]
        text = json.dumps(query["Expression"])
        self.assertIn("SUM(StartInstances)", text)
        self.assertIn("GROUP BY UserName", text)
        # LIMIT 1 would make it one series, the busiest, whose notification cannot say who.
        self.assertNotIn("LIMIT", text)
        self.assertIn("ORDER BY SUM() DESC", text)
        self.assertEqual(a["Threshold"], {"Ref": "StartInstancesThreshold"})

    def test_completeness_findings_are_alarmed_by_e_mail_too(self):
        for logical, metrics in [("LogFilesMissingAlarm", {"LogFilesMissing"}),
                                 ("LogFilesTamperedAlarm", {"LogFilesTampered"}),
                                 ("DigestsMissingAlarm", {"DigestsMissing", "DigestsAltered"})]:
            a = self.live[logical]["Properties"]
            text = json.dumps(a)
            for m in metrics:
                self.assertIn(f'"MetricName": "{m}"', text, logical)
            self.assertIn('"Namespace": "Trailwatch"', text, logical)
            self.assertEqual(a["Threshold"], 1, logical)
            self.assertEqual(a["TreatMissingData"], "notBreaching", logical)
            self.assertEqual(a["AlarmActions"], [{"Ref": "AlarmTopic"}, {"Ref": "EmailTopic"}], logical)

    def test_function_errors_are_alarmed(self):
        errors = {json.dumps(a["Properties"]["Dimensions"]) for a in self.alarms.values()
                  if a["Properties"].get("MetricName") == "Errors"}
        for logical in FUNCTIONS:
            self.assertIn(json.dumps([{"Name": "FunctionName", "Value": {"Ref": logical}}]), errors)

    def test_the_dashboard_is_valid_json_with_every_part(self):
        body, variables = self.live["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
        values = {k: "x" for k in variables}
        text = re.sub(r"\$\{([^}]+)\}", lambda m: values.get(m.group(1), "CloudTrailMetrics"), body)
        widgets = json.loads(text)["widgets"]
        titles = " | ".join(w["properties"]["title"] for w in widgets)
        for part in ["StartInstances per user", "Security events", "evidence", "trail-metrics", "alarm-notifier"]:
            self.assertIn(part, titles)
        (log,) = [w for w in widgets if w["type"] == "log"]
        self.assertIn('filter trailwatch = "evidence"', log["properties"]["query"])
        self.assertIn("principalPublished", log["properties"]["query"])
        (health,) = [w for w in widgets if w["properties"]["title"] == "trail-metrics"]
        names = {m[1] for m in health["properties"]["metrics"]}
        # Values published percent-encoded or folded past a rule's cardinality guard are visible.
        self.assertLessEqual({"DimensionValuesFolded", "DimensionValuesEncoded", "FilesFailed"}, names)


def elf_section_size(binary, name):
    """The size of an ELF64 little-endian file's section `name`, 0 if it has none."""
    shoff = int.from_bytes(binary[0x28:0x30], "little")
    shentsize = int.from_bytes(binary[0x3A:0x3C], "little")
    shnum = int.from_bytes(binary[0x3C:0x3E], "little")
    shstrndx = int.from_bytes(binary[0x3E:0x40], "little")

    def header(i):
        at = shoff + i * shentsize
        return binary[at:at + shentsize]

    strings = header(shstrndx)
    strings_at = int.from_bytes(strings[0x18:0x20], "little")
    for i in range(shnum):
        h = header(i)
        at = strings_at + int.from_bytes(h[0:4], "little")
        if binary[at:binary.index(b"\0", at)] == name:
            return int.from_bytes(h[0x20:0x28], "little")
    return 0


@unittest.skipUnless(os.environ.get("TRAILWATCH_SAM_BUILD"), "set TRAILWATCH_SAM_BUILD to the sam build directory")
class Built(unittest.TestCase):
    def test_sam_build_made_arm64_bootstraps(self):
        build = pathlib.Path(os.environ["TRAILWATCH_SAM_BUILD"])
        built = load(build / "template.yaml")
        for logical in FUNCTIONS:
            code = build / built["Resources"][logical]["Properties"]["CodeUri"]
            binary = (code / "bootstrap").read_bytes()
            self.assertEqual(binary[:4], b"\x7fELF", logical)
            machine = int.from_bytes(binary[18:20], "little")
            self.assertEqual(machine, 0xB7, f"{logical}: not an aarch64 binary (e_machine {machine:#x})")
            # Issue 18: what sam build ships stays under 10 MB.
            self.assertLessEqual(len(binary), 10_000_000, f"{logical}: {len(binary):,} bytes")
            # Built with its own features only (Cargo.toml's [workspace.metadata.lambda]): the CLI's
            # `aws sso login` credentials (the SSO portal client) stay out of the functions.
            self.assertNotIn(b"portal.sso", binary, f"{logical}: the CLI's SSO credential client is linked in")
            # Panics unwind (lambda_runtime makes one the invocation's error): the landing pads' table is
            # hundreds of KB then; built with panic = "abort", as cargo-lambda does unless told, it holds
            # only the C libraries' few KB.
            landing_pads = elf_section_size(binary, b".gcc_except_table")
            self.assertGreater(landing_pads, 64 * 1024, f"{logical}: built with panic = abort?")


if __name__ == "__main__":
    unittest.main()


class NothingSilent(unittest.TestCase):
    """Issue 15, part 2: the deployed stack raises the alarm itself when it goes quiet, and keeps the
    evidence."""

    def setUp(self):
        self.template, self.live = deployed({})

    def test_silence_is_an_alarm_with_missing_data_breaching(self):
        a = self.live["TrailMetricsHeartbeatAlarm"]["Properties"]
        self.assertEqual(a["TreatMissingData"], "breaching")
        self.assertEqual(a["ComparisonOperator"], "LessThanThreshold")
        self.assertEqual(a["EvaluationPeriods"], {"Ref": "HeartbeatMinutes"})
        text = json.dumps(a["Metrics"])
        for metric in ["FilesProcessed", "FilesDuplicate", "DigestsChecked"]:
            self.assertIn(metric, text)
        self.assertEqual(self.template["Parameters"]["HeartbeatMinutes"]["Default"], 60)
        self.assertIn({"Ref": "EmailTopic"}, a["AlarmActions"])

    def test_lambda_dropping_or_delaying_events_is_alarmed_for_both_functions(self):
        alarms = of_type(self.live, "AWS::CloudWatch::Alarm").values()
        for logical in FUNCTIONS:
            dims = [{"Name": "FunctionName", "Value": {"Ref": logical}}]
            got = {a["Properties"].get("MetricName") for a in alarms
                   if a["Properties"].get("Namespace") == "AWS/Lambda" and a["Properties"].get("Dimensions") == dims}
            self.assertTrue({"AsyncEventsDropped", "AsyncEventAge", "Errors"} <= got, f"{logical}: {got}")

    def test_evidence_outlives_the_stack(self):
        for logical in ["TrailMetricsLogGroup", "AlarmNotifierLogGroup", "FailedEventsQueue", "TrailBucket",
                        "TrailAccessLogBucket"]:
            self.assertEqual(self.live[logical].get("DeletionPolicy"), "Retain", logical)
            self.assertEqual(self.live[logical].get("UpdateReplacePolicy"), "Retain", logical)

    def test_the_trail_bucket_is_versioned_logged_and_written_by_cloudtrail_only(self):
        bucket = self.live["TrailBucket"]["Properties"]
        self.assertEqual(bucket["VersioningConfiguration"], {"Status": "Enabled"})
        self.assertEqual(bucket["LoggingConfiguration"]["DestinationBucketName"], {"Ref": "TrailAccessLogBucket"})
        policy = self.live["TrailBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        (deny,) = [s for s in policy if s.get("Sid") == "OnlyCloudTrailWrites"]
        self.assertEqual(deny["Effect"], "Deny")
        self.assertTrue({"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"} <= set(deny["Action"]))
        self.assertEqual(deny["Condition"]["Bool"], {"aws:PrincipalIsAWSService": "false"})
        self.assertIn("BreakGlassRoleName", json.dumps(deny["Condition"]["ArnNotLike"]))
        logs = self.live["TrailAccessLogBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        self.assertTrue(any(s.get("Principal") == {"Service": "logging.s3.amazonaws.com"} for s in logs))

    def test_both_functions_reserve_concurrency_unless_told_not_to(self):
        for logical, parameter in [("TrailMetricsFunction", "TrailMetricsReservedConcurrency"),
                                   ("AlarmNotifierFunction", "AlarmNotifierReservedConcurrency")]:
            props = self.live[logical]["Properties"]
            self.assertEqual(props["ReservedConcurrentExecutions"]["Fn::If"][1], {"Ref": parameter}, logical)
            self.assertFalse(evaluate({"Condition": props["ReservedConcurrentExecutions"]["Fn::If"][0]},
                                      self.template, {parameter: "0"}), logical)

    def test_a_created_trail_key_encrypts_the_trail_and_is_decrypted_through_s3_only(self):
        self.assertNotIn("TrailKey", self.live)
        _, live = deployed({"TrailKmsKey": "create"})
        key = live["TrailKey"]["Properties"]
        self.assertTrue(key["EnableKeyRotation"])
        text = json.dumps(key["KeyPolicy"])
        self.assertIn("kms:GenerateDataKey*", text)
        self.assertIn("kms:EncryptionContext:aws:cloudtrail:arn", text)
        self.assertEqual(live["Trail"]["Properties"]["KMSKeyId"]["Fn::If"][1], {"Ref": "TrailKey"})
        role = live["TrailMetricsFunctionRole"]
        (decrypt,) = [s for s in statements(role) if s.get("Sid") == "DecryptTrailLogs"]
        self.assertIn("kms:ViaService", json.dumps(decrypt["Condition"]))
