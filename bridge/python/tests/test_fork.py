"""Fork safety: a child process uses its own connection; the parent's keeps working."""

import os
import unittest

import pyros

import support


class ForkTest(unittest.TestCase):
    def test_child_uses_own_connection_and_parent_still_works(self):
        client = pyros.Client(socket=support.socket_path(), timeout=5.0)
        self.addCleanup(client.close)
        topic = support.unique()
        client.advertise(topic, "std_msgs/String")
        sub = client.subscribe(topic)
        parent_conn = client._conn
        self.assertEqual(client.call("/echo", {"who": "parent"}), {"who": "parent"})

        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                self.assertEqual(client.call("/echo", {"who": "child"}), {"who": "child"})
                self.assertIsNot(client._conn, parent_conn)
                self.assertEqual(client._conn.pid, os.getpid())
                client.param_get("/robot/name")
                client.publish(topic, {"data": "from child"})
                message = sub.get(timeout=5)
                self.assertEqual(message.msg, {"data": "from child"})
                client.close()
                status = 0
            finally:
                os._exit(status)
        _, status = os.waitpid(pid, 0)
        self.assertTrue(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status)

        self.assertIs(client._conn, parent_conn)
        self.assertTrue(parent_conn.alive)
        self.assertEqual(client.call("/echo", {"who": "parent"}), {"who": "parent"})
        self.assertEqual(sub.get(timeout=5).msg, {"data": "from child"})
        client.publish(topic, {"data": "from parent"})
        self.assertEqual(sub.get(timeout=5).msg, {"data": "from parent"})

    def test_many_children(self):
        client = pyros.Client(socket=support.socket_path(), timeout=5.0)
        self.addCleanup(client.close)
        client.ping()
        pids = []
        for i in range(4):
            pid = os.fork()
            if pid == 0:
                ok = False
                try:
                    ok = client.call("/add_two_ints", {"a": i, "b": 1}) == {"sum": i + 1}
                finally:
                    os._exit(0 if ok else 1)
            pids.append(pid)
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            self.assertEqual(os.WEXITSTATUS(status), 0)
        client.ping()


if __name__ == "__main__":
    unittest.main()
