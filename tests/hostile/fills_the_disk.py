# Writes until something stops it, in every place it may write: /tmp, /dev/shm, its working
# directory and its home.
import os
import tempfile


def test_fills_the_disk():
    block = b"x" * 2**20
    for place in ("/tmp", "/dev/shm", os.getcwd(), os.path.expanduser("~"), tempfile.gettempdir()):
        for n in range(4096):  # 4 GiB at most
            try:
                with open(os.path.join(place, f"filler-{n}"), "wb") as file:
                    file.write(block)
            except OSError:
                break
