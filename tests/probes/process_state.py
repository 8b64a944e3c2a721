# Reports, as its failure message, what its process can see of itself and its surroundings:
# two runs that are told the same thing must see the same thing.
import gc
import hashlib
import json
import os
import sys

VOLATILE = ("Uid", "Gid", "Cpus_allowed", "Mems_allowed", "voluntary_ctxt_switches",
            "nonvoluntary_ctxt_switches", "SigQ", "Vm", "Rss", "Hugetlb")


def fds():
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            found[fd] = os.readlink(f"/proc/self/fd/{fd}").split(":")[0]
        except OSError:
            pass
    return found


def state():
    status = [line for line in open("/proc/self/status").read().splitlines() if not line.startswith(VOLATILE)]
    return {
        "pid": (os.getpid(), os.getppid()), "cwd": os.getcwd(), "env": sorted(os.environ.items()),
        "files": sorted(os.listdir(".")), "tmp": sorted(os.listdir("/tmp")), "home": os.path.expanduser("~"),
        "fds": fds(), "status": status, "gc": (gc.get_count(), gc.get_stats(), len(gc.get_objects())),
        # (Not sys.getallocatedblocks(): it moves by a block or two with how long things took.)
        "address": id(object()), "modules": sorted(sys.modules),
        "meta_path": [type(f).__name__ for f in sys.meta_path], "argv": sys.argv,
        "processes": sorted(p for p in os.listdir("/proc") if p.isdigit()), "host": os.uname().nodename,
    }


def test_report_what_i_see():
    seen = {key: hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:12]
            for key, value in state().items()}
    assert False, json.dumps(seen, sort_keys=True)
