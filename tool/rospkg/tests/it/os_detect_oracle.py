"""Python rospkg's OsDetect run on sample root directories (oracle for tests/os_detect.rs).

Usage: /usr/bin/python3 os_detect_oracle.py ROOT... prints {basename: {"rospkg": answer,
"upstream": answer}} as JSON, an answer being [name, version, codename] or null (OsNotDetected).
For each root a fresh copy of rospkg/os_detect.py is executed (its detectors read files when
they are constructed) with os.path.exists, codecs.open and open redirected into the root and
the distro module replaced by distro.LinuxDistribution(root_dir=ROOT)'s answers. "upstream"
adds the FdoDetect detectors of upstream rospkg 1.6.1 that Debian's 1.4 lacks, at 1.6.1's
positions.
"""
import builtins, codecs, importlib.util, json, os, sys, types
from unittest import mock

import distro as real_distro
import rospkg.os_detect as installed

SOURCE = installed.__file__


def fake_distro(root):
    ld = real_distro.LinuxDistribution(root_dir=root)
    ident, version, codename = ld.id(), ld.version(), ld.codename()
    mod = types.ModuleType("distro")
    mod.id = lambda: ident
    mod.version = lambda: version
    mod.codename = lambda: codename
    return mod


def detect(root, add_upstream):
    real_exists, real_copen, real_open = os.path.exists, codecs.open, builtins.open

    def inside(p):
        if isinstance(p, str) and p.startswith("/") and not p.startswith(root + "/"):
            return root + p
        return p

    with mock.patch.dict(sys.modules, {"distro": fake_distro(root)}), \
            mock.patch("os.path.exists", lambda p: real_exists(inside(p))), \
            mock.patch("codecs.open", lambda p, *a, **k: real_copen(inside(p), *a, **k)), \
            mock.patch("builtins.open", lambda p, *a, **k: real_open(inside(p), *a, **k)):
        spec = importlib.util.spec_from_file_location("rospkg_os_detect_sample", SOURCE)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        detectors = list(mod.OsDetect.default_os_list)
        if add_upstream:
            names = [n for n, _ in detectors]
            # upstream 1.6.1 registers raspbian (FdoDetect) right after qnx, i.e. it is tried
            # just before qnx; fedora-asahi before fedora; openeuler before euleros.
            for name, fdo_id, before in [("raspbian", "raspbian", "qnx"),
                                         ("fedora-asahi", "fedora-asahi-remix", "fedora"),
                                         ("openeuler", "openEuler", "euleros"),
                                         ("openeuler", "openeuler", "openeuler")]:
                names = [n for n, _ in detectors]
                detectors.insert(names.index(before), (name, mod.FdoDetect(fdo_id)))
        try:
            return list(mod.OsDetect(detectors).detect_os(env={}))
        except mod.OsNotDetected:
            return None


out = {}
for root in sys.argv[1:]:
    root = os.path.abspath(root)
    out[os.path.basename(root)] = {"rospkg": detect(root, False), "upstream": detect(root, True)}
print(json.dumps(out, indent=1, sort_keys=True))
