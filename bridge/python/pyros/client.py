"""The pyros client: one connection to a `pyros-bridge` socket, shared by every thread.

Requests are multiplexed on the connection; a background reader thread routes replies to
their waiting callers and `msg` events to subscriptions. The client is safe across `fork()`:
a child process notices the pid change and opens its own connection (re-subscribing its copy
of the subscriptions); the parent's connection is never touched by the child. When the
connection drops, in-flight requests fail with `ConnectionLost`, and the client reconnects
with exponential backoff and re-subscribes.
"""

import itertools
import os
import queue
import socket as _socket
import threading
import time
import weakref

from . import errors, wire

DEFAULT_SOCKET_DIR = "/run/pyros"
DEFAULT_PROFILE = "default"

_CLIENTS = weakref.WeakSet()


def _after_fork_in_child():
    for client in list(_CLIENTS):
        client._check_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def default_socket(profile=None):
    """`$PYROS_SOCKET` if set (and no profile is asked for), else the system bridge's socket."""
    if profile is None:
        env = os.environ.get("PYROS_SOCKET")
        if env:
            return env
        profile = DEFAULT_PROFILE
    return os.path.join(DEFAULT_SOCKET_DIR, profile + ".sock")


class Message:
    """A message received from the bridge: `msg` (dict), `topic`, `seq`, `dropped`, `stamp`.

    For subscriptions, `seq` is the per-subscription sequence number and `dropped` the number
    of messages lost since the previous one; for `get_latest`, `seq` is the topic's.
    """

    __slots__ = ("topic", "msg", "seq", "dropped", "stamp")

    def __init__(self, topic, msg, seq, dropped=0, stamp=None):
        self.topic = topic
        self.msg = msg
        self.seq = seq
        self.dropped = dropped
        self.stamp = stamp

    def __getitem__(self, key):
        return self.msg[key]

    def __repr__(self):
        return "Message(topic={!r}, seq={}, dropped={}, msg={!r})".format(
            self.topic, self.seq, self.dropped, self.msg
        )


class GraphEvent:
    """Names (topics, services, parameters) exposed by the profile that appeared (`added`)
    or disappeared (`removed`), from `Client.watch_graph`."""

    __slots__ = ("added", "removed")

    def __init__(self, added, removed):
        self.added = added
        self.removed = removed

    def __repr__(self):
        return "GraphEvent(added={!r}, removed={!r})".format(self.added, self.removed)


_CLOSED = object()


class _Feed:
    """Items pushed by the reader thread: iterate (or call `get`), or give a callback that a
    thread of its own calls for each item (so it may use the client). `close()` (or leaving a
    `with` block) ends it."""

    _what = "item"
    _name = "feed"

    def __init__(self, client, callback=None):
        self._client = client
        self._queue = queue.SimpleQueue()
        self.closed = False
        self._callback = callback
        self._thread = None

    def _start_callback(self):
        if self._callback is not None and not self.closed:
            self._thread = threading.Thread(
                target=self._run_callback, daemon=True, name="pyros-callback"
            )
            self._thread.start()

    def _after_fork(self):
        self._queue = queue.SimpleQueue()
        self._start_callback()

    def _run_callback(self):
        for message in self:
            self._callback(message)

    def _deliver(self, item):
        self._queue.put(item)

    def get(self, timeout=None):
        """The next item; raises `Timeout` after `timeout` seconds, `ClientClosed` once
        closed, or the error that ended it (e.g. a failed re-subscription)."""
        self._client._check_fork()
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise errors.Timeout("no {} within {} s".format(self._what, timeout)) from None
        if item is _CLOSED:
            self._queue.put(_CLOSED)
            raise errors.ClientClosed("{} is closed".format(self._name))
        if isinstance(item, errors.Error):
            self._queue.put(_CLOSED)
            raise item
        return item

    def __iter__(self):
        while True:
            try:
                yield self.get()
            except errors.ClientClosed:
                return

    def close(self):
        """Ends the feed on the bridge (best effort) and ends iteration."""
        if self.closed:
            return
        self.closed = True
        self._end()
        self._queue.put(_CLOSED)

    def _end(self):
        raise NotImplementedError

    def _fail(self, error):
        self.closed = True
        self._queue.put(error)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Subscription(_Feed):
    """A subscription: iterate over it (or call `get`) to receive `Message`s.

    With a callback, a thread of its own calls it for each message (so the callback may use
    the client). `close()` (or leaving a `with` block) unsubscribes.
    """

    def __init__(self, client, sub_id, request, callback=None):
        super().__init__(client, callback)
        self.sub_id = sub_id
        self.topic = request["topic"]
        self._request = request
        self.queue_length = None
        self._what = "message on `{}`".format(self.topic)
        self._name = "subscription to `{}`".format(self.topic)

    def _end(self):
        self._client._unsubscribe(self)


class GraphWatch(_Feed):
    """Graph changes from `Client.watch_graph`: iterate over it (or call `get`) to receive
    `GraphEvent`s, or give a callback. `close()` stops watching."""

    _what = "graph change"
    _name = "graph watch"

    def __init__(self, client, watch_id, callback=None):
        super().__init__(client, callback)
        self.watch_id = watch_id

    def _end(self):
        self._client._unwatch(self)


class _Pending:
    __slots__ = ("event", "result", "error")

    def __init__(self):
        self.event = threading.Event()
        self.result = None
        self.error = None


class _Connection:
    """One socket to the bridge, owned by the process that opened it."""

    def __init__(self, client, path, timeout):
        self.pid = os.getpid()
        self.client = client
        self.sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            self.sock.settimeout(timeout)
            self.sock.connect(path)
            self.sock.settimeout(None)
        except BaseException:
            self.sock.close()
            raise
        self.reader = wire.SocketReader(self.sock)
        self.send_lock = threading.Lock()
        self.pending_lock = threading.Lock()
        self.pending = {}
        self.ids = itertools.count(1)
        self.alive = True
        self.max_frame = wire.DEFAULT_MAX_FRAME
        self.hello = None
        self.thread = threading.Thread(target=self._read_loop, daemon=True, name="pyros-reader")
        self.thread.start()

    def _read_loop(self):
        error = errors.ConnectionLost("the bridge closed the connection")
        try:
            while True:
                header = wire.read_frame(self.reader, self.max_frame)
                if header is None:
                    break
                self._dispatch(header)
        except (OSError, ValueError, wire.FrameError) as exc:
            error = errors.ConnectionLost("connection to the bridge lost: {}".format(exc))
        self._fail_all(error)
        try:
            self.sock.close()
        except OSError:
            pass
        self.client._connection_lost(self)

    def _dispatch(self, header):
        if "event" in header and "ok" not in header:
            kind = header.get("event")
            if kind == "msg":
                self.client._on_msg(header)
            elif kind == "graph":
                self.client._on_graph(header)
            return
        request_id = header.get("id")
        with self.pending_lock:
            slot = self.pending.pop(request_id, None)
        if slot is None:
            return
        if header.get("ok"):
            slot.result = header.get("result", {})
        else:
            slot.error = errors.from_reply(header.get("error"))
        slot.event.set()

    def _fail_all(self, error):
        with self.pending_lock:
            self.alive = False
            slots = list(self.pending.values())
            self.pending.clear()
        for slot in slots:
            slot.error = error
            slot.event.set()

    def request(self, op, fields, timeout):
        """Sends one request and waits up to `timeout` seconds for its reply."""
        request_id = next(self.ids)
        header = {"id": request_id, "op": op}
        header.update(fields)
        frame = wire.encode(header)
        slot = _Pending()
        with self.pending_lock:
            if not self.alive:
                raise errors.ConnectionLost("connection to the bridge lost")
            self.pending[request_id] = slot
        try:
            with self.send_lock:
                self.sock.sendall(frame)
        except OSError as exc:
            with self.pending_lock:
                self.pending.pop(request_id, None)
            raise errors.ConnectionLost("sending to the bridge: {}".format(exc)) from None
        if not slot.event.wait(timeout):
            with self.pending_lock:
                self.pending.pop(request_id, None)
            raise errors.Timeout("no reply to `{}` within {} s".format(op, timeout))
        if slot.error is not None:
            raise slot.error
        return slot.result

    def close(self):
        """Closes the socket; only the owning process shuts the connection down."""
        if self.pid == os.getpid():
            try:
                self.sock.shutdown(_socket.SHUT_RDWR)
            except OSError:
                pass
        self.alive = False
        self.sock.close()

    def abandon(self):
        """In a forked child: drop the parent's socket without disturbing the parent."""
        self.alive = False
        try:
            os.close(self.sock.detach())
        except OSError:
            pass


class Client:
    """A client of the pyros bridge.

    `socket` defaults to `$PYROS_SOCKET`, then the system bridge's `/run/pyros/default.sock`
    (or `/run/pyros/<profile>.sock`). `timeout` bounds waiting for a reply and for connecting
    (with backoff) when the bridge is down.
    """

    def __init__(self, socket=None, profile=None, timeout=10.0, name="pyros-python",
                 reconnect=True, max_backoff=2.0):
        self.socket = socket if socket is not None else default_socket(profile)
        self.timeout = timeout
        self.name = name
        self.reconnect = reconnect
        self.max_backoff = max_backoff
        self._closed = False
        self._subs = {}
        self._sub_ids = itertools.count(1)
        self._watches = {}
        self._init_process_state()
        _CLIENTS.add(self)

    def _init_process_state(self):
        self._pid = os.getpid()
        self._lock = threading.RLock()
        self._conn = None
        self._reconnecting = False

    # connection management

    def _check_fork(self):
        if self._pid != os.getpid():
            conn = self._conn
            self._init_process_state()
            if conn is not None:
                conn.abandon()
            for feed in list(self._subs.values()) + list(self._watches.values()):
                feed._after_fork()
            if self._feeds() and not self._closed and self.reconnect:
                self._reconnecting = True
                threading.Thread(
                    target=self._reconnect_loop, daemon=True, name="pyros-reconnect"
                ).start()

    def _connection(self, timeout=None):
        """The live connection of this process, (re)connecting with backoff if needed."""
        self._check_fork()
        with self._lock:
            conn = self._conn
            if conn is not None and conn.alive:
                return conn
            if self._closed:
                raise errors.ClientClosed("the client is closed")
            deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
            delay = 0.02
            while True:
                try:
                    conn = self._open()
                    break
                except (OSError, errors.ConnectionLost) as exc:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self._closed:
                        raise errors.BridgeUnavailable(
                            "cannot connect to `{}`: {}".format(self.socket, exc)
                        ) from None
                    time.sleep(min(delay, remaining))
                    delay = min(delay * 2, self.max_backoff)
            self._conn = conn
            self._resubscribe(conn)
            return conn

    def _open(self):
        conn = _Connection(self, self.socket, self.timeout)
        try:
            hello = conn.request(
                "hello",
                {"protocol": wire.PROTOCOL, "client": self.name, "pid": os.getpid(),
                 "capabilities": ["binary"]},
                self.timeout,
            )
        except errors.Error:
            conn.close()
            raise
        conn.hello = hello
        limits = hello.get("limits") or {}
        conn.max_frame = int(limits.get("max_frame", wire.DEFAULT_MAX_FRAME))
        return conn

    def _feeds(self):
        """Whether something (a subscription, a graph watch) needs the connection."""
        return bool(self._subs or self._watches)

    def _resubscribe(self, conn):
        if self._watches:
            try:
                conn.request("watch_graph", {}, self.timeout)
            except errors.ConnectionLost:
                return
            except errors.Error as exc:
                watches = list(self._watches.values())
                self._watches.clear()
                for watch in watches:
                    watch._fail(exc)
        for sub in list(self._subs.values()):
            try:
                result = conn.request("subscribe", sub._request, self.timeout)
                sub.queue_length = result.get("queue_length")
            except errors.ConnectionLost:
                return
            except errors.Error as exc:
                self._subs.pop(sub.sub_id, None)
                sub._fail(exc)

    def _connection_lost(self, conn):
        """Called by a reader thread when its connection ends."""
        if self._closed or not self.reconnect or conn.pid != os.getpid():
            return
        with self._lock:
            if self._conn is not conn or self._reconnecting or not self._feeds():
                return
            self._reconnecting = True
        threading.Thread(target=self._reconnect_loop, daemon=True, name="pyros-reconnect").start()

    def _reconnect_loop(self):
        try:
            while not self._closed and self._feeds():
                try:
                    self._connection()
                    return
                except errors.Error:
                    continue
        finally:
            self._reconnecting = False

    @property
    def session_id(self):
        """The bridge's session id (changes on every bridge start)."""
        return (self._connection().hello or {}).get("session_id")

    def close(self):
        """Closes the connection and every subscription."""
        self._closed = True
        self._check_fork()
        subs = list(self._subs.values()) + list(self._watches.values())
        self._subs.clear()
        self._watches.clear()
        for sub in subs:
            sub.closed = True
            sub._deliver(_CLOSED)
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _request(self, op, fields=None, timeout=None):
        wait = self.timeout if timeout is None else timeout
        return self._connection().request(op, fields or {}, wait)

    # operations

    def ping(self):
        """Round trip to the bridge; returns its time as `{"secs", "nsecs"}`."""
        return self._request("ping")["time"]

    def publish(self, topic, msg=None, type=None, ack=False, **fields):
        """Publishes `msg` (a dict, or the keyword fields) on `topic`. `type` is needed when
        the topic is not known yet. Returns the topic sequence number with `ack=True`."""
        request = {"topic": topic, "msg": dict(fields) if msg is None else msg}
        if type is not None:
            request["type"] = type
        if ack:
            request["ack"] = True
        result = self._request("publish", request)
        return result.get("seq") if ack else None

    def advertise(self, topic, type, latch=False):
        """Declares a topic and its type."""
        self._request("advertise", {"topic": topic, "type": type, "latch": bool(latch)})

    def subscribe(self, topic, callback=None, *, type=None, mode="stream", queue_length=None,
                  policy=None, throttle=None):
        """Subscribes to `topic`. Returns a `Subscription` (an iterator of `Message`s); with a
        `callback`, it is called with each `Message` from a thread of the subscription.
        `throttle` is the minimum time in seconds between two deliveries."""
        self._check_fork()
        request = {"topic": topic, "mode": mode}
        if type is not None:
            request["type"] = type
        if queue_length is not None:
            request["queue_length"] = int(queue_length)
        if policy is not None:
            request["policy"] = policy
        if throttle is not None:
            request["throttle_ms"] = int(throttle * 1000)
        with self._lock:
            # Under the lock, so that a concurrent reconnection does not subscribe it twice.
            conn = self._connection()
            sub_id = next(self._sub_ids)
            request["sub_id"] = sub_id
            sub = Subscription(self, sub_id, request, callback)
            self._subs[sub_id] = sub
            try:
                result = conn.request("subscribe", request, self.timeout)
            except errors.Error:
                self._subs.pop(sub_id, None)
                raise
        sub.queue_length = result.get("queue_length")
        sub._start_callback()
        return sub

    def _unsubscribe(self, sub):
        self._subs.pop(sub.sub_id, None)
        conn = self._conn
        if conn is None or not conn.alive or conn.pid != os.getpid():
            return
        try:
            conn.request("unsubscribe", {"sub_id": sub.sub_id}, self.timeout)
        except errors.Error:
            pass

    def _on_msg(self, event):
        sub = self._subs.get(event.get("sub_id"))
        if sub is None:
            return
        sub._deliver(Message(event.get("topic"), event.get("msg"), event.get("seq"),
                             event.get("dropped", 0), event.get("stamp_recv")))

    def watch_graph(self, callback=None):
        """Watches the graph: returns a `GraphWatch` (an iterator of `GraphEvent`s with the
        exposed names that appeared or disappeared); with a `callback`, it is called with each
        `GraphEvent` from a thread of the watch. Survives reconnections like subscriptions."""
        self._check_fork()
        with self._lock:
            conn = self._connection()
            watch = GraphWatch(self, next(self._sub_ids), callback)
            self._watches[watch.watch_id] = watch
            try:
                conn.request("watch_graph", {}, self.timeout)
            except errors.Error:
                self._watches.pop(watch.watch_id, None)
                raise
        watch._start_callback()
        return watch

    def _unwatch(self, watch):
        with self._lock:
            self._watches.pop(watch.watch_id, None)
            if self._watches:
                return
        conn = self._conn
        if conn is None or not conn.alive or conn.pid != os.getpid():
            return
        try:
            conn.request("unwatch_graph", {}, self.timeout)
        except errors.Error:
            pass

    def _on_graph(self, event):
        change = GraphEvent(list(event.get("added") or []), list(event.get("removed") or []))
        for watch in list(self._watches.values()):
            watch._deliver(change)

    def get_latest(self, topic, wait=None, max_age=None, after_seq=None):
        """The newest message on `topic` as a `Message` (`seq` is the topic's).

        `wait` (seconds) waits for a message; `max_age` (seconds) and `after_seq` restrict
        which one qualifies. Raises `Timeout` when nothing arrives within `wait` (`NoData`, a
        `Timeout`, without `wait`)."""
        request = {"topic": topic}
        if wait:
            request["wait_ms"] = int(wait * 1000)
        if max_age is not None:
            request["max_age_ms"] = int(max_age * 1000)
        if after_seq is not None:
            request["after_seq"] = int(after_seq)
        try:
            result = self._request("get_latest", request, (wait or 0) + self.timeout)
        except errors.NoData as exc:
            if wait:
                raise errors.Timeout(
                    "no message on `{}` within {} s".format(topic, wait), detail=exc.detail
                ) from None
            raise
        return Message(result.get("topic", topic), result.get("msg"), result.get("seq"),
                       0, result.get("stamp_recv"))

    def call(self, service, args=None, timeout=10.0, type=None, **fields):
        """Calls `service` with `args` (a dict, or the keyword fields); returns the response
        values. Raises `Timeout` when the service does not answer within `timeout` seconds."""
        request = {"service": service, "args": dict(fields) if args is None else args,
                   "timeout_ms": int(timeout * 1000)}
        if type is not None:
            request["type"] = type
        return self._request("call_service", request, timeout + self.timeout)["values"]

    def param_get(self, name):
        """The value of parameter `name`."""
        return self._request("param_get", {"name": name})["value"]

    def param_set(self, name, value):
        """Sets parameter `name` to any JSON value (including `0`, `False`, `""`)."""
        self._request("param_set", {"name": name, "value": value})

    def param_delete(self, name):
        """Deletes parameter `name`."""
        self._request("param_delete", {"name": name})

    def topics(self, filter=None):
        """Exposed topics: dicts with `name`, `type`, `subscribe`, `publish`."""
        return self._request("list_topics", {"filter": filter} if filter else {})["topics"]

    def services(self, filter=None):
        """Exposed services: dicts with `name`, `type`."""
        return self._request("list_services", {"filter": filter} if filter else {})["services"]

    def params(self, filter=None):
        """Names of the readable parameters."""
        return self._request("list_params", {"filter": filter} if filter else {})["params"]

    def describe(self, type):
        """A message type: dict with `type`, `definition` (the .msg text), `fields`."""
        return self._request("describe", {"type": type})
