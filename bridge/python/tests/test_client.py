"""Tests of `pyros.Client` against a mock bridge (see `support.py`)."""

import os
import threading
import time
import unittest

import pyros
from pyros import errors, wire

import support


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.socket = support.socket_path()

    def setUp(self):
        self.client = pyros.Client(socket=self.socket, timeout=5.0)

    def tearDown(self):
        self.client.close()

    def test_ping_and_session(self):
        self.assertIn("secs", self.client.ping())
        self.assertTrue(self.client.session_id)

    def test_socket_defaults(self):
        self.assertEqual(pyros.default_socket(), os.environ["PYROS_SOCKET"])
        self.assertEqual(pyros.default_socket(profile="web"), "/run/pyros/web.sock")
        with pyros.Client() as client:
            self.assertEqual(client.socket, self.socket)
            client.ping()

    def test_publish_then_subscribe_with_sequence_numbers(self):
        topic = support.unique()
        self.client.advertise(topic, "std_msgs/String")
        sub = self.client.subscribe(topic)
        self.assertEqual(sub.queue_length, 32)
        seqs = [self.client.publish(topic, {"data": "m%d" % i}, ack=True) for i in range(3)]
        self.assertEqual(seqs, [1, 2, 3])
        got = [sub.get(timeout=5) for _ in range(3)]
        self.assertEqual([m.seq for m in got], [1, 2, 3])
        self.assertEqual([m.dropped for m in got], [0, 0, 0])
        self.assertEqual([m.msg["data"] for m in got], ["m0", "m1", "m2"])
        self.assertEqual(got[0]["data"], "m0")
        self.assertEqual(got[0].topic, topic)
        self.assertIn("secs", got[0].stamp)
        sub.close()
        with self.assertRaises(pyros.ClientClosed):
            sub.get(timeout=1)

    def test_publish_with_keyword_fields_and_type(self):
        topic = support.unique()
        sub = self.client.subscribe(topic)
        self.assertIsNone(self.client.publish(topic, type="std_msgs/String", data="kw"))
        self.assertEqual(sub.get(timeout=5).msg, {"data": "kw"})

    def test_publish_unknown_topic_without_type(self):
        with self.assertRaises(pyros.NotFound):
            self.client.publish(support.unique(), {"data": "x"})

    def test_type_mismatch(self):
        with self.assertRaises(pyros.TypeMismatch):
            self.client.publish("/chatter", {"data": 1}, type="std_msgs/Int32")

    def test_subscribe_iterator_and_dropped(self):
        topic = support.unique()
        sub = self.client.subscribe(topic, type="std_msgs/Int32", queue_length=1,
                                    policy="drop_oldest", throttle=0.3)
        for i in range(5):
            self.client.publish(topic, {"data": i})
        received = []
        for message in sub:
            received.append(message)
            if message.msg["data"] == 4:
                break
        sub.close()
        self.assertEqual(received[-1].seq, 5)
        for previous, current in zip([None] + received, received):
            before = previous.seq if previous else 0
            self.assertEqual(current.seq - before - 1, current.dropped)

    def test_subscribe_with_callback(self):
        topic = support.unique()
        seen = []
        done = threading.Event()

        def on_message(message):
            seen.append(message)
            self.client.ping()
            if len(seen) == 2:
                done.set()

        with self.client.subscribe(topic, on_message, type="std_msgs/String"):
            self.client.publish(topic, {"data": "a"})
            self.client.publish(topic, {"data": "b"})
            self.assertTrue(done.wait(5))
        self.assertEqual([m.msg["data"] for m in seen], ["a", "b"])
        self.assertEqual([m.seq for m in seen], [1, 2])

    def test_get_latest_with_data(self):
        topic = support.unique()
        seq = self.client.publish(topic, {"data": "latest"}, type="std_msgs/String", ack=True)
        message = self.client.get_latest(topic)
        self.assertEqual(message.msg, {"data": "latest"})
        self.assertEqual(message.seq, seq)
        self.assertEqual(self.client.get_latest(topic, max_age=60).seq, seq)

    def test_get_latest_waits_for_a_new_message(self):
        topic = support.unique()
        seq = self.client.publish(topic, {"data": "old"}, type="std_msgs/String", ack=True)
        timer = threading.Timer(0.2, self.client.publish, (topic, {"data": "new"}))
        timer.start()
        try:
            message = self.client.get_latest(topic, wait=5, after_seq=seq)
        finally:
            timer.join()
        self.assertEqual(message.msg, {"data": "new"})
        self.assertEqual(message.seq, seq + 1)

    def test_get_latest_without_data(self):
        topic = support.unique()
        self.client.advertise(topic, "std_msgs/String")
        with self.assertRaises(pyros.NoData) as caught:
            self.client.get_latest(topic)
        self.assertIsInstance(caught.exception, pyros.Timeout)
        self.assertEqual(caught.exception.code, "no_data")
        started = time.monotonic()
        with self.assertRaises(pyros.Timeout) as caught:
            self.client.get_latest(topic, wait=0.3)
        self.assertGreaterEqual(time.monotonic() - started, 0.25)
        self.assertEqual(caught.exception.code, "timeout")
        with self.assertRaises(pyros.NotFound):
            self.client.get_latest(support.unique())

    def test_call(self):
        self.assertEqual(self.client.call("/echo", {"x": [1, 2]}), {"x": [1, 2]})
        self.assertEqual(self.client.call("/add_two_ints", a=2, b=40), {"sum": 42})
        with self.assertRaises(pyros.ServiceError) as caught:
            self.client.call("/fail")
        self.assertEqual(caught.exception.code, "service_error")
        with self.assertRaises(pyros.TypeMismatch):
            self.client.call("/add_two_ints", {"a": "x", "b": 1})

    def test_call_timeout_on_slow(self):
        started = time.monotonic()
        with self.assertRaises(pyros.Timeout) as caught:
            self.client.call("/slow", {"delay_ms": 3000}, timeout=0.3)
        self.assertLess(time.monotonic() - started, 2.5)
        self.assertEqual(caught.exception.code, "timeout")
        self.assertEqual(self.client.call("/slow", {"delay_ms": 50}, timeout=5), {"slept_ms": 50})

    def test_slow_call_does_not_block_other_threads(self):
        result = {}
        thread = threading.Thread(
            target=lambda: result.update(self.client.call("/slow", {"delay_ms": 800}))
        )
        thread.start()
        time.sleep(0.1)
        started = time.monotonic()
        self.client.ping()
        self.assertLess(time.monotonic() - started, 0.5)
        thread.join()
        self.assertEqual(result, {"slept_ms": 800})

    def test_not_allowed(self):
        cases = [
            lambda: self.client.publish("/secret/plan", {"data": "x"}),
            lambda: self.client.subscribe("/secret/plan"),
            lambda: self.client.get_latest("/secret/plan"),
            lambda: self.client.call("/secret/launch"),
            lambda: self.client.param_get("/use_sim_time"),
            lambda: self.client.param_set("/use_sim_time", True),
        ]
        for case in cases:
            with self.assertRaises(pyros.NotAllowed) as caught:
                case()
            self.assertEqual(caught.exception.code, "not_allowed")
            self.assertIsInstance(caught.exception, pyros.Error)

    def test_params(self):
        self.assertEqual(self.client.param_get("/robot/name"), "mock")
        name = support.unique("/robot/p")
        for value in (0, False, "", [1, {"a": None}], 2.5):
            self.client.param_set(name, value)
            self.assertEqual(self.client.param_get(name), value)
        self.assertIn(name, self.client.params())
        self.client.param_delete(name)
        with self.assertRaises(pyros.NotFound):
            self.client.param_get(name)
        self.assertNotIn("/use_sim_time", self.client.params())

    def test_listing(self):
        topics = {t["name"]: t for t in self.client.topics()}
        self.assertEqual(topics["/chatter"]["type"], "std_msgs/String")
        self.assertTrue(topics["/chatter"]["subscribe"])
        self.assertNotIn("/secret/plan", topics)
        services = {s["name"]: s["type"] for s in self.client.services()}
        self.assertEqual(services["/add_two_ints"], "rospy_tutorials/AddTwoInts")
        self.assertNotIn("/secret/launch", services)
        self.assertEqual([s["name"] for s in self.client.services(filter="/e*")], ["/echo"])
        self.assertIn("/robot/name", self.client.params())

    def test_describe(self):
        described = self.client.describe("std_msgs/String")
        self.assertEqual(described["type"], "std_msgs/String")
        self.assertIn("string data", described["definition"])
        self.assertIn({"name": "data", "type": "string"}, described["fields"])
        with self.assertRaises(pyros.NotFound):
            self.client.describe("no_such/Type")

    def test_binary_attachments(self):
        topic = support.unique()
        sub = self.client.subscribe(topic)
        blob = bytes(range(256)) * 10
        self.client.publish(topic, {"height": 1, "data": blob}, type="sensor_msgs/Image")
        message = sub.get(timeout=5)
        self.assertEqual(message.msg["data"], blob)
        self.assertEqual(self.client.get_latest(topic).msg["data"], blob)

    def test_invalid_name(self):
        with self.assertRaises(pyros.InvalidRequest):
            self.client.param_get("no-leading-slash")

    def test_bridge_unavailable(self):
        client = pyros.Client(socket="/nonexistent/pyros.sock", timeout=0.2)
        with self.assertRaises(pyros.BridgeUnavailable) as caught:
            client.ping()
        self.assertEqual(caught.exception.code, "bridge_unavailable")

    def test_closed_client(self):
        self.client.close()
        with self.assertRaises(pyros.ClientClosed):
            self.client.ping()


class WireTest(unittest.TestCase):
    def test_ping_frame_matches_protocol_example(self):
        frame = wire.encode({"id": 2, "op": "ping"})
        self.assertEqual(frame[:8].hex(), "0000001800000014")
        self.assertEqual(frame[8:], b'{"id":2,"op":"ping"}')

    def test_attachments_round_trip(self):
        frame = wire.encode({"msg": {"data": b"foo", "list": [b"", 1]}})
        self.assertEqual(wire.decode_body(frame[4:]), {"msg": {"data": b"foo", "list": [b"", 1]}})

    def test_bad_bodies(self):
        for body in (b"", b"\x00\x00\x00\x09{}", b"\x00\x00\x00\x02[]", b"\x00\x00\x00\x02{}\x00"):
            with self.assertRaises(wire.FrameError):
                wire.decode_body(body)

    def test_unknown_error_code(self):
        error = errors.from_reply({"code": "brand_new", "message": "m"})
        self.assertIs(type(error), pyros.Error)
        self.assertEqual(error.code, "brand_new")
        self.assertIsInstance(errors.from_reply({"code": "ros_unavailable"}), pyros.RosUnavailable)


if __name__ == "__main__":
    unittest.main()
