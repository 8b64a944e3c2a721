# Five tests that never end, each in its own way, around a good one.
import time

from fastapi.testclient import TestClient

from forge.main import create_app


def test_spins():
    while True:
        pass


def test_sleeps():
    time.sleep(3600)


def test_zero_price_is_rejected():
    with TestClient(create_app()) as client:
        assert client.post("/forge/items", json={"name": "x", "price": 0}).status_code == 422


def test_waits_on_a_lock():
    import threading

    lock = threading.Lock()
    lock.acquire()
    lock.acquire()


def test_spins_and_sleeps():
    while True:
        time.sleep(0.01)


def test_reads_forever():
    import os

    read, _ = os.pipe()
    os.read(read, 1)
