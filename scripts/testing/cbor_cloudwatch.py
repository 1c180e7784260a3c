"""CloudWatch's Smithy RPC v2 CBOR protocol, translated for moto, which does not serve it (test code only).

aws-sdk-cloudwatch 1.100.0 and later send `POST /service/GraniteServiceVersion20100801/operation/<Op>`
with a CBOR body (`smithy-protocol: rpc-v2-cbor`). moto 5.2.5 serves CloudWatch in awsJson1_0, whose data
model is the same: this module turns such a request into its JSON form (`X-Amz-Target`), and moto's JSON
answer back into CBOR, with the output shape's types (doubles as floats, timestamps as tag 1).

The CBOR codec is botocore's own (the parser and the shape-driven serializer its CloudWatch client uses),
so nothing else needs installing; both are internal to botocore, pinned with moto in the test venv.
"""

import base64
import datetime
import gzip
import json
import re

import botocore.parsers
import botocore.serialize
import botocore.session

CBOR_PATH = re.compile(r"^(?:.*)/service/([^/]+)/operation/([^/?]+)$")
SERVICE = "GraniteServiceVersion20100801"
_MODEL = None


def model():
    global _MODEL
    if _MODEL is None:
        _MODEL = botocore.session.get_session().get_service_model("cloudwatch")
    return _MODEL


def operation_of(path, headers):
    """The CloudWatch operation a CBOR request calls, or None for any other request."""
    m = CBOR_PATH.match(path.split("?", 1)[0])
    if not m or not m.group(1).endswith(SERVICE):
        return None
    return m.group(2)


def _plain(value):
    """A decoded CBOR value as JSON: timestamps to epoch seconds, blobs to base64."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    return value


def request(operation, headers, body):
    """The JSON request moto serves for a CBOR one: (path, headers, body)."""
    encoding = next((v for k, v in headers.items() if k.lower() == "content-encoding"), "")
    if encoding.lower() == "gzip":
        body = gzip.decompress(body)
    value = {}
    if body:
        parser = botocore.parsers.BaseCBORParser()
        value = parser.parse_data_item(parser.get_peekable_stream_from_bytes(body))
    out = {
        k: v
        for k, v in headers.items()
        if k.lower() in ("authorization", "x-amz-date", "x-amz-security-token", "user-agent")
    }
    out["Content-Type"] = "application/x-amz-json-1.0"
    out["X-Amz-Target"] = "%s.%s" % (SERVICE, operation)
    return "/", out, json.dumps(_plain(value)).encode()


def _known(shape, value):
    """`value` without the members `shape` does not have (the serializer refuses them)."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: _known(shape.members[k], v) for k, v in value.items() if k in shape.members}
    if shape.type_name == "list" and isinstance(value, list):
        return [_known(shape.member, v) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _known(shape.value, v) for k, v in value.items()}
    return value


def encode(shape, value):
    buf = bytearray()
    botocore.serialize.RpcV2CBORSerializer()._serialize_data_item(buf, _known(shape, value), shape)
    return bytes(buf)


def error(status, code, message, sender=True):
    """A CBOR error answer: (status, headers, body). The SDK reads the code from `x-amzn-query-error`."""
    body = _error_body(code, message)
    return status, [
        ("Content-Type", "application/cbor"),
        ("smithy-protocol", "rpc-v2-cbor"),
        ("x-amzn-query-error", "%s;%s" % (code, "Sender" if sender else "Receiver")),
    ], body


def _error_body(code, message):
    # A map of two text strings, written by hand: no shape describes it.
    def text(s):
        b = s.encode()
        return _head(3, len(b)) + b

    return _head(5, 2) + text("__type") + text(code) + text("message") + text(message)


def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 256:
        return bytes([major << 5 | 24, n])
    if n < 65536:
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")
    return bytes([major << 5 | 26]) + n.to_bytes(4, "big")


def response(operation, status, headers, body):
    """moto's JSON answer as the CBOR one the SDK expects: (status, headers, body)."""
    passed = [(k, v) for k, v in headers if k.lower() in ("x-amzn-requestid",)]
    if status != 200:
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            doc = {}
        query = next((v for k, v in headers if k.lower() == "x-amzn-query-error"), None)
        code, _, fault = (query or "").partition(";")
        if not code:
            code = (doc.get("__type") or "InternalFailure").split("#")[-1]
        message = doc.get("message") or doc.get("Message") or ""
        st, hs, b = error(status, code, message, fault != "Receiver")
        return st, hs + passed, b
    output = model().operation_model(operation).output_shape
    if output is None:
        return 200, [("smithy-protocol", "rpc-v2-cbor")] + passed, b""
    return 200, [
        ("Content-Type", "application/cbor"),
        ("smithy-protocol", "rpc-v2-cbor"),
    ] + passed, encode(output, json.loads(body or b"{}"))
