"""Test oracle for bridge-rosmsg: genpy's md5sums, full definitions and wire bytes.

Run with /usr/bin/python3 (Debian's python3-*-msgs packages). Prints one JSON document:
{"msgs": {type: {"md5", "full"}}, "srvs": {type: {"md5", "request": {...}, "response": {...}}},
 "samples": [{"type", "kind": "msg", "bytes": base64, "json": value}]}
"""
import base64
import glob
import importlib
import io
import json
import os
import sys

import genpy

PACKAGES = sys.argv[1].split(",")


def to_json(value):
    if isinstance(value, genpy.Message):
        return {name: to_json(getattr(value, name)) for name in value.__slots__}
    if isinstance(value, (genpy.Time, genpy.Duration)):
        return {"secs": value.secs, "nsecs": value.nsecs}
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


def describe(cls):
    return {"md5": cls._md5sum, "full": cls._full_text, "type": cls._type}


msgs, srvs = {}, {}
for package in PACKAGES:
    for path in sorted(glob.glob("/usr/share/%s/msg/*.msg" % package)):
        name = os.path.basename(path)[:-4]
        cls = getattr(importlib.import_module(package + ".msg"), name)
        msgs["%s/%s" % (package, name)] = describe(cls)
    for path in sorted(glob.glob("/usr/share/%s/srv/*.srv" % package)):
        name = os.path.basename(path)[:-4]
        cls = getattr(importlib.import_module(package + ".srv"), name)
        srvs["%s/%s" % (package, name)] = {
            "md5": cls._md5sum,
            "request": describe(cls._request_class),
            "response": describe(cls._response_class),
        }

from geometry_msgs.msg import (Point, PoseWithCovarianceStamped, Quaternion, Twist,
                               Vector3)
from sensor_msgs.msg import Image, JointState, NavSatFix, NavSatStatus, PointCloud2, PointField
from std_msgs.msg import Header, String
from std_srvs.srv import SetBoolRequest, SetBoolResponse


def header(seq):
    return Header(seq=seq, stamp=genpy.Time(1700000000 + seq, 123456789), frame_id="frame_%d" % seq)


samples = []


def sample(type_name, msg):
    buf = io.BytesIO()
    msg.serialize(buf)
    data = buf.getvalue()
    back = type(msg)()
    back.deserialize(data)
    samples.append({"type": type_name, "bytes": base64.b64encode(data).decode(),
                    "json": to_json(back)})


sample("std_msgs/String", String(data="h\u00e9llo w\u00f6rld \u2603"))
sample("std_msgs/Header", header(7))
sample("geometry_msgs/Twist", Twist(linear=Vector3(1.5, -2.0, 0.1), angular=Vector3(0.0, 0.0, 0.25)))
pose = PoseWithCovarianceStamped()
pose.header = header(3)
pose.pose.pose.position = Point(1.0, 2.0, -3.25)
pose.pose.pose.orientation = Quaternion(0.0, 0.0, 0.7071067811865476, 0.7071067811865476)
pose.pose.covariance = [i * 0.5 - 3 for i in range(36)]
sample("geometry_msgs/PoseWithCovarianceStamped", pose)
sample("sensor_msgs/JointState", JointState(header=header(9), name=["shoulder", "elbow"],
                                            position=[1.0, -2.5], velocity=[], effort=[0.125]))
sample("sensor_msgs/Image", Image(header=header(1), height=2, width=3, encoding="rgb8",
                                  is_bigendian=1, step=9, data=bytes(range(250, 256)) + bytes(12)))
fix = NavSatFix(header=header(2), status=NavSatStatus(status=-1, service=NavSatStatus.SERVICE_GALILEO),
                latitude=48.8566, longitude=2.3522, altitude=35.5,
                position_covariance=[float(i) for i in range(9)],
                position_covariance_type=NavSatFix.COVARIANCE_TYPE_DIAGONAL_KNOWN)
sample("sensor_msgs/NavSatFix", fix)
cloud = PointCloud2(header=header(4), height=1, width=2,
                    fields=[PointField("x", 0, PointField.FLOAT32, 1),
                            PointField("y", 4, PointField.FLOAT32, 1),
                            PointField("rgb", 8, PointField.UINT32, 1)],
                    is_bigendian=False, point_step=12, row_step=24,
                    data=bytes(range(24)), is_dense=True)
sample("sensor_msgs/PointCloud2", cloud)
sample("std_srvs/SetBoolRequest", SetBoolRequest(data=True))
sample("std_srvs/SetBoolResponse", SetBoolResponse(success=True, message="switched on"))

json.dump({"msgs": msgs, "srvs": srvs, "samples": samples}, sys.stdout)
