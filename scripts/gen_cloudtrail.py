#!/usr/bin/env python3
"""Generate one synthetic CloudTrail log file for benchmarks.

    scripts/gen_cloudtrail.py OUT.json.gz [--records N] [--seed S] [--start now|YYYY-MM-DDTHH:MM:SS]

Writes `{"Records":[...]}` gzip-compressed, compact like CloudTrail writes it (no spaces, UTF-8
kept as is), one record at a time so memory stays flat whatever N is. The same N and seed give
the same bytes. At the default N (220000) the JSON is about 260 MB uncompressed
(~1.2 KB per record; gzip ratio ~5.5 because of the random ids and tokens).

The records follow the shapes of real CloudTrail events: every userIdentity type with its real
fields, nested requestParameters/responseElements, data and management events, errors, console
sign-ins, and a small share of the security-relevant calls the CIS rules look for. The values
are made up (documentation IP ranges, example account ids).
"""

import argparse
import datetime as dt
import gzip
import json
import os
import random
import sys
import uuid

ACCOUNT = "123456789012"
OTHER_ACCOUNTS = ["210987654321", "444455556666", "777788889999", "111122223333"]
ORG_ID = "o-a1b2c3d4e5"
IDENTITY_STORE = "arn:aws:identitystore::123456789012:identitystore/d-9067642ac7"

# One hour of one day; a few events arrive late from the previous minutes, as in real files.
BASE_TIME = dt.datetime(2026, 11, 25, 9, 0, 0)

REGIONS = (
    ["us-east-1"] * 10 + ["eu-central-1"] * 4 + ["eu-west-1"] * 3 + ["us-west-2"] * 3
    + ["ap-northeast-1"] * 2 + ["ap-southeast-2", "sa-east-1", "ca-central-1"]
)

IAM_USERS = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
    "ci-deployer", "terraform", "backup-agent", "jenkins", "legacy-batch", "svc-reporting",
    "j.mueller", "s.tanaka", "f.dubois", "a.kowalski", "m.garcia",
]
ROLES = [
    "eks-node-group-role", "ecsTaskExecutionRole", "lambda-orders-api-role", "OrganizationAccountAccessRole",
    "lambda-image-resizer-role", "lambda-billing-export-role", "github-actions-deploy",
    "gitlab-runner-role", "EC2-SSM-Instance-Profile", "AWSServiceRoleForConfig",
    "AWSServiceRoleForAutoScaling", "AWSServiceRoleForECS", "AWSServiceRoleForSupport",
    "AWSReservedSSO_AdministratorAccess_0a1b2c3d4e5f6a7b", "AWSReservedSSO_ReadOnlyAccess_9f8e7d6c5b4a3210",
    "AWSReservedSSO_PowerUserAccess_1234abcd5678ef90",
    "AWSServiceRoleForTrustedAdvisor", "AWSServiceRoleForCloudTrail", "datadog-integration",
    "SecurityAudit", "BreakGlassAdmin", "karpenter-controller", "external-dns",
    "cluster-autoscaler", "airflow-worker", "glue-etl-role", "sagemaker-execution",
    "redshift-loader", "backup-vault-role", "athena-query-role", "step-functions-orders",
    "cross-account-logging", "NightlyStopStartScheduler", "InstanceScheduler-Role",
    "StackSet-Admin", "AWSControlTowerExecution", "vpc-flow-logs-role", "kinesis-firehose",
    "codebuild-app-service-role", "codepipeline-prod-role",
]
SESSION_NAMES = [
    "botocore-session-1732525201", "aws-go-sdk-1732525333", "i-0a1b2c3d4e5f67890",
    "GitHubActions", "gitlab-ci-7481923", "AutoScaling", "AWSConfig-Describe",
    "karpenter-1732521100", "alice@example.com", "bob@example.com", "j.mueller@beispiel.de",
    "s.tanaka@example.jp", "AssumeRoleSession", "terraform-run-5532", "cdk-hnb659fds",
    "datadog-aws-integration", "awslambda_412_20261125085500123", "ecs-task-6f2e1c",
]
SERVICES = [
    "lambda.amazonaws.com", "ec2.amazonaws.com", "config.amazonaws.com",
    "cloudtrail.amazonaws.com", "autoscaling.amazonaws.com", "ecs-tasks.amazonaws.com",
    "s3.amazonaws.com", "elasticloadbalancing.amazonaws.com", "logs.amazonaws.com",
    "monitoring.amazonaws.com", "ssm.amazonaws.com", "secretsmanager.amazonaws.com",
    "backup.amazonaws.com", "events.amazonaws.com", "states.amazonaws.com",
    "firehose.amazonaws.com", "rds.amazonaws.com", "eks.amazonaws.com",
]
BUCKETS = [
    "acme-prod-data-lake", "acme-prod-logs", "acme-artifacts-eu-central-1", "acme-backups",
    "acme-static-website", "acme-cloudtrail-123456789012", "acme-reports-ünïcödé",
    "acme-ml-training", "terraform-state-123456789012", "cdk-hnb659fds-assets-123456789012",
]
S3_KEYS = [
    "raw/events/2026/11/25/09/part-{n:05d}-c000.snappy.parquet",
    "logs/app/2026/11/25/09/app-{n:02d}.log.gz",
    "reports/2026/Q4/Ünïcödé Bericht {n}.pdf",
    "uploads/ユーザー/画像_{n}.jpg",
    "exports/billing/2026-11/invoice-{n}.csv",
    "builds/app/1.{n}.0/app.zip",
    "models/résumé-classifier/v{n}/model.tar.gz",
    "static/assets/img/hero-{n}.webp",
    "backups/postgres/orders-2026-11-25-{n:04d}.dump",
    "tmp/emoji-🚀-{n}.json",
]
TAG_VALUES = [
    "Ünïcödé", "日本語", "Produktion", "🚀 launch", "équipe-données", "Ελληνικά", "Привет",
    "prod", "staging", "cost-center-4711", "Jürgen Groß", "データ基盤", "café ☕", "🔥 hot path",
]
TAG_KEYS = ["Name", "Environment", "Owner", "CostCenter", "Team", "Projekt", "プロジェクト", "Description"]

# Text with escapes and multi-byte characters of each width (2, 3 and 4 bytes in UTF-8).
UNICODE_NOTES = [
    "Zoë's \"quoted\" path\\to\\file", "Müller & Söhne", "東京リージョン 本番", "민수의 버킷", "Ελληνικά",
    "emoji 😀🚀 end", "tab\there\nnewline", "control \u0001 char", "ﬁ ligature ½ ∑", "עברית",
]

USER_AGENTS = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/5.10.210-201.852.amzn2.x86_64 exe/x86_64.amzn.2 prompt/off command/ec2.describe-instances",
    "aws-cli/2.17.4 Python/3.11.9 Darwin/23.5.0 exe/x86_64 prompt/off command/s3.cp",
    "aws-cli/1.32.69 Python/3.9.16 Linux/6.1.79-99.164.amzn2023.x86_64 botocore/1.34.69",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.69",
    "Boto3/1.35.10 md/Botocore#1.35.10 ua/2.0 os/linux#6.1.102-111.182.amzn2023.x86_64 md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#adaptive Botocore/1.35.10 Airflow/2.9.3",
    "aws-sdk-java/2.25.16 Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
    "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.152.0",
    "aws-sdk-go/1.50.38 (go1.21.8; linux; amd64) karpenter.sh-v0.35.2",
    "aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10.214-202.855.amzn2.x86_64 lang/js md/nodejs#20.12.0 api/s3#3.540.0 exec-env/AWS_Lambda_nodejs20.x",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.43.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.0 ua/2.0 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.151.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0",
    "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.219-186.866.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 vendor/Oracle_Corporation cfg/retry-mode/standard]",
    "AWS Internal",
    "console.amazonaws.com",
    "Bürokrat/1.0 (Verwaltungswerkzeug; de-DE; Größe=äöü) aws-sdk-js/3.540.0 ua/2.0 os/win32#10.0.22631 lang/js md/nodejs#20.11.1",
    "監査ツール/2.3 (日本語版; ja-JP) aws-sdk-java/2.25.16 Linux/5.10 OpenJDK_64-Bit_Server_VM/21.0.2+13-LTS Java/21.0.2",
    "Datadog/AWS Integration aws-sdk-go/1.44.327 (go1.20.7; linux; amd64)",
    "cdk/2.135.0 (node v20.12.0; linux x64) aws-sdk-js/3.540.0",
]
SHORT_USER_AGENTS = [
    "AWS Internal", "console.amazonaws.com", "console.ec2.amazonaws.com", "s3.amazonaws.com",
    "aws-internal/3 aws-sdk-java/1.12.720", "Go-http-client/1.1", "python-requests/2.31.0",
    "aws-cli/2.15.30 md/command#sts.get-caller-identity", "Bürokrat/1.0", "監査ツール/2.3",
]
CIPHERS = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES128-GCM-SHA256"]
INSTANCE_TYPES = ["t3.micro", "t3.large", "m6i.xlarge", "c7g.2xlarge", "r6i.4xlarge", "g5.xlarge"]
FUNCTIONS = ["orders-api", "image-resizer", "billing-export", "slack-notifier", "ünïcödé-handler", "etl-trigger"]


def fmt_time(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def fmt_legacy(t):
    # The "Nov 25, 2026, 10:12:33 AM" style some services use inside responseElements.
    return t.strftime("%b %d, %Y, %I:%M:%S %p").replace(" 0", " ")


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        r = self.r
        self.user_ids = {u: "AIDA" + self.ident(17) for u in IAM_USERS}
        self.role_ids = {n: "AROA" + self.ident(17) for n in ROLES}
        self.user_keys = {u: "AKIA" + self.ident(16) for u in IAM_USERS}
        self.instances = ["i-0%016x" % r.getrandbits(64) for _ in range(400)]
        self.kms_keys = [str(uuid.UUID(int=r.getrandbits(128), version=4)) for _ in range(12)]
        self.subnets = ["subnet-0%016x" % r.getrandbits(64) for _ in range(8)]
        self.vpcs = ["vpc-0%016x" % r.getrandbits(64) for _ in range(3)]
        self.sgs = ["sg-0%016x" % r.getrandbits(64) for _ in range(10)]
        # Zipf-ish popularity: a few principals do most of the work.
        self.user_w = [1.0 / (i + 1) for i in range(len(IAM_USERS))]
        self.role_w = [1.0 / (i + 1) ** 0.8 for i in range(len(ROLES))]
        self.events, self.event_w = zip(*EVENTS)
        self.identity_kinds, self.identity_w = zip(*IDENTITIES)

    # ---- small pieces -------------------------------------------------------------------------

    def ident(self, n, alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def uuid(self):
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))

    def b64(self, n):
        return self.ident(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    def ip(self):
        r = self.r
        x = r.random()
        if x < 0.45:
            return "10.%d.%d.%d" % (r.randrange(256), r.randrange(256), r.randrange(1, 255))
        if x < 0.75:
            return "%s.%d" % (r.choice(["198.51.100", "203.0.113", "192.0.2"]), r.randrange(1, 255))
        if x < 0.95:
            return "%d.%d.%d.%d" % (r.choice([3, 18, 34, 52, 54, 35, 44]), r.randrange(256),
                                    r.randrange(256), r.randrange(1, 255))
        return "2001:db8:%x:%x::%x" % (r.getrandbits(16), r.getrandbits(16), r.getrandbits(16))

    def region(self):
        return self.r.choice(REGIONS)

    def tags(self, n):
        r = self.r
        return [{"key": r.choice(TAG_KEYS), "value": r.choice(TAG_VALUES)} for _ in range(n)]

    def time(self):
        r = self.r
        secs = r.randrange(3600)
        if r.random() < 0.02:
            secs -= r.randrange(60, 300)
        return BASE_TIME + dt.timedelta(seconds=secs)

    def session_attrs(self, t, mfa=None):
        created = t - dt.timedelta(seconds=self.r.randrange(30, 12 * 3600))
        if mfa is None:
            mfa = self.r.random() < 0.2
        return {"creationDate": fmt_time(created), "mfaAuthenticated": "true" if mfa else "false"}

    def user(self):
        return self.r.choices(IAM_USERS, self.user_w)[0]

    def role(self):
        return self.r.choices(ROLES, self.role_w)[0]

    # ---- identities ---------------------------------------------------------------------------

    def identity(self, kind, t, console=False):
        r = self.r
        if kind == "IAMUser":
            u = self.user()
            ident = {"type": "IAMUser", "principalId": self.user_ids[u],
                     "arn": "arn:aws:iam::%s:user/%s" % (ACCOUNT, u), "accountId": ACCOUNT}
            if console or r.random() < 0.15:
                ident["accessKeyId"] = "ASIA" + self.ident(16)
                ident["userName"] = u
                ident["sessionContext"] = {"attributes": self.session_attrs(t)}
            else:
                ident["accessKeyId"] = self.user_keys[u]
                ident["userName"] = u
            return ident
        if kind == "AssumedRole":
            role = self.role()
            sess = r.choice(SESSION_NAMES)
            ident = {"type": "AssumedRole", "principalId": "%s:%s" % (self.role_ids[role], sess),
                     "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (ACCOUNT, role, sess),
                     "accountId": ACCOUNT, "accessKeyId": "ASIA" + self.ident(16),
                     "sessionContext": {
                         "sessionIssuer": {"type": "Role", "principalId": self.role_ids[role],
                                           "arn": "arn:aws:iam::%s:role/%s" % (ACCOUNT, role),
                                           "accountId": ACCOUNT, "userName": role}}}
            if r.random() < 0.3:
                ident["sessionContext"]["webIdFederationData"] = {}
            if r.random() < 0.05:
                ident["sessionContext"]["webIdFederationData"] = {
                    "federatedProvider": "arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com" % ACCOUNT,
                    "attributes": {}}
            ident["sessionContext"]["attributes"] = self.session_attrs(t)
            if sess.startswith("i-"):
                ident["sessionContext"]["ec2RoleDelivery"] = "2.0"
            if r.random() < 0.2:
                ident["invokedBy"] = r.choice(SERVICES)
            return ident
        if kind == "Root":
            ident = {"type": "Root", "principalId": ACCOUNT, "arn": "arn:aws:iam::%s:root" % ACCOUNT,
                     "accountId": ACCOUNT, "accessKeyId": "ASIA" + self.ident(16)}
            if r.random() < 0.4:
                ident["sessionContext"] = {"attributes": self.session_attrs(t, mfa=True)}
            if r.random() < 0.3:
                ident["invokedBy"] = r.choice(["support.amazonaws.com", "trustedadvisor.amazonaws.com",
                                               "organizations.amazonaws.com"])
            return ident
        if kind == "AWSService":
            return {"type": "AWSService", "invokedBy": r.choice(SERVICES)}
        if kind == "FederatedUser":
            u = self.user()
            return {"type": "FederatedUser", "principalId": "%s:%s" % (ACCOUNT, u),
                    "arn": "arn:aws:sts::%s:federated-user/%s" % (ACCOUNT, u),
                    "accountId": ACCOUNT, "accessKeyId": "ASIA" + self.ident(16),
                    "sessionContext": {
                        "sessionIssuer": {"type": "IAMUser", "principalId": self.user_ids[u],
                                          "arn": "arn:aws:iam::%s:user/%s" % (ACCOUNT, u),
                                          "accountId": ACCOUNT, "userName": u},
                        "webIdFederationData": {},
                        "attributes": self.session_attrs(t)}}
        if kind == "SAMLUser":
            name = r.choice(["alice@example.com", "j.mueller@beispiel.de", "s.tanaka@example.jp"])
            idp = self.b64(27) + "="
            return {"type": "SAMLUser", "principalId": "%s:%s" % (idp, name), "userName": name,
                    "identityProvider": idp}
        if kind == "WebIdentityUser":
            sub = str(r.randrange(10 ** 20, 10 ** 21))
            prov = r.choice(["accounts.google.com", "cognito-identity.amazonaws.com",
                             "token.actions.githubusercontent.com"])
            return {"type": "WebIdentityUser", "principalId": "%s:%s:%s" % (prov, "app-client-1", sub),
                    "userName": sub, "identityProvider": prov}
        if kind == "IdentityCenterUser":
            return {"type": "IdentityCenterUser", "accountId": ACCOUNT,
                    "onBehalfOf": {"userId": r.choice(["544894e8-80c1-707f-60e3-3ba6510dfac1",
                                                       "a4e8d4b8-1051-70aa-9c2e-8f1e0d2b3c4d",
                                                       "d3c1a2b4-6071-7012-8e5f-7a6b5c4d3e2f"]),
                                   "identityStoreArn": IDENTITY_STORE},
                    "credentialId": self.uuid()}
        if kind == "AWSAccount":
            other = r.choice(OTHER_ACCOUNTS)
            ident = {"type": "AWSAccount", "principalId": "AIDA" + self.ident(17), "accountId": other}
            if r.random() < 0.3:
                ident["invokedBy"] = r.choice(SERVICES)
            return ident
        # Unknown: what CloudTrail writes when it cannot say (failed sign-ins, some SSO calls).
        return {"type": "Unknown", "principalId": "AIDA" + self.ident(17), "accountId": ACCOUNT,
                "accessKeyId": "", "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"}

    # ---- records ------------------------------------------------------------------------------

    def record(self):
        r = self.r
        t = self.time()
        region = self.region()
        source, name, builder = r.choices(self.events, self.event_w)[0]
        kind = r.choices(self.identity_kinds, self.identity_w)[0]
        rec = {"eventVersion": r.choice(("1.08", "1.09", "1.09")),
               "userIdentity": None,
               "eventTime": fmt_time(t),
               "eventSource": source,
               "eventName": name,
               "awsRegion": region,
               "sourceIPAddress": None,
               "userAgent": None,
               "requestParameters": None,
               "responseElements": None}
        ctx = {"t": t, "region": region, "kind": kind, "error": r.random() < 0.05}
        extra = builder(self, rec, ctx) or {}
        kind = ctx["kind"]
        if rec["userIdentity"] is None:
            rec["userIdentity"] = self.identity(kind, t, console=ctx.get("console", False))
        ident = rec["userIdentity"]
        if rec["sourceIPAddress"] is None:
            via = ident.get("invokedBy")
            if via:
                rec["sourceIPAddress"] = via
                rec["userAgent"] = via
            else:
                rec["sourceIPAddress"] = "AWS Internal" if r.random() < 0.03 else self.ip()
                rec["userAgent"] = r.choice(USER_AGENTS if r.random() < 0.6 else SHORT_USER_AGENTS)
        if ctx["error"]:
            code, message = self.error(source, name, ident, rec["awsRegion"])
            extra["errorCode"] = code
            extra["errorMessage"] = message
            rec["responseElements"] = None
        if "errorMessage" in extra:
            # CloudTrail writes the error right after userAgent.
            head = {k: rec[k] for k in ("eventVersion", "userIdentity", "eventTime", "eventSource",
                                        "eventName", "awsRegion", "sourceIPAddress", "userAgent")}
            if "errorCode" in extra:
                head["errorCode"] = extra.pop("errorCode")
            head["errorMessage"] = extra.pop("errorMessage")
            head["requestParameters"] = rec["requestParameters"]
            head["responseElements"] = rec["responseElements"]
            rec = head
        rec.update({k: v for k, v in extra.items() if k not in ("resources",)})
        if "requestID" not in rec and name != "ConsoleLogin":
            rec["requestID"] = self.uuid() if source != "s3.amazonaws.com" else self.ident(16, "0123456789ABCDEF")
        rec["eventID"] = self.uuid()
        rec["readOnly"] = ctx.get("readOnly", False)
        if "resources" in extra:
            rec["resources"] = extra["resources"]
        rec["eventType"] = ctx.get("eventType", "AwsApiCall")
        data = ctx.get("data", False)
        rec["managementEvent"] = not data
        rec["recipientAccountId"] = ACCOUNT
        if ctx.get("shared"):
            rec["sharedEventID"] = self.uuid()
        if r.random() < 0.04 and not data:
            rec["vpcEndpointId"] = "vpce-0%016x" % r.getrandbits(64)
        rec["eventCategory"] = "Data" if data else "Management"
        if "invokedBy" not in ident and ident.get("type") != "AWSService" and rec["sourceIPAddress"] != "AWS Internal":
            host = ctx.get("host") or "%s.%s.amazonaws.com" % (source.split(".")[0], region)
            rec["tlsDetails"] = {"tlsVersion": r.choice(("TLSv1.2", "TLSv1.3", "TLSv1.3")),
                                 "cipherSuite": r.choice(CIPHERS), "clientProvidedHostHeader": host}
        if ctx.get("console") or (ident.get("type") in ("IAMUser", "AssumedRole") and r.random() < 0.06):
            rec["sessionCredentialFromConsole"] = "true"
        if r.random() < 0.5:
            self.value_kinds(rec)
        return rec

    def value_kinds(self, rec):
        """Every value kind real logs hold, in fields no rule reads: S3's float byte counts, fractions,
        exponents both ways, negative numbers, escapes, and non-ASCII text of every UTF-8 width. A
        reader must frame records whatever falls on a window's edge."""
        r = self.r
        extra = rec.setdefault("additionalEventData", {})
        extra["bytesTransferredIn"] = float(r.randrange(0, 4096))
        extra["bytesTransferredOut"] = r.random() * 10 ** r.randrange(0, 9)
        extra["latencyRatio"] = r.random()
        extra["jitter"] = -r.random() * 1e-7
        extra["scale"] = r.choice((1.5e-7, 2.5e21, -3.25e-12, 6.02214076e23, 1e-300))
        extra["delta"] = -r.randrange(1, 10 ** r.randrange(1, 12))
        extra["note"] = r.choice(UNICODE_NOTES)
        rp = rec.get("requestParameters")
        if isinstance(rp, dict):
            rp["clientRatio"] = round(r.uniform(-1000, 1000), r.randrange(1, 8))
            rp["label"] = r.choice(UNICODE_NOTES)
        if r.random() < 0.2:
            rec["userAgent"] = "%s (%s)" % (rec.get("userAgent") or "aws-cli", r.choice(UNICODE_NOTES))

    def error(self, source, name, ident, region):
        r = self.r
        arn = ident.get("arn")
        x = r.random()
        if x < 0.2:
            return "ThrottlingException", "Rate exceeded"
        if arn is None:
            # Services and principals without an ARN get the short messages.
            if source == "ec2.amazonaws.com":
                return "Client.UnauthorizedOperation", "You are not authorized to perform this operation."
            if source == "s3.amazonaws.com" and name == "GetObject" and x < 0.6:
                return "NoSuchKey", "The specified key does not exist."
            return "AccessDenied", "Access Denied"
        if source == "ec2.amazonaws.com" and x < 0.8:
            return ("Client.UnauthorizedOperation",
                    "You are not authorized to perform this operation. User: %s is not authorized to perform: "
                    "ec2:%s on resource: arn:aws:ec2:%s:%s:instance/* because no identity-based policy allows "
                    "the ec2:%s action. Encoded authorization failure message: %s"
                    % (arn, name, region, ACCOUNT, name, self.b64(r.randrange(100, 300))))
        if source == "s3.amazonaws.com" and name == "GetObject" and x < 0.6:
            return "NoSuchKey", "The specified key does not exist."
        if x < 0.9:
            if source == "s3.amazonaws.com":
                return "AccessDenied", "Access Denied"
            action = "%s:%s" % (source.split(".")[0], name)
            return ("AccessDenied",
                    "User: %s is not authorized to perform: %s on resource: * because no identity-based "
                    "policy allows the %s action" % (arn, action, action))
        return r.choice([("ValidationException", "1 validation error detected: Value at 'maxResults' failed to satisfy constraint"),
                         ("ResourceNotFoundException", "The specified resource does not exist."),
                         ("AccessDeniedException", "User is not authorized to perform this action with an explicit deny in a service control policy")])


# ---- event builders: fill requestParameters/responseElements, return extra top-level fields ------


def ec2_instances_items(g, ids, state):
    prev = {"pending": ("stopped", 80), "stopping": ("running", 16)}[state]
    code = {"pending": 0, "stopping": 64}[state]
    return {"items": [{"instanceId": i, "currentState": {"code": code, "name": state},
                       "previousState": {"code": prev[1], "name": prev[0]}} for i in ids]}


def b_start_stop(state):
    def build(g, rec, ctx):
        r = g.r
        ids = r.sample(g.instances, r.choice((1, 1, 1, 2, 3)))
        rec["requestParameters"] = {"instancesSet": {"items": [{"instanceId": i} for i in ids]}}
        if state == "stopping":
            rec["requestParameters"]["force"] = False
        rec["responseElements"] = {"requestId": g.uuid(), "instancesSet": ec2_instances_items(g, ids, state)}
        if ctx["kind"] in ("AWSAccount", "Unknown", "SAMLUser", "WebIdentityUser"):
            ctx["kind"] = "AssumedRole"
        if ctx["kind"] == "AssumedRole" and r.random() < 0.25:
            ctx["console"] = True
    return build


def b_describe_instances(g, rec, ctx):
    r = g.r
    rp = {"instancesSet": {}, "filterSet": {}}
    if r.random() < 0.5:
        rp["filterSet"] = {"items": [{"name": "tag:%s" % r.choice(TAG_KEYS),
                                      "valueSet": {"items": [{"value": r.choice(TAG_VALUES)}]}},
                                     {"name": "instance-state-name",
                                      "valueSet": {"items": [{"value": "running"}, {"value": "stopped"}]}}]}
    else:
        rp["instancesSet"] = {"items": [{"instanceId": i} for i in r.sample(g.instances, r.randrange(1, 5))]}
    if r.random() < 0.5:
        rp["maxResults"] = 1000
    rec["requestParameters"] = rp
    ctx["readOnly"] = True


def b_describe_regions(g, rec, ctx):
    rec["requestParameters"] = {"regionSet": {}}
    ctx["readOnly"] = True


def b_describe_sgs(g, rec, ctx):
    r = g.r
    rec["requestParameters"] = {"securityGroupSet": {}, "securityGroupIdSet": {
        "items": [{"groupId": s} for s in r.sample(g.sgs, r.randrange(1, 4))]}, "filterSet": {}}
    ctx["readOnly"] = True


def b_run_instances(g, rec, ctx):
    r = g.r
    n = r.choice((1, 1, 2))
    itype = r.choice(INSTANCE_TYPES)
    subnet = r.choice(g.subnets)
    vpc = r.choice(g.vpcs)
    sg = r.choice(g.sgs)
    tags = g.tags(3)
    rec["requestParameters"] = {
        "instancesSet": {"items": [{"imageId": "ami-0%016x" % r.getrandbits(64), "minCount": n, "maxCount": n}]},
        "instanceType": itype, "blockDeviceMapping": {}, "availabilityZone": ctx["region"] + "a",
        "tenancy": "default", "monitoring": {"enabled": False}, "disableApiTermination": False,
        "disableApiStop": False, "clientToken": g.uuid(),
        "networkInterfaceSet": {"items": [{"deviceIndex": 0, "subnetId": subnet, "associatePublicIpAddress": True,
                                           "groupSet": {"items": [{"groupId": sg}]}}]},
        "iamInstanceProfile": {"name": "EC2-SSM-Instance-Profile"},
        "tagSpecificationSet": {"items": [{"resourceType": "instance", "tags": tags}]},
        "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2},
    }
    launch = int(ctx["t"].replace(tzinfo=dt.timezone.utc).timestamp() * 1000)
    items = []
    for k in range(n):
        iid = "i-0%016x" % r.getrandbits(64)
        pip = "10.%d.%d.%d" % (r.randrange(256), r.randrange(256), r.randrange(1, 255))
        items.append({
            "instanceId": iid, "imageId": rec["requestParameters"]["instancesSet"]["items"][0]["imageId"],
            "bootMode": "uefi-preferred", "currentInstanceBootMode": "legacy-bios",
            "instanceState": {"code": 0, "name": "pending"},
            "privateDnsName": "ip-%s.%s.compute.internal" % (pip.replace(".", "-"), ctx["region"]),
            "amiLaunchIndex": k, "productCodes": {}, "instanceType": itype, "launchTime": launch,
            "placement": {"availabilityZone": ctx["region"] + "a", "tenancy": "default"},
            "monitoring": {"state": "disabled"}, "subnetId": subnet, "vpcId": vpc, "privateIpAddress": pip,
            "stateReason": {"code": "pending", "message": "pending"}, "architecture": "x86_64",
            "rootDeviceType": "ebs", "rootDeviceName": "/dev/xvda", "blockDeviceMapping": {},
            "virtualizationType": "hvm", "hypervisor": "xen", "tagSet": {"items": tags},
            "groupSet": {"items": [{"groupId": sg, "groupName": "web-sg"}]}, "sourceDestCheck": True,
            "networkInterfaceSet": {"items": [{
                "networkInterfaceId": "eni-0%016x" % r.getrandbits(64), "subnetId": subnet, "vpcId": vpc,
                "ownerId": ACCOUNT, "status": "in-use", "macAddress": "0a:%02x:%02x:%02x:%02x:%02x" % tuple(
                    r.randrange(256) for _ in range(5)),
                "privateIpAddress": pip, "sourceDestCheck": True, "interfaceType": "interface",
                "groupSet": {"items": [{"groupId": sg, "groupName": "web-sg"}]},
                "attachment": {"attachmentId": "eni-attach-0%016x" % r.getrandbits(64), "deviceIndex": 0,
                               "networkCardIndex": 0, "status": "attaching", "attachTime": launch,
                               "deleteOnTermination": True},
                "privateIpAddressesSet": {"item": [{"privateIpAddress": pip, "primary": True}]},
                "ipv6AddressesSet": {}, "tagSet": {}}]},
            "iamInstanceProfile": {"arn": "arn:aws:iam::%s:instance-profile/EC2-SSM-Instance-Profile" % ACCOUNT,
                                   "id": "AIPA" + g.ident(17)},
            "ebsOptimized": False, "enaSupport": True,
            "cpuOptions": {"coreCount": 1, "threadsPerCore": 2},
            "capacityReservationSpecification": {"capacityReservationPreference": "open"},
            "enclaveOptions": {"enabled": False},
            "metadataOptions": {"state": "pending", "httpTokens": "required", "httpPutResponseHopLimit": 2,
                                "httpEndpoint": "enabled", "httpProtocolIpv6": "disabled",
                                "instanceMetadataTags": "disabled"},
            "maintenanceOptions": {"autoRecovery": "default"},
            "privateDnsNameOptions": {"hostnameType": "ip-name", "enableResourceNameDnsARecord": False,
                                      "enableResourceNameDnsAAAARecord": False},
        })
    rec["responseElements"] = {"requestId": g.uuid(), "reservationId": "r-0%016x" % r.getrandbits(64),
                               "ownerId": ACCOUNT, "groupSet": {}, "instancesSet": {"items": items},
                               "requesterId": "940372691376" if r.random() < 0.2 else None}
    if rec["responseElements"]["requesterId"] is None:
        del rec["responseElements"]["requesterId"]


def b_authorize_sg(g, rec, ctx):
    r = g.r
    sg = r.choice(g.sgs)
    port = r.choice((22, 443, 3389, 5432, 8080))
    perm = {"ipProtocol": "tcp", "fromPort": port, "toPort": port, "groups": {},
            "ipRanges": {"items": [{"cidrIp": r.choice(("0.0.0.0/0", "10.0.0.0/8", "203.0.113.0/24")),
                                    "description": r.choice(("SSH für Büro München", "オフィスVPN", "temp 🔧 debug",
                                                             "bastion"))}]},
            "ipv6Ranges": {}, "prefixListIds": {}}
    rec["requestParameters"] = {"groupId": sg, "ipPermissions": {"items": [perm]}}
    rec["responseElements"] = {"requestId": g.uuid(), "_return": True, "securityGroupRuleSet": {"items": [{
        "groupOwnerId": ACCOUNT, "groupId": sg, "securityGroupRuleId": "sgr-0%016x" % r.getrandbits(64),
        "isEgress": False, "ipProtocol": "tcp", "fromPort": port, "toPort": port,
        "cidrIpv4": perm["ipRanges"]["items"][0]["cidrIp"],
        "description": perm["ipRanges"]["items"][0]["description"]}]}}


def b_create_route(g, rec, ctx):
    r = g.r
    rec["requestParameters"] = {"routeTableId": "rtb-0%016x" % r.getrandbits(64),
                                "destinationCidrBlock": r.choice(("0.0.0.0/0", "172.16.0.0/12")),
                                "gatewayId": "igw-0%016x" % r.getrandbits(64)}
    rec["responseElements"] = {"requestId": g.uuid(), "_return": True}


def b_create_vpc(g, rec, ctx):
    r = g.r
    vpc = "vpc-0%016x" % r.getrandbits(64)
    rec["requestParameters"] = {"cidrBlock": "10.%d.0.0/16" % r.randrange(256), "instanceTenancy": "default",
                                "amazonProvidedIpv6CidrBlock": False,
                                "tagSpecificationSet": {"items": [{"resourceType": "vpc", "tags": g.tags(2)}]}}
    rec["responseElements"] = {"requestId": g.uuid(), "vpc": {
        "vpcId": vpc, "state": "pending", "ownerId": ACCOUNT, "cidrBlock": rec["requestParameters"]["cidrBlock"],
        "cidrBlockAssociationSet": {"items": [{"cidrBlock": rec["requestParameters"]["cidrBlock"],
                                               "associationId": "vpc-cidr-assoc-0%016x" % r.getrandbits(64),
                                               "cidrBlockState": {"state": "associated"}}]},
        "ipv6CidrBlockAssociationSet": {}, "dhcpOptionsId": "dopt-0%016x" % r.getrandbits(64),
        "instanceTenancy": "default", "isDefault": False,
        "tagSet": {"items": rec["requestParameters"]["tagSpecificationSet"]["items"][0]["tags"]}}}


def b_nacl_entry(g, rec, ctx):
    r = g.r
    rec["requestParameters"] = {"networkAclId": "acl-0%016x" % r.getrandbits(64), "ruleNumber": r.randrange(100, 200),
                                "egress": False, "ruleAction": "allow", "icmpTypeCode": {},
                                "portRange": {"from": 443, "to": 443}, "aclProtocol": "6", "cidrBlock": "0.0.0.0/0"}
    rec["responseElements"] = {"requestId": g.uuid(), "_return": True}


def b_attach_igw(g, rec, ctx):
    r = g.r
    rec["requestParameters"] = {"internetGatewayId": "igw-0%016x" % r.getrandbits(64), "vpcId": r.choice(g.vpcs)}
    rec["responseElements"] = {"requestId": g.uuid(), "_return": True}


def b_create_tags(g, rec, ctx):
    r = g.r
    rec["requestParameters"] = {"resourcesSet": {"items": [{"resourceId": i} for i in r.sample(g.instances, 2)]},
                                "tagSet": {"items": g.tags(r.randrange(1, 5))}}
    rec["responseElements"] = {"requestId": g.uuid(), "_return": True}


def s3_common(g, rec, ctx, bucket, key=None):
    r = g.r
    host = "%s.s3.%s.amazonaws.com" % (bucket, ctx["region"])
    ctx["host"] = host
    rp = {"bucketName": bucket, "Host": host}
    if key is not None:
        rp["key"] = key
    rec["requestParameters"] = rp
    extra = {"additionalEventData": {
        "SignatureVersion": "SigV4", "CipherSuite": r.choice(CIPHERS),
        "bytesTransferredIn": 0, "AuthenticationMethod": r.choice(("AuthHeader", "AuthHeader", "QueryString")),
        "x-amz-id-2": g.b64(76), "bytesTransferredOut": 0}}
    res = [{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::%s" % bucket}]
    if key is not None:
        res.insert(0, {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::%s/%s" % (bucket, key)})
    extra["resources"] = res
    return extra


def s3_key(g):
    r = g.r
    return r.choice(S3_KEYS).format(n=r.randrange(60))


def b_s3_get(g, rec, ctx):
    extra = s3_common(g, rec, ctx, g.r.choice(BUCKETS), s3_key(g))
    extra["additionalEventData"]["bytesTransferredOut"] = g.r.randrange(10, 50_000_000)
    ctx.update(data=True, readOnly=True)
    return extra


def b_s3_head(g, rec, ctx):
    extra = s3_common(g, rec, ctx, g.r.choice(BUCKETS), s3_key(g))
    ctx.update(data=True, readOnly=True)
    return extra


def b_s3_put(g, rec, ctx):
    r = g.r
    extra = s3_common(g, rec, ctx, r.choice(BUCKETS), s3_key(g))
    extra["additionalEventData"]["bytesTransferredIn"] = r.randrange(10, 50_000_000)
    if r.random() < 0.3:
        rec["requestParameters"]["x-amz-server-side-encryption"] = "aws:kms"
        rec["requestParameters"]["x-amz-tagging"] = "Projekt=%s&Team=%s" % (r.choice(TAG_VALUES), r.choice(TAG_VALUES))
    rec["responseElements"] = {"x-amz-server-side-encryption": "AES256",
                               "x-amz-version-id": g.b64(32).replace("+", "_").replace("/", "."),
                               "x-amz-checksum-crc32": g.b64(6) + "=="}
    ctx.update(data=True)
    return extra


def b_s3_list(g, rec, ctx):
    r = g.r
    extra = s3_common(g, rec, ctx, r.choice(BUCKETS))
    rec["requestParameters"].update({"list-type": "2", "prefix": r.choice(("raw/", "reports/2026/", "uploads/ユーザー/", "")),
                                     "delimiter": "/", "encoding-type": "url", "max-keys": "1000"})
    ctx.update(data=True, readOnly=True)
    return extra


def b_s3_policy(g, rec, ctx):
    r = g.r
    bucket = r.choice(BUCKETS)
    extra = s3_common(g, rec, ctx, bucket)
    rec["requestParameters"]["policy"] = ""
    rec["requestParameters"]["bucketPolicy"] = {"Version": "2012-10-17", "Statement": [
        {"Sid": "AllowSSLRequestsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": ["arn:aws:s3:::%s" % bucket, "arn:aws:s3:::%s/*" % bucket],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "PublicRead-Ünïcödé", "Effect": "Allow", "Principal": r.choice(("*", {"AWS": "arn:aws:iam::%s:root" % r.choice(OTHER_ACCOUNTS)})),
         "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::%s/public/*" % bucket}]}
    extra["additionalEventData"].pop("bytesTransferredOut")
    return extra


def b_s3_get_acl(g, rec, ctx):
    extra = s3_common(g, rec, ctx, g.r.choice(BUCKETS))
    rec["requestParameters"]["acl"] = ""
    ctx["readOnly"] = True
    return extra


def policy_document(g, user):
    """A policy as IAM's CloudTrail events carry it: a JSON document inside a string."""
    r = g.r
    doc = {"Version": "2012-10-17", "Statement": [
        {"Sid": "HomeFolder", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": "arn:aws:s3:::%s/home/${aws:username}/*" % r.choice(BUCKETS),
         "Condition": {"StringLike": {"s3:prefix": ["home\\${aws:username}\\*", "Ünïcödé/\"quoted\"/*"]}}},
        {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}
    text = json.dumps(doc, indent=r.choice((None, 4)), ensure_ascii=False)
    return text.replace("\n", r.choice(("\n", "\r\n")))


def b_put_user_policy(g, rec, ctx):
    u = g.user()
    rec["requestParameters"] = {"userName": u, "policyName": g.r.choice(("inline-s3-home", "Zugriff-für-Projekt", "temp")),
                                "policyDocument": policy_document(g, u)}


def b_attach_role_policy(g, rec, ctx):
    r = g.r
    rec["requestParameters"] = {"roleName": g.role(), "policyArn": r.choice((
        "arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::%s:policy/custom-deploy" % ACCOUNT))}


def b_create_user(g, rec, ctx):
    r = g.r
    name = "new-user-%d" % r.randrange(1000)
    tags = g.tags(2)
    rec["requestParameters"] = {"userName": name, "tags": tags}
    rec["responseElements"] = {"user": {"path": "/", "userName": name, "userId": "AIDA" + g.ident(17),
                                        "arn": "arn:aws:iam::%s:user/%s" % (ACCOUNT, name),
                                        "createDate": fmt_legacy(ctx["t"]), "tags": tags}}


def b_get_role(g, rec, ctx):
    rec["requestParameters"] = {"roleName": g.role()}
    ctx["readOnly"] = True


def b_list_roles(g, rec, ctx):
    rec["requestParameters"] = {"maxItems": 100} if g.r.random() < 0.5 else None
    ctx["readOnly"] = True


def b_assume_role(g, rec, ctx):
    r = g.r
    role = g.role()
    sess = r.choice(SESSION_NAMES)
    arn = "arn:aws:iam::%s:role/%s" % (ACCOUNT, role)
    rec["requestParameters"] = {"roleArn": arn, "roleSessionName": sess, "durationSeconds": r.choice((900, 3600, 43200))}
    if r.random() < 0.3:
        rec["requestParameters"]["tags"] = g.tags(1)
        rec["requestParameters"]["sourceIdentity"] = r.choice(("alice", "j.mueller"))
    exp = ctx["t"] + dt.timedelta(hours=1)
    rec["responseElements"] = {
        "credentials": {"accessKeyId": "ASIA" + g.ident(16),
                        "sessionToken": "IQoJb3JpZ2luX2Vj" + g.b64(r.randrange(150, 330)),
                        "expiration": fmt_legacy(exp)},
        "assumedRoleUser": {"assumedRoleId": "%s:%s" % (g.role_ids[role], sess),
                            "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (ACCOUNT, role, sess)}}
    if r.random() < 0.5:
        ctx["kind"] = "AWSService"
        ctx["shared"] = True
    return {"resources": [{"accountId": ACCOUNT, "type": "AWS::IAM::Role", "ARN": arn}]}


def b_assume_role_web(g, rec, ctx):
    r = g.r
    role = g.role()
    rec["requestParameters"] = {"roleArn": "arn:aws:iam::%s:role/%s" % (ACCOUNT, role),
                                "roleSessionName": r.choice(SESSION_NAMES), "durationSeconds": 3600}
    rec["responseElements"] = {
        "credentials": {"accessKeyId": "ASIA" + g.ident(16), "sessionToken": "IQoJb3JpZ2luX2Vj" + g.b64(r.randrange(150, 330)),
                        "expiration": fmt_legacy(ctx["t"] + dt.timedelta(hours=1))},
        "subjectFromWebIdentityToken": "repo:acme/infra:ref:refs/heads/main",
        "assumedRoleUser": {"assumedRoleId": "%s:GitHubActions" % g.role_ids[role],
                            "arn": "arn:aws:sts::%s:assumed-role/%s/GitHubActions" % (ACCOUNT, role)},
        "provider": "arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com" % ACCOUNT,
        "audience": "sts.amazonaws.com"}
    ctx["kind"] = "WebIdentityUser"


def b_readonly_null(g, rec, ctx):
    ctx["readOnly"] = True


def kms_key_arn(g, region):
    return "arn:aws:kms:%s:%s:key/%s" % (region, ACCOUNT, g.r.choice(g.kms_keys))


def b_kms_decrypt(g, rec, ctx):
    r = g.r
    key = kms_key_arn(g, ctx["region"])
    ec = r.choice(({"aws:lambda:FunctionArn": "arn:aws:lambda:%s:%s:function:%s" % (ctx["region"], ACCOUNT, r.choice(FUNCTIONS))},
                   {"aws:s3:arn": "arn:aws:s3:::%s/%s" % (r.choice(BUCKETS), s3_key(g))},
                   {"SecretARN": "arn:aws:secretsmanager:%s:%s:secret:prod/db-AbCdEf" % (ctx["region"], ACCOUNT),
                    "SecretVersionId": g.uuid()}))
    rec["requestParameters"] = {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": ec}
    if r.random() < 0.4:
        rec["requestParameters"]["keyId"] = key
    ctx["readOnly"] = True
    return {"resources": [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key}]}


def b_kms_gdk(g, rec, ctx):
    r = g.r
    key = kms_key_arn(g, ctx["region"])
    rec["requestParameters"] = {"keyId": r.choice((key, "alias/aws/s3", "alias/prod-data")), "keySpec": "AES_256",
                                "encryptionContext": {"aws:s3:arn": "arn:aws:s3:::%s" % r.choice(BUCKETS)}}
    ctx["readOnly"] = True
    return {"resources": [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key}]}


def b_kms_disable(g, rec, ctx):
    key = kms_key_arn(g, ctx["region"])
    rec["requestParameters"] = {"keyId": key}
    return {"resources": [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key}]}


def b_kms_schedule(g, rec, ctx):
    key = kms_key_arn(g, ctx["region"])
    rec["requestParameters"] = {"keyId": key, "pendingWindowInDays": 7}
    rec["responseElements"] = {"keyId": key, "deletionDate": fmt_legacy(ctx["t"] + dt.timedelta(days=7)),
                               "keyState": "PendingDeletion", "pendingWindowInDays": 7}
    return {"resources": [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key}]}


def b_kms_rotate(g, rec, ctx):
    # A service event: no caller, CloudTrail writes only the account and the service.
    key = kms_key_arn(g, ctx["region"])
    rec["userIdentity"] = {"accountId": ACCOUNT, "invokedBy": "kms.amazonaws.com"}
    ctx.update(eventType="AwsServiceEvent", error=False)
    return {"additionalEventData": {"keyId": key}, "serviceEventDetails": {"keyId": key},
            "resources": [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key}]}


def b_stop_logging(g, rec, ctx):
    rec["requestParameters"] = {"name": "arn:aws:cloudtrail:%s:%s:trail/management-events" % (ctx["region"], ACCOUNT)}


def b_lookup_events(g, rec, ctx):
    r = g.r
    t = ctx["t"]
    rec["requestParameters"] = {"lookupAttributes": [{"attributeKey": "EventName",
                                                      "attributeValue": r.choice(("ConsoleLogin", "StopLogging", "RunInstances"))}],
                                "maxResults": 50, "startTime": fmt_legacy(t - dt.timedelta(days=1)), "endTime": fmt_legacy(t)}
    ctx["readOnly"] = True


def b_console_login(g, rec, ctx):
    r = g.r
    region = "us-east-1"
    rec["awsRegion"] = region
    ctx["region"] = region
    ctx.update(eventType="AwsConsoleSignIn", console=False, error=False, host="signin.aws.amazon.com")
    x = r.random()
    success = x < 0.85
    if x < 0.55:
        ctx["kind"] = "IAMUser"
    elif x < 0.6:
        ctx["kind"] = "Root"
    elif x < 0.85:
        ctx["kind"] = "AssumedRole"
    else:
        ctx["kind"] = r.choice(("IAMUser", "Unknown", "Unknown", "Root"))
    rec["userIdentity"] = g.identity(ctx["kind"], ctx["t"])
    rec["userIdentity"].pop("invokedBy", None)
    rec["userIdentity"].pop("sessionContext", None)
    if ctx["kind"] == "IAMUser":
        rec["userIdentity"].pop("accessKeyId", None)
    rec["sourceIPAddress"] = g.ip()
    rec["userAgent"] = r.choice(USER_AGENTS[10:13])
    mfa = "Yes" if r.random() < 0.7 else "No"
    rec["responseElements"] = {"ConsoleLogin": "Success" if success else "Failure"}
    extra = {"additionalEventData": {
        "LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%%23&isauthcode=true&nc2=h_ct&region=%s&src=header-signin&state=hashArgsFromTB_%s_%s" % (region, region, g.ident(16, "0123456789abcdef")),
        "MobileVersion": "No", "MFAUsed": mfa}}
    if mfa == "Yes":
        extra["additionalEventData"]["MFAIdentifier"] = "arn:aws:iam::%s:mfa/%s" % (
            ACCOUNT, rec["userIdentity"].get("userName", "root-account-mfa-device"))
    if not success:
        extra["errorMessage"] = "Failed authentication"
    return extra


def b_credential_verification(g, rec, ctx):
    # Root sign-in steps are service events: the CIS root-usage filter excludes them.
    rec["awsRegion"] = "us-east-1"
    ctx.update(kind="Root", eventType="AwsServiceEvent", error=False, host="signin.aws.amazon.com")
    rec["userIdentity"] = {"type": "Root", "principalId": ACCOUNT, "arn": "arn:aws:iam::%s:root" % ACCOUNT,
                           "accountId": ACCOUNT}
    rec["sourceIPAddress"] = g.ip()
    rec["userAgent"] = g.r.choice(USER_AGENTS[10:13])
    return {"serviceEventDetails": {"CredentialType": "PASSWORD"},
            "additionalEventData": {"RequestType": "CredentialVerification"}}


def b_list_accounts(g, rec, ctx):
    rec["requestParameters"] = {"maxResults": 20} if g.r.random() < 0.3 else None
    rec["awsRegion"] = "us-east-1"
    ctx["readOnly"] = True


def b_leave_org(g, rec, ctx):
    rec["awsRegion"] = "us-east-1"


def b_stop_recorder(g, rec, ctx):
    rec["requestParameters"] = {"configurationRecorderName": "default"}


def b_describe_recorders(g, rec, ctx):
    rec["requestParameters"] = {"configurationRecorderNames": []} if g.r.random() < 0.5 else None
    ctx["readOnly"] = True


def b_lambda_invoke(g, rec, ctx):
    r = g.r
    fn = "arn:aws:lambda:%s:%s:function:%s" % (ctx["region"], ACCOUNT, r.choice(FUNCTIONS))
    rec["requestParameters"] = {"functionName": fn, "invocationType": r.choice(("RequestResponse", "Event")),
                                "sourceArn": "arn:aws:events:%s:%s:rule/nightly" % (ctx["region"], ACCOUNT)}
    ctx.update(data=True)
    if r.random() < 0.5:
        ctx["kind"] = "AWSService"
    return {"additionalEventData": {"functionVersion": fn + ":$LATEST"},
            "resources": [{"accountId": ACCOUNT, "type": "AWS::Lambda::Function", "ARN": fn}]}


def b_get_function(g, rec, ctx):
    rec["requestParameters"] = {"functionName": g.r.choice(FUNCTIONS)}
    ctx["readOnly"] = True


def b_ssm_get(g, rec, ctx):
    rec["requestParameters"] = {"name": g.r.choice(("/app/prod/db-password", "/app/prod/api-key",
                                                      "/ami/amazon-linux-latest", "/アプリ/設定/タイムアウト")),
                                "withDecryption": g.r.random() < 0.6}
    ctx["readOnly"] = True


def b_secret_get(g, rec, ctx):
    rec["requestParameters"] = {"secretId": "arn:aws:secretsmanager:%s:%s:secret:prod/db-AbCdEf" % (ctx["region"], ACCOUNT)}
    ctx["readOnly"] = True


def b_log_stream(g, rec, ctx):
    r = g.r
    fn = r.choice(FUNCTIONS)
    rec["requestParameters"] = {"logGroupName": "/aws/lambda/%s" % fn,
                                "logStreamName": "2026/11/25/[$LATEST]%032x" % r.getrandbits(128)}


def b_dynamo_get(g, rec, ctx):
    r = g.r
    table = r.choice(("orders", "sessions", "Bestellungen"))
    rec["requestParameters"] = {"tableName": table, "key": {"pk": "ORDER#%d" % r.randrange(10 ** 6),
                                                             "sk": "ITEM#%d" % r.randrange(100)},
                                "consistentRead": r.random() < 0.2, "projectionExpression": "#s, total, customer",
                                "expressionAttributeNames": {"#s": "status"}}
    ctx.update(data=True, readOnly=True)
    return {"resources": [{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table",
                           "ARN": "arn:aws:dynamodb:%s:%s:table/%s" % (ctx["region"], ACCOUNT, table)}]}


# (eventSource, eventName, builder), weight. The weights add up to ~1000: StartInstances is 3%, each
# security-relevant call (CIS rules) between 0.03% and 0.5%.
EVENTS = [
    (("s3.amazonaws.com", "GetObject", b_s3_get), 100),
    (("s3.amazonaws.com", "PutObject", b_s3_put), 45),
    (("s3.amazonaws.com", "HeadObject", b_s3_head), 20),
    (("s3.amazonaws.com", "ListObjects", b_s3_list), 15),
    (("s3.amazonaws.com", "GetBucketAcl", b_s3_get_acl), 10),
    (("s3.amazonaws.com", "PutBucketPolicy", b_s3_policy), 1.5),
    (("ec2.amazonaws.com", "DescribeInstances", b_describe_instances), 85),
    (("ec2.amazonaws.com", "DescribeSecurityGroups", b_describe_sgs), 25),
    (("ec2.amazonaws.com", "StartInstances", b_start_stop("pending")), 30),
    (("ec2.amazonaws.com", "StopInstances", b_start_stop("stopping")), 15),
    (("ec2.amazonaws.com", "RunInstances", b_run_instances), 4),
    (("ec2.amazonaws.com", "CreateTags", b_create_tags), 10),
    (("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", b_authorize_sg), 3),
    (("ec2.amazonaws.com", "CreateRoute", b_create_route), 1.5),
    (("ec2.amazonaws.com", "CreateVpc", b_create_vpc), 0.5),
    (("ec2.amazonaws.com", "CreateNetworkAclEntry", b_nacl_entry), 0.5),
    (("ec2.amazonaws.com", "AttachInternetGateway", b_attach_igw), 0.3),
    (("sts.amazonaws.com", "AssumeRole", b_assume_role), 75),
    (("sts.amazonaws.com", "AssumeRoleWithWebIdentity", b_assume_role_web), 8),
    (("sts.amazonaws.com", "GetCallerIdentity", b_readonly_null), 55),
    (("ecr.amazonaws.com", "GetAuthorizationToken", b_readonly_null), 35),
    (("ec2.amazonaws.com", "DescribeRegions", b_describe_regions), 20),
    (("kms.amazonaws.com", "Decrypt", b_kms_decrypt), 100),
    (("kms.amazonaws.com", "GenerateDataKey", b_kms_gdk), 55),
    (("kms.amazonaws.com", "RotateKey", b_kms_rotate), 0.5),
    (("kms.amazonaws.com", "DisableKey", b_kms_disable), 0.5),
    (("kms.amazonaws.com", "ScheduleKeyDeletion", b_kms_schedule), 0.3),
    (("iam.amazonaws.com", "GetRole", b_get_role), 15),
    (("iam.amazonaws.com", "ListRoles", b_list_roles), 8),
    (("iam.amazonaws.com", "CreateUser", b_create_user), 1),
    (("iam.amazonaws.com", "AttachRolePolicy", b_attach_role_policy), 2),
    (("iam.amazonaws.com", "PutUserPolicy", b_put_user_policy), 1.5),
    (("cloudtrail.amazonaws.com", "LookupEvents", b_lookup_events), 8),
    (("cloudtrail.amazonaws.com", "DescribeTrails", b_readonly_null), 5),
    (("cloudtrail.amazonaws.com", "StopLogging", b_stop_logging), 0.3),
    (("signin.amazonaws.com", "ConsoleLogin", b_console_login), 6),
    (("signin.amazonaws.com", "CredentialVerification", b_credential_verification), 0.5),
    (("organizations.amazonaws.com", "ListAccounts", b_list_accounts), 6),
    (("organizations.amazonaws.com", "LeaveOrganization", b_leave_org), 0.2),
    (("config.amazonaws.com", "DescribeConfigurationRecorders", b_describe_recorders), 5),
    (("config.amazonaws.com", "StopConfigurationRecorder", b_stop_recorder), 0.3),
    (("lambda.amazonaws.com", "Invoke", b_lambda_invoke), 40),
    (("lambda.amazonaws.com", "GetFunction20150331v2", b_get_function), 8),
    (("ssm.amazonaws.com", "GetParameter", b_ssm_get), 25),
    (("secretsmanager.amazonaws.com", "GetSecretValue", b_secret_get), 15),
    (("logs.amazonaws.com", "CreateLogStream", b_log_stream), 20),
    (("dynamodb.amazonaws.com", "GetItem", b_dynamo_get), 30),
]

IDENTITIES = [
    ("AssumedRole", 31), ("IAMUser", 9), ("AWSService", 50), ("Root", 0.8), ("FederatedUser", 1),
    ("SAMLUser", 1), ("WebIdentityUser", 1), ("IdentityCenterUser", 2), ("AWSAccount", 3), ("Unknown", 1),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="output file (.json.gz)")
    ap.add_argument("--records", type=int, default=220000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--start",
        help="UTC time of the file's hour (default 2026-11-25T09:00:00); `now` for an hour ago, so that "
        "CloudWatch accepts every datum (it refuses data older than 14 days)",
    )
    args = ap.parse_args()
    global BASE_TIME
    if args.start == "now":
        BASE_TIME = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).replace(
            tzinfo=None, minute=0, second=0, microsecond=0
        )
    elif args.start:
        BASE_TIME = dt.datetime.fromisoformat(args.start.rstrip("Z"))

    gen = Gen(args.seed)
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    raw = 0
    # GzipFile rather than gzip.open only to pin the header's mtime and name: same seed, same bytes.
    with open(args.out, "wb") as f, gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=f, mtime=0) as out:
        head = b'{"Records":['
        out.write(head)
        raw += len(head)
        chunk = []
        for i in range(args.records):
            text = dumps(gen.record())
            chunk.append("," + text if i else text)
            if len(chunk) == 512:
                data = "".join(chunk).encode("utf-8")
                out.write(data)
                raw += len(data)
                chunk = []
        data = ("".join(chunk) + "]}").encode("utf-8")
        out.write(data)
        raw += len(data)
    packed = os.path.getsize(args.out)
    print("%s: %d records, %d bytes uncompressed (%.1f MB, %.0f B/record), %d bytes compressed (%.1f MB, ratio %.1f)"
          % (args.out, args.records, raw, raw / 1e6, raw / max(args.records, 1), packed, packed / 1e6,
             raw / max(packed, 1)), file=sys.stderr)


if __name__ == "__main__":
    main()
