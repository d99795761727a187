#!/usr/bin/env python3
"""Exit 0 when a Kafka broker at HOST:PORT serves requests, 1 otherwise.

Standard library only, so scripts/services works before any virtualenv exists.
A broker binds its port before it can serve: a TCP connect alone proves little.
This sends ApiVersions v0 (which every broker keeps for bootstrapping clients),
then a Metadata request (a non-flexible version, 4..8, that the broker lists) and
requires at least one live broker in the answer.

usage: kafka_ready.py HOST PORT [TIMEOUT_SECONDS]   (one attempt; the caller loops)
"""
import socket
import struct
import sys

API_METADATA = 3
API_VERSIONS = 18


def _request(sock, api_key, api_version, correlation_id, body=b""):
    client_id = b"services-ready-check"
    header = struct.pack(">hhih", api_key, api_version, correlation_id, len(client_id)) + client_id
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    size = struct.unpack(">i", _read(sock, 4))[0]
    data = _read(sock, size)
    if struct.unpack(">i", data[:4])[0] != correlation_id:
        raise ValueError("correlation id mismatch")
    return data[4:]


def _read(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by broker")
        buf += chunk
    return buf


def check(host, port, timeout):
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        # ApiVersions v0 response: error_code int16, [api_key int16, min int16, max int16]
        resp = _request(sock, API_VERSIONS, 0, 1)
        error, count = struct.unpack(">hi", resp[:6])
        if error != 0:
            return False, f"ApiVersions error {error}"
        versions = {}
        for i in range(count):
            key, lo, hi = struct.unpack(">hhh", resp[6 + 6 * i:12 + 6 * i])
            versions[key] = (lo, hi)
        lo, hi = versions.get(API_METADATA, (None, None))
        usable = [v for v in range(4, 9) if lo is not None and lo <= v <= hi]
        if not usable:
            return True, "ApiVersions ok (no non-flexible Metadata version to probe)"
        version = max(usable)
        # Metadata v4..v8 request: topics (empty array = none), allow_auto_topic_creation,
        # and from v8 two include_*_authorized_operations flags.
        body = struct.pack(">ib", 0, 0) + (struct.pack(">bb", 0, 0) if version >= 8 else b"")
        resp = _request(sock, API_METADATA, version, 2, body)
        # response: throttle_time_ms int32, brokers [node_id, host, port, rack]
        brokers = struct.unpack(">i", resp[4:8])[0]
        if brokers < 1:
            return False, "Metadata lists no live broker yet"
        return True, f"Metadata v{version}: {brokers} broker(s)"


def main(argv):
    host = argv[1] if len(argv) > 1 else "127.0.0.1"
    port = int(argv[2]) if len(argv) > 2 else 9092
    timeout = float(argv[3]) if len(argv) > 3 else 3.0
    try:
        ok, detail = check(host, port, timeout)
    except (OSError, ValueError, struct.error) as exc:
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    print(detail)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
