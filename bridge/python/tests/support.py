"""Test support: the bridge the tests talk to.

The tests use `$PYROS_SOCKET` when it is set: a `pyros-bridge run --backend mock` started
with the allow list of `allow-list.txt` (the Rust test `bridge/node/tests/it/python.rs`
does this). Otherwise they start such a bridge themselves from `$PYROS_BRIDGE_EXE` or
`target/debug/pyros-bridge`. Tests that restart the bridge always start their own.
"""

import atexit
import os
import subprocess
import tempfile
import time

def _allow_list():
    """The patterns of `allow-list.txt` beside this file (comments and blank lines left out)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "allow-list.txt")
    with open(path, encoding="utf-8") as f:
        lines = (line.strip() for line in f)
        return [line for line in lines if line and not line.startswith("#")]


ALLOW = _allow_list()

_REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def bridge_exe():
    """Path of the `pyros-bridge` binary, or None."""
    exe = os.environ.get("PYROS_BRIDGE_EXE")
    if exe:
        return exe
    exe = os.path.join(_REPO, "target", "debug", "pyros-bridge")
    return exe if os.path.exists(exe) else None


class Bridge:
    """A `pyros-bridge run --backend mock` child process on `socket` (or `run ARGS...`,
    e.g. `--config FILE`, with `socket` the one to wait for)."""

    def __init__(self, socket, exe=None, args=None):
        self.socket = socket
        self.exe = exe or bridge_exe()
        self.args = args
        self.process = None

    def start(self):
        if self.exe is None:
            raise RuntimeError("no pyros-bridge binary: set PYROS_BRIDGE_EXE")
        if self.args is not None:
            args = [self.exe, "run"] + self.args
        else:
            args = [self.exe, "run", "--backend", "mock", "--replace", "--socket", self.socket]
            for pattern in ALLOW:
                args += ["--allow", pattern]
        self.process = subprocess.Popen(args, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("pyros-bridge did not start")
            time.sleep(0.02)
        return self

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


_shared = None


def socket_path():
    """The socket of the shared test bridge."""
    global _shared
    env = os.environ.get("PYROS_SOCKET")
    if env:
        return env
    if _shared is None:
        directory = tempfile.mkdtemp(prefix="pyros-test-")
        _shared = Bridge(os.path.join(directory, "pyros.sock")).start()
        atexit.register(_shared.stop)
        os.environ["PYROS_SOCKET"] = _shared.socket
    return _shared.socket


def unique(prefix="/py/t"):
    """A fresh topic or parameter name under `/py/`."""
    return "{}{}_{}".format(prefix, os.getpid(), time.monotonic_ns())
