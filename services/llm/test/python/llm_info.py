#!/usr/bin/env python3
"""A second, non-JS client of the LLMGenerator service.

Calls grpc.health.v1.Health/Check and pixellm.v1.LLMGenerator/Info with grpcio alone (no
generated stubs: the two request messages are encoded by hand and the replies parsed with a
minimal protobuf field reader) and prints what it got as one JSON object.

    /usr/bin/python3 services/llm/test/python/llm_info.py 127.0.0.1:7102
"""
import json
import os
import struct
import sys

import grpc

# The wire helpers the repository's Python client example uses (one implementation).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../../examples/client"))
from protowire import fields, length_delimited  # noqa: E402

HEALTH_STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}

# pixellm.v1.StageInfo and BatchStats (protos/pixellm/v1/stages.proto): field number -> name.
STAGE_INFO = {
    1: "stage", 2: "model", 3: "model_digest", 4: "dtype", 5: "execution_provider",
    6: "hidden_size", 7: "out_dim", 8: "max_batch_size", 9: "max_batch_delay_ms",
    10: "kv_budget_tokens", 11: "stats",
}
BATCH_STATS = {
    1: "batches", 2: "items", 3: "mean_batch_size", 4: "max_batch_size_seen",
    5: "prefill_batches", 6: "prefill_items", 7: "deadline_exceeded", 8: "cancelled",
    9: "rejected", 10: "failed", 11: "queued", 12: "running",
}
NESTED = {"stats": BATCH_STATS}


def decode(buf, names):
    out = {}
    for field, wire, value in fields(buf):
        name = names.get(field)
        if name is None:
            continue
        if name in NESTED:
            out[name] = decode(value, NESTED[name])
        elif wire == 0:
            out[name] = value - (1 << 64) if value >= 1 << 63 else value
        elif wire == 1:
            out[name] = struct.unpack("<d", value)[0]
        elif wire == 2:
            out[name] = value.decode("utf-8")
    return out


def main():
    target = sys.argv[1]
    raw = {"request_serializer": lambda b: b, "response_deserializer": lambda b: b}
    with grpc.insecure_channel(target) as channel:
        check = channel.unary_unary("/grpc.health.v1.Health/Check", **raw)
        health = {}
        for service in ["", "pixellm.v1.LLMGenerator", "liveness"]:
            reply = check(length_delimited(1, service.encode("utf-8")), timeout=10)
            status = dict((f, v) for f, _, v in fields(reply)).get(1, 0)
            health[service] = HEALTH_STATUS.get(status, "UNKNOWN")
        info = channel.unary_unary("/pixellm.v1.LLMGenerator/Info", **raw)(b"", timeout=10)
    print(json.dumps({"health": health, "info": decode(info, STAGE_INFO)}))


if __name__ == "__main__":
    main()
