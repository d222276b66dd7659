"""The client side of `cargo xtask bench bridge`: the pyros Python client, timed.

Runs with any Python 3.9+ (`bridge/python` on PYTHONPATH; no ROS needed). Each mode prints one
JSON object on stdout:

  call SERVICE N          N `call`s of a std_srvs/SetBool service: {"latencies_s": [...]}
  latest TOPIC N          N `get_latest` on a topic that already has a message: {"latencies_s": [...]}
  stream TOPIC SECONDS    subscribe and count for SECONDS after the first message:
                          {"received": n, "dropped": d, "seconds": s}
  image TOPIC N           subscribe to sensor_msgs/Image: {"latencies_s": [...]} (now - header.stamp)
  count TOPIC SECONDS     a raw connection that subscribes to TOPIC and counts `msg` frames
                          without decoding them (the bridge's fan-out, not Python's JSON speed):
                          {"received": n, "seconds": s}
  hold N SECONDS          open N connections (each says hello and pings), hold them SECONDS:
                          {"connections": n}
  stall TOPIC SECONDS     a raw connection that subscribes to TOPIC and then never reads, for
                          SECONDS: {"stalled": true}

The socket comes from $PYROS_SOCKET. "ready" is printed on stderr once subscribed.
"""

import json
import socket
import struct
import sys
import time

import pyros
from pyros import wire


def call(client, service, n):
    for _ in range(20):
        client.call(service, {"data": True})
    latencies = []
    for _ in range(n):
        start = time.perf_counter()
        client.call(service, {"data": True})
        latencies.append(time.perf_counter() - start)
    return {"latencies_s": latencies}


def latest(client, topic, n):
    client.get_latest(topic, wait=10)
    latencies = []
    for _ in range(n):
        start = time.perf_counter()
        client.get_latest(topic)
        latencies.append(time.perf_counter() - start)
    return {"latencies_s": latencies}


def stream(client, topic, seconds):
    sub = client.subscribe(topic, queue_length=10000)
    print("ready", file=sys.stderr, flush=True)
    received = dropped = 0
    first = sub.get(timeout=60)
    received, dropped = 1, first.dropped
    start = time.perf_counter()
    end = start + seconds
    while time.perf_counter() < end:
        try:
            message = sub.get(timeout=max(end - time.perf_counter(), 0.001))
        except pyros.Timeout:
            break
        received += 1
        dropped += message.dropped
    return {"received": received - 1, "dropped": dropped, "seconds": time.perf_counter() - start}


def image(client, topic, n):
    sub = client.subscribe(topic, queue_length=4)
    print("ready", file=sys.stderr, flush=True)
    latencies = []
    while len(latencies) < n:
        message = sub.get(timeout=60)
        now = time.time()
        stamp = message.msg["header"]["stamp"]
        latencies.append(now - (stamp["secs"] + stamp["nsecs"] * 1e-9))
        data = message.msg["data"]
        if len(data) != 640 * 480 * 3:
            raise SystemExit("image data has %d bytes" % len(data))
    return {"latencies_s": latencies}


def hold(n, seconds):
    clients = [pyros.Client(timeout=30, reconnect=False) for _ in range(n)]
    for client in clients:
        client.ping()
    print("ready", file=sys.stderr, flush=True)
    time.sleep(seconds)
    for client in clients:
        client.ping()
        client.close()
    return {"connections": len(clients)}


def stall(topic, seconds):
    raw = _raw_subscriber(topic, 1000)
    print("ready", file=sys.stderr, flush=True)
    time.sleep(seconds)
    raw.close()
    return {"stalled": True}


def _raw_subscriber(topic, queue_length):
    raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    raw.connect(pyros.client.default_socket())
    raw.sendall(wire.encode({"id": 1, "op": "hello", "protocol": wire.PROTOCOL,
                             "client": "bench-raw", "capabilities": ["binary"]}))
    raw.sendall(wire.encode({"id": 2, "op": "subscribe", "topic": topic, "sub_id": 1,
                             "queue_length": queue_length}))
    return raw


def count(topic, seconds):
    """Counts frames after the subscribe reply; every later frame is a `msg` event."""
    raw = _raw_subscriber(topic, 10000)
    buf = bytearray()
    frames = 0
    print("ready", file=sys.stderr, flush=True)
    start = end = None
    while True:
        chunk = raw.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
        pos = 0
        while len(buf) - pos >= 4:
            (size,) = struct.unpack_from(">I", buf, pos)
            if len(buf) - pos - 4 < size:
                break
            pos += 4 + size
            frames += 1
            if frames == 3:  # hello reply, subscribe reply, first message
                start = time.perf_counter()
                end = start + seconds
                first = frames
        del buf[:pos]
        if end is not None and time.perf_counter() >= end:
            break
    raw.close()
    elapsed = time.perf_counter() - start if start else 0.0
    return {"received": frames - first if start else 0, "seconds": elapsed}


def main(argv):
    mode = argv[1]
    if mode == "count":
        print(json.dumps(count(argv[2], float(argv[3]))), flush=True)
        return
    if mode == "hold":
        print(json.dumps(hold(int(argv[2]), float(argv[3]))), flush=True)
        return
    if mode == "stall":
        print(json.dumps(stall(argv[2], float(argv[3]))), flush=True)
        return
    name = argv[2]
    with pyros.Client(timeout=30) as client:
        if mode == "call":
            result = call(client, name, int(argv[3]))
        elif mode == "latest":
            result = latest(client, name, int(argv[3]))
        elif mode == "stream":
            result = stream(client, name, float(argv[3]))
        elif mode == "image":
            result = image(client, name, int(argv[3]))
        else:
            raise SystemExit("unknown mode " + mode)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv)
