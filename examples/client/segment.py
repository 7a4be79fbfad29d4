#!/usr/bin/env python3
"""Segments an image through a running PixelLM gateway with grpcio alone (no generated stubs).

SegmentRequest {image = 1, query = 2} is encoded by hand and the SegmentResponse's text (2) and
targets (4: index 1, bbox 5, area 6) read with a minimal protobuf field reader
(protos/pixellm/v1/pixellm.proto). Prints one JSON object: {"text": ..., "targets": [...]}.

    python3 segment.py 127.0.0.1:7100 photo.png "Segment the cat."
    python3 segment.py gateway.example:443 photo.png "Segment the cat." --tls-ca ca.crt
    # mutual TLS, and a certificate whose name is not the address:
    python3 segment.py 10.0.0.7:7100 photo.png "Segment the cat." --tls-ca ca.crt \
        --tls-cert client.crt --tls-key client.key --tls-server-name pixellm-gateway

The API key, when the gateway needs one, comes from $PIXELLM_API_KEY.
"""
import argparse
import json
import os
import struct

import grpc

from protowire import fields, length_delimited


def packed_doubles(value):
    return list(struct.unpack(f"<{len(value) // 8}d", value))


def target(buf):
    out = {"index": 0, "bbox": [], "area": 0}
    for field, wire, value in fields(buf):
        if field == 1 and wire == 0:
            out["index"] = value
        elif field == 5 and wire == 2:  # repeated double bbox, packed
            out["bbox"] = packed_doubles(value)
        elif field == 6 and wire == 0:
            out["area"] = value
    return out


def channel(args):
    if not (args.tls or args.tls_ca or args.tls_cert or args.tls_server_name):
        return grpc.insecure_channel(args.address)
    read = lambda path: open(path, "rb").read() if path else None  # noqa: E731
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(args.tls_ca),
        private_key=read(args.tls_key),
        certificate_chain=read(args.tls_cert),
    )
    options = [("grpc.ssl_target_name_override", args.tls_server_name)] if args.tls_server_name else []
    return grpc.secure_channel(args.address, credentials, options)


def main():
    parser = argparse.ArgumentParser(description="Segment an image through a PixelLM gateway.")
    parser.add_argument("address")
    parser.add_argument("image")
    parser.add_argument("query")
    parser.add_argument("--tls", action="store_true", help="TLS with the system's CAs")
    parser.add_argument("--tls-ca", help="PEM CA bundle the gateway's certificate chains to")
    parser.add_argument("--tls-cert", help="PEM client certificate (with --tls-key)")
    parser.add_argument("--tls-key", help="PEM key of the client certificate")
    parser.add_argument("--tls-server-name", help="name the gateway's certificate carries")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds")
    args = parser.parse_args()

    with open(args.image, "rb") as f:
        request = length_delimited(1, f.read()) + length_delimited(2, args.query.encode("utf-8"))
    metadata = [("authorization", "Bearer " + os.environ["PIXELLM_API_KEY"])] if os.environ.get("PIXELLM_API_KEY") else []
    raw = {"request_serializer": lambda b: b, "response_deserializer": lambda b: b}
    with channel(args) as ch:
        reply = ch.unary_unary("/pixellm.v1.PixelLM/Segment", **raw)(request, timeout=args.timeout, metadata=metadata)
    text, targets = "", []
    for field, _, value in fields(reply):
        if field == 2:
            text = value.decode("utf-8")
        elif field == 4:
            targets.append(target(value))
    print(json.dumps({"text": text, "targets": targets}))


if __name__ == "__main__":
    main()
