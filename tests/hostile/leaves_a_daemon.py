# Leaves a process behind: double fork, a session of its own, and a new program that sleeps
# (TOKEN, made unique by the test, names it among the machine's processes).
import os
import sys


def test_leaves_a_daemon():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", "TOKEN"])
        os._exit(0)
