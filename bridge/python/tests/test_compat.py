"""The pyros 0.4 compatibility names (`pyros.PyrosClient`), raising instead of returning None."""

import unittest

import pyros
from pyros.compat import PyrosClient

import support


class CompatTest(unittest.TestCase):
    def setUp(self):
        self.client = PyrosClient(socket=support.socket_path(), timeout=5.0)
        self.addCleanup(self.client.close)

    def test_same_class_exported(self):
        self.assertIs(pyros.PyrosClient, PyrosClient)

    def test_topic_inject_and_extract(self):
        topic = support.unique()
        self.client.client.advertise(topic, "std_msgs/String")
        with self.assertRaises(pyros.NoData):
            self.client.topic_extract(topic)
        self.assertIs(self.client.topic_inject(topic, {"data": "one"}), True)
        self.assertEqual(self.client.topic_extract(topic), {"data": "one"})
        self.assertIs(self.client.topic_inject(topic, data="two"), True)
        self.assertEqual(self.client.topic_extract(topic), {"data": "two"})

    def test_not_exposed_raises(self):
        with self.assertRaises(pyros.NotAllowed):
            self.client.topic_inject("/secret/plan", data="x")
        with self.assertRaises(pyros.NotAllowed):
            self.client.topic_extract("/secret/plan")
        with self.assertRaises(pyros.NotAllowed):
            self.client.service_call("/secret/launch")
        with self.assertRaises(pyros.NotAllowed):
            self.client.param_get("/use_sim_time")

    def test_service_call(self):
        self.assertEqual(self.client.service_call("/add_two_ints", a=1, b=2), {"sum": 3})
        self.assertEqual(self.client.service_call("/echo", {"v": 1}), {"v": 1})
        with self.assertRaises(pyros.ServiceError):
            self.client.service_call("/fail")

    def test_params_keep_falsy_values(self):
        name = support.unique("/robot/c")
        for value in (0, False, ""):
            self.assertIs(self.client.param_set(name, value), True)
            self.assertEqual(self.client.param_get(name), value)
        self.client.param_set(name, speed=2)
        self.assertEqual(self.client.param_get(name), {"speed": 2})
        self.assertEqual(self.client.params()[name]["fullname"], name)

    def test_listings(self):
        topics = self.client.topics()
        self.assertEqual(topics["/chatter"]["rostype_name"], "std_msgs/String")
        self.assertNotIn("/secret/plan", topics)
        self.assertEqual(self.client.services()["/echo"]["rostype_name"], "pyros_test/Echo")
        self.assertIn("/robot/name", self.client.params())

    def test_setup_narrows(self):
        self.assertIs(
            self.client.setup(publishers=["/chatter"], subscribers=[], services=["/e.*"],
                              params=["/robot/.*"]),
            True,
        )
        self.assertEqual(list(self.client.services()), ["/echo"])
        self.assertEqual(set(self.client.topics()), {"/chatter"})
        with self.assertRaises(pyros.NotAllowed):
            self.client.service_call("/add_two_ints", a=1, b=2)
        with self.assertRaises(pyros.NotAllowed):
            self.client.topic_inject("/chatter", data="x")
        self.assertEqual(self.client.param_get("/robot/name"), "mock")


if __name__ == "__main__":
    unittest.main()
