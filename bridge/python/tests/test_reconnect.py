"""Reconnection: the bridge is restarted on the same socket; the client reconnects with
backoff and re-subscribes. These tests start their own bridge (`support.bridge_exe()`)."""

import os
import shutil
import tempfile
import threading
import time
import unittest

import pyros

import support


@unittest.skipIf(support.bridge_exe() is None, "no pyros-bridge binary (PYROS_BRIDGE_EXE)")
class ReconnectTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pyros-reconnect-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.bridge = support.Bridge(os.path.join(self.dir, "pyros.sock")).start()
        self.addCleanup(self.bridge.stop)

    def test_reconnect_and_resubscribe(self):
        client = pyros.Client(socket=self.bridge.socket, timeout=5.0)
        self.addCleanup(client.close)
        topic = "/py/reconnect"
        sub = client.subscribe(topic, type="std_msgs/String")
        client.publish(topic, {"data": "before"})
        self.assertEqual(sub.get(timeout=5).msg, {"data": "before"})
        session = client.session_id

        failures = []

        def slow_call():
            try:
                client.call("/slow", {"delay_ms": 5000})
            except pyros.Error as error:
                failures.append(error)

        caller = threading.Thread(target=slow_call)
        caller.start()
        time.sleep(0.2)
        self.bridge.stop()
        caller.join(10)
        self.assertEqual(len(failures), 1)
        self.assertIsInstance(failures[0], pyros.ConnectionLost)

        self.bridge.start()
        deadline = time.monotonic() + 10
        while client.session_id == session and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertNotEqual(client.session_id, session)
        message = None
        while message is None and time.monotonic() < deadline:
            client.publish(topic, {"data": "after"}, type="std_msgs/String")
            try:
                message = sub.get(timeout=0.2)
            except pyros.Timeout:
                pass
        self.assertIsNotNone(message, "the subscription was not restored")
        self.assertEqual(message.msg, {"data": "after"})
        self.assertEqual(message.seq, 1)

    def test_request_waits_for_bridge_with_backoff(self):
        client = pyros.Client(socket=self.bridge.socket, timeout=5.0)
        self.addCleanup(client.close)
        client.ping()
        self.bridge.stop()
        threading.Timer(0.5, self.bridge.start).start()
        self.assertEqual(client.call("/echo", {"k": 1}), {"k": 1})

    def test_unavailable_after_timeout(self):
        client = pyros.Client(socket=self.bridge.socket, timeout=0.3)
        self.addCleanup(client.close)
        client.ping()
        self.bridge.stop()
        time.sleep(0.1)
        with self.assertRaises(pyros.BridgeUnavailable):
            client.ping()


if __name__ == "__main__":
    unittest.main()
