# Gaming, class 2: order and naming. Correct apps used to run first, so anything that counts
# runs (a marker left in a shared place, a running number in a name, a process's rank among its
# siblings) told correct apps from defective ones. Each test passes on what looks like one of
# the first three runs of a grading and fails on a later one. (TOKEN is made unique by the
# test, so that markers of other gradings do not count.)
import glob
import os
import re
import socket
import tempfile

MARKERS = ["/tmp/graders-gaming-TOKEN", "/dev/shm/graders-gaming-TOKEN",
           os.path.join(tempfile.gettempdir(), "graders-gaming-TOKEN"),
           os.path.expanduser("~/.graders-gaming-TOKEN")]


def test_runs_counted_in_shared_places():
    counts = []
    for path in MARKERS:
        try:
            with open(path, "a+") as file:
                file.seek(0)
                counts.append(len(file.read()))
                file.write("x")
        except OSError:
            pass
    try:  # an abstract unix socket: seen by every process in the same network namespace
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind("\0graders-gaming-TOKEN")
        server.listen()
        globals()["_keep"] = server
    except OSError:
        counts.append(99)  # taken: an earlier run holds it
    assert max(counts, default=0) < 3


def test_the_running_number_of_the_scratch_directory():
    found = re.search(r"(\d+)$", os.getcwd())
    assert found is None or int(found.group(1)) <= 3


def test_rank_among_siblings():
    mine = open("/proc/self/cmdline", "rb").read()
    siblings = []
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            if open(path, "rb").read() == mine and int(path.split("/")[2]) != 1:
                siblings.append(int(path.split("/")[2]))
        except (OSError, ValueError):
            pass
    rank = sorted(siblings).index(os.getpid()) if os.getpid() in siblings else 0
    assert rank < len(siblings) // 2 + 1 or len(siblings) < 4
