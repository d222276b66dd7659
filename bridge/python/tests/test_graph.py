"""`Client.watch_graph`: graph events as an iterator or through a callback, filtered by the
profile, and restored after a reconnection."""

import os
import shutil
import tempfile
import threading
import time
import unittest

import pyros

import support


@unittest.skipIf(support.bridge_exe() is None, "no pyros-bridge binary (PYROS_BRIDGE_EXE)")
class WatchGraphTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.socket = support.socket_path()

    def setUp(self):
        self.client = pyros.Client(socket=self.socket, timeout=5.0)
        self.addCleanup(self.client.close)

    def next_change(self, watch, name):
        """The next event that mentions `name` (other tests may change the graph meanwhile)."""
        while True:
            event = watch.get(timeout=5)
            self.assertIsInstance(event, pyros.GraphEvent)
            if name in event.added or name in event.removed:
                return event

    def test_iterator_sees_names_appear_and_disappear(self):
        name = support.unique("/py/graph_param")
        topic = support.unique("/py/graph_topic")
        with self.client.watch_graph() as watch:
            self.client.param_set(name, 0)
            self.assertEqual(self.next_change(watch, name).added, [name])
            self.client.advertise(topic, "std_msgs/String")
            self.assertIn(topic, self.next_change(watch, topic).added)
            self.client.param_delete(name)
            event = self.next_change(watch, name)
            self.assertEqual((event.added, event.removed), ([], [name]))
        with self.assertRaises(pyros.ClientClosed):
            watch.get(timeout=1)

    def test_callback(self):
        name = support.unique("/py/graph_cb")
        seen = []
        done = threading.Event()

        def on_change(event):
            seen.append(event)
            if name in event.added:
                done.set()

        watch = self.client.watch_graph(on_change)
        self.client.param_set(name, "x")
        self.assertTrue(done.wait(5), "callback not called")
        watch.close()
        self.assertTrue(all(isinstance(e, pyros.GraphEvent) for e in seen))

    def test_hidden_names_are_filtered(self):
        # Two profiles of one bridge (`--config`): `writer` may write every `/py/` parameter,
        # `watcher` may only read `/py/seen*`, so it must not hear of `/py/hidden`.
        directory = tempfile.mkdtemp(prefix="pyros-graph-")
        self.addCleanup(shutil.rmtree, directory, True)
        writer = os.path.join(directory, "writer.sock")
        watcher = os.path.join(directory, "watcher.sock")
        config = os.path.join(directory, "bridge.toml")
        with open(config, "w") as f:
            f.write(
                'backend = "mock"\n'
                '[profiles.writer]\nsocket = "{}"\nallow.param_write = ["/py/*"]\n'
                '[profiles.watcher]\nsocket = "{}"\nallow.param_read = ["/py/seen*"]\n'
                .format(writer, watcher)
            )
        bridge = support.Bridge(watcher, args=["--config", config]).start()
        self.addCleanup(bridge.stop)
        with pyros.Client(socket=writer, timeout=5.0) as client, \
                pyros.Client(socket=watcher, timeout=5.0) as watching, \
                watching.watch_graph() as watch:
            client.param_set("/py/hidden", 1)
            client.param_set("/py/seen", 1)
            event = watch.get(timeout=5)
            self.assertEqual((event.added, event.removed), (["/py/seen"], []))
            client.param_delete("/py/hidden")
            client.param_delete("/py/seen")
            event = watch.get(timeout=5)
            self.assertEqual((event.added, event.removed), ([], ["/py/seen"]))
            self.assertEqual(watching.params(), [])

    def test_watch_survives_reconnect(self):
        directory = tempfile.mkdtemp(prefix="pyros-graph-")
        self.addCleanup(shutil.rmtree, directory, True)
        bridge = support.Bridge(os.path.join(directory, "pyros.sock")).start()
        self.addCleanup(bridge.stop)
        client = pyros.Client(socket=bridge.socket, timeout=5.0)
        self.addCleanup(client.close)
        watch = client.watch_graph()
        session = client.session_id
        bridge.stop()
        bridge.start()
        name = "/py/after_restart"
        event = None
        deadline = time.monotonic() + 10
        while event is None and time.monotonic() < deadline:
            if client.session_id == session:
                time.sleep(0.05)
                continue
            client.param_set(name, 1)
            event = self.next_change(watch, name)
        self.assertIsNotNone(event, "the graph watch was not restored")
        self.assertEqual(event.added, [name])


if __name__ == "__main__":
    unittest.main()
