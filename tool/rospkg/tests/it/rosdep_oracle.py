# Resolve rosdep keys with Debian's rosdep2, as `rosdep resolve KEY --os OS:CODENAME` does
# (rosdep2.main.command_resolve), for many keys and targets in one process.
#
# argv: a JSON file {"targets": ["ubuntu:jammy", ...], "keys": [...]}. Reads the rosdep cache of
# $ROS_HOME (built by `rosdep update`); ROS_DISTRO selects the distribution's generated source.
# Prints {target: {key: {"installer": ..., "packages": [...]} or {"error": kind}}} where kind is
# no-rule, no-os, no-codename, not-available, source or invalid.
import json
import sys

from rosdep2 import create_default_installer_context
from rosdep2.lookup import RosdepLookup, ResolutionError
from rosdep2.rospkg_loader import DEFAULT_VIEW_KEY
from rosdep2.sources_list import SourcesListLoader

request = json.load(open(sys.argv[1]))
out = {}
for target in request["targets"]:
    os_name, os_version = target.split(":", 1)
    loader = SourcesListLoader.create_default(os_override=(os_name, os_version))
    lookup = RosdepLookup.create_from_rospkg(sources_loader=loader)
    context = create_default_installer_context()
    context.set_os_override(os_name, os_version)
    keys = context.get_os_installer_keys(os_name)
    default = context.get_default_os_installer_key(os_name)
    view = lookup.get_rosdep_view(DEFAULT_VIEW_KEY)
    row = {}
    for key in request["keys"]:
        try:
            definition = view.lookup(key)
        except KeyError:
            row[key] = {"error": "no-rule"}
            continue
        try:
            installer_key, rule = definition.get_rule_for_platform(os_name, os_version, keys, default)
        except ResolutionError as e:
            message = str(e.args[0])
            if "for OS version" in message and "not available" in message:
                kind = "not-available"
            elif "for OS version" in message:
                kind = "no-codename"
            elif "for OS [" in message:
                kind = "no-os"
            else:
                kind = "other: " + message
            row[key] = {"error": kind}
            continue
        except Exception as e:  # InvalidData
            row[key] = {"error": "invalid"}
            continue
        if installer_key == "source":
            row[key] = {"error": "source"}
            continue
        try:
            resolved = context.get_installer(installer_key).resolve(rule)
        except Exception:
            row[key] = {"error": "invalid"}
            continue
        row[key] = {"installer": installer_key, "packages": [str(r) for r in resolved]}
    out[target] = row
json.dump(out, sys.stdout, indent=1, sort_keys=True)
