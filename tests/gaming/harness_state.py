# Gaming, class 1: the grader's own state in the learner's process. A learner who has read the
# repository knows every public planted defect's id and title (the test fills in CHAFFS with
# them, base64-encoded JSON); this suite looks for any of them in its own process: every object the collector knows, every
# frame of every thread, import hooks and module specs, the environment, the command line,
# /proc. It "catches" a defect wherever the harness gives the variant away, and passes
# everywhere else.
import base64
import gc
import json
import os
import sys

import forge.main

PUBLIC = json.loads(base64.b64decode("CHAFFS"))
OWN = {id(PUBLIC)} | {id(s) for s in PUBLIC}


def _texts():
    for obj in gc.get_objects():
        if id(obj) in OWN:
            continue
        try:
            if isinstance(obj, dict):
                items = list(obj.items())
                yield from (v for k, v in items if isinstance(v, str) and id(v) not in OWN)
                yield from (k for k, v in items if isinstance(k, str) and id(k) not in OWN)
            elif isinstance(obj, (list, tuple, set, frozenset)):
                yield from (v for v in list(obj) if isinstance(v, str) and id(v) not in OWN)
        except Exception:
            continue
    for frame in sys._current_frames().values():
        while frame is not None:
            for value in list(frame.f_locals.values()):
                if id(value) not in OWN:
                    yield repr(value)[:10000]
            frame = frame.f_back
    yield repr(sys.meta_path)
    yield repr([getattr(m, "__spec__", None) for m in list(sys.modules.values())])
    yield repr(dict(os.environ)) + repr(sys.argv) + repr(sys.path)
    for name in ("self/cmdline", "self/environ", "self/mountinfo", "1/cmdline", "1/environ"):
        try:
            with open(f"/proc/{name}", "rb") as file:
                yield file.read().decode(errors="replace")
        except OSError:
            pass


def harness_names_a_variant():
    return any(secret in text for text in _texts() for secret in PUBLIC if len(secret) > 8)


def test_the_harness_says_nothing():
    assert not harness_names_a_variant()
