"""Compatibility layer with the pyros 0.4 client names (`PyrosClient`).

The methods keep their 0.4 names and call shapes, but failures raise `pyros.Error`
subclasses instead of returning `None` (a name that is not exposed raises `NotAllowed`, a
topic without a message yet raises `NoData`), and `param_set` keeps falsy values (0, False,
""). `setup()` narrows what this client uses with anchored regexes, as 0.4 did; the bridge
profile (its allow list) remains the upper bound.
"""

import re

from . import errors
from .client import Client


def _compile(patterns):
    if patterns is None:
        return None
    return [re.compile(p) for p in patterns]


def _matches(compiled, name):
    return compiled is None or any(p.fullmatch(name) for p in compiled)


class PyrosClient:
    """pyros 0.4's `PyrosClient`, on top of `pyros.Client`.

    `node_name` is accepted for compatibility and ignored; `socket` (or `$PYROS_SOCKET`)
    selects the bridge.
    """

    def __init__(self, node_name=None, socket=None, client=None, **client_args):
        self.node_name = node_name
        self.client = client if client is not None else Client(socket=socket, **client_args)
        self._publishers = None
        self._subscribers = None
        self._services = None
        self._params = None

    def close(self):
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def setup(self, publishers=None, subscribers=None, services=None, params=None,
              topics=None):
        """Narrows the interface to names fully matching these regexes (before any `setup`
        call nothing is narrowed; after it, a list left out means nothing of that kind).
        pyros "publishers" are topics this client reads, "subscribers" topics it writes;
        `topics` is merged into both, as in 0.4."""
        if topics is not None:
            publishers = list(publishers or []) + list(topics)
            subscribers = list(subscribers or []) + list(topics)
        self._publishers = _compile(publishers or [])
        self._subscribers = _compile(subscribers or [])
        self._services = _compile(services or [])
        self._params = _compile(params or [])
        return True

    @staticmethod
    def _check(compiled, name, what):
        if not _matches(compiled, name):
            raise errors.NotAllowed("`{}` is not in this client's setup() {}".format(name, what))

    def topic_inject(self, name, _msg_content=None, **kwargs):
        """Publishes `_msg_content` (or the keyword fields) on topic `name`; returns True."""
        self._check(self._subscribers, name, "subscribers")
        msg = _msg_content if _msg_content is not None else kwargs
        self.client.publish(name, msg)
        return True

    def topic_extract(self, name):
        """The latest message (dict) on topic `name`; raises `NoData` when there is none."""
        self._check(self._publishers, name, "publishers")
        return self.client.get_latest(name).msg

    def service_call(self, name, _msg_content=None, **kwargs):
        """Calls service `name`; returns the response dict."""
        self._check(self._services, name, "services")
        args = _msg_content if _msg_content is not None else kwargs
        return self.client.call(name, args)

    def param_get(self, name):
        """The value of parameter `name`."""
        self._check(self._params, name, "params")
        return self.client.param_get(name)

    def param_set(self, name, _value=None, **kwargs):
        """Sets parameter `name` to `_value` (or the keyword fields as a dict); returns True."""
        self._check(self._params, name, "params")
        value = _value if _value is not None else (kwargs if kwargs else None)
        self.client.param_set(name, value)
        return True

    def topics(self):
        """Dict topic name → description (`name`, `fullname`, `rostype_name`, ...)."""
        result = {}
        for topic in self.client.topics():
            name = topic["name"]
            if not (_matches(self._publishers, name) or _matches(self._subscribers, name)):
                continue
            result[name] = {
                "name": name,
                "fullname": name,
                "rostype_name": topic.get("type"),
                "subscribe": topic.get("subscribe"),
                "publish": topic.get("publish"),
            }
        return result

    def services(self):
        """Dict service name → description (`name`, `fullname`, `rostype_name`)."""
        return {
            s["name"]: {"name": s["name"], "fullname": s["name"], "rostype_name": s.get("type")}
            for s in self.client.services()
            if _matches(self._services, s["name"])
        }

    def params(self):
        """Dict parameter name → description (`name`, `fullname`)."""
        return {
            n: {"name": n, "fullname": n}
            for n in self.client.params()
            if _matches(self._params, n)
        }
