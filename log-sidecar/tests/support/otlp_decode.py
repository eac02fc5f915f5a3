"""Decodes OTLP/HTTP log request bodies with the OpenTelemetry project's
own Python package (opentelemetry-proto, pinned by
scripts/install-test-deps.sh), for the sidecar's tests: the wire format is
checked by the official schema, never by a decoder of ours.

Reads requests on stdin, each a 4-byte big-endian length, a 1-byte flag
(1: the body is gzip, as sent with Content-Encoding: gzip) and the body;
answers each with one JSON line on stdout:
  {"resource": {attr: value}, "scope": {"name", "version"},
   "records": [{"body", "time_unix_nano", "observed_time_unix_nano",
                "severity_number", "severity_text", "attributes"}]}
or {"error": "..."} when the body is not a valid gzip member or request.
"""

import gzip
import json
import struct
import sys

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest


def value(any_value):
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind in ("array_value", "kvlist_value", "bytes_value"):
        return "<%s>" % kind
    return getattr(any_value, kind)


def attributes(key_values):
    return {kv.key: value(kv.value) for kv in key_values}


def decode(body, gzipped):
    if gzipped:
        body = gzip.decompress(body)
    request = ExportLogsServiceRequest()
    request.ParseFromString(body)
    if len(request.resource_logs) != 1 or len(request.resource_logs[0].scope_logs) != 1:
        raise ValueError("expected one ResourceLogs with one ScopeLogs, got %r" % request)
    resource_logs = request.resource_logs[0]
    scope_logs = resource_logs.scope_logs[0]
    return {
        "resource": attributes(resource_logs.resource.attributes),
        "scope": {"name": scope_logs.scope.name, "version": scope_logs.scope.version},
        "records": [
            {
                "body": value(r.body),
                "time_unix_nano": r.time_unix_nano,
                "observed_time_unix_nano": r.observed_time_unix_nano,
                "severity_number": r.severity_number,
                "severity_text": r.severity_text,
                "attributes": attributes(r.attributes),
            }
            for r in scope_logs.log_records
        ],
    }


def main():
    stdin = sys.stdin.buffer
    while True:
        header = stdin.read(5)
        if len(header) < 5:
            return
        length, gzipped = struct.unpack(">IB", header)
        body = stdin.read(length)
        try:
            answer = decode(body, gzipped == 1)
        except (DecodeError, ValueError, OSError, EOFError) as e:
            answer = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
