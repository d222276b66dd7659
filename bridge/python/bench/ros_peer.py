"""The ROS side of `cargo xtask bench bridge`: rospy nodes to measure the bridge against.

Run with Debian's interpreter (`/usr/bin/python3`, where rospy imports). Each mode is one node:

  service NAME                 std_srvs/SetBool server (answers success=data, message="ok")
  flood TOPIC SECONDS          std_msgs/UInt64 as fast as rospy can, data = sequence number
  image TOPIC HZ SECONDS       640x480 rgb8 sensor_msgs/Image, header.stamp = wall clock at send
  ticker TOPIC HZ              std_msgs/String at HZ until killed
  call SERVICE N persistent|fresh
                               N direct rospy calls; prints {"latencies_s": [...]} on stdout
  image-sub TOPIC N            a direct rospy subscriber: prints {"latencies_s": [...]} for N images

Readiness: every publishing or serving mode prints "ready" on stdout once registered.
"""

import json
import sys
import time

import rospy
from sensor_msgs.msg import Image
from std_msgs.msg import String, UInt64
from std_srvs.srv import SetBool, SetBoolResponse

WIDTH, HEIGHT = 640, 480


def ready():
    print("ready", flush=True)


def wait_for_subscriber(pub, timeout=30.0):
    deadline = time.monotonic() + timeout
    while pub.get_num_connections() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)


def serve(name):
    rospy.Service(name, SetBool, lambda req: SetBoolResponse(success=req.data, message="ok"))
    ready()
    rospy.spin()


def flood(topic, seconds):
    pub = rospy.Publisher(topic, UInt64, queue_size=100000, tcp_nodelay=True)
    ready()
    wait_for_subscriber(pub)
    time.sleep(0.5)
    seq = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end and not rospy.is_shutdown():
        for _ in range(100):
            seq += 1
            pub.publish(UInt64(data=seq))
    print(json.dumps({"sent": seq}), flush=True)


def image(topic, hz, seconds):
    pub = rospy.Publisher(topic, Image, queue_size=4, tcp_nodelay=True)
    ready()
    wait_for_subscriber(pub)
    time.sleep(0.5)
    msg = Image(height=HEIGHT, width=WIDTH, encoding="rgb8", is_bigendian=0, step=WIDTH * 3)
    msg.data = bytes(range(256)) * (WIDTH * HEIGHT * 3 // 256)
    period = 1.0 / hz
    end = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < end and not rospy.is_shutdown():
        msg.header.seq = sent
        msg.header.stamp = rospy.Time.from_sec(time.time())
        pub.publish(msg)
        sent += 1
        time.sleep(period)
    print(json.dumps({"sent": sent}), flush=True)


def ticker(topic, hz):
    pub = rospy.Publisher(topic, String, queue_size=10, latch=True)
    ready()
    rate = rospy.Rate(hz)
    n = 0
    while not rospy.is_shutdown():
        n += 1
        pub.publish(String(data="tick %d" % n))
        rate.sleep()


def call(service, n, mode):
    rospy.wait_for_service(service, timeout=30)
    proxy = rospy.ServiceProxy(service, SetBool, persistent=(mode == "persistent"))
    for _ in range(20):
        proxy(True)
    latencies = []
    for _ in range(n):
        start = time.perf_counter()
        proxy(True)
        latencies.append(time.perf_counter() - start)
    print(json.dumps({"latencies_s": latencies}), flush=True)


def image_sub(topic, n):
    latencies = []

    def on_image(msg):
        if len(latencies) < n:
            latencies.append(time.time() - msg.header.stamp.to_sec())

    rospy.Subscriber(topic, Image, on_image, queue_size=4, tcp_nodelay=True)
    ready()
    while len(latencies) < n and not rospy.is_shutdown():
        time.sleep(0.01)
    print(json.dumps({"latencies_s": latencies}), flush=True)


def main(argv):
    mode = argv[1]
    rospy.init_node("bench_" + mode.replace("-", "_"), anonymous=True, disable_signals=False)
    if mode == "service":
        serve(argv[2])
    elif mode == "flood":
        flood(argv[2], float(argv[3]))
    elif mode == "image":
        image(argv[2], float(argv[3]), float(argv[4]))
    elif mode == "ticker":
        ticker(argv[2], float(argv[3]))
    elif mode == "call":
        call(argv[2], int(argv[3]), argv[4])
    elif mode == "image-sub":
        image_sub(argv[2], int(argv[3]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main(sys.argv)
