"""The result cache computes once per key however many ask, and forgets on a store change;
upload names cannot leave their folder."""

from __future__ import annotations

import threading
import time

from transship.serve.state import ResultCache
from transship.serve.upload import safe_filename


def test_single_flight() -> None:
    cache = ResultCache(8)
    calls = []
    gate = threading.Event()

    def compute() -> int:
        calls.append(1)
        gate.wait(10)
        return 42

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("k", compute))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    while not calls:
        time.sleep(0.01)
    gate.set()
    for t in threads:
        t.join(10)
    assert results == [42] * 8 and len(calls) == 1
    assert cache.peek("k") == (True, 42)


def test_errors_are_not_kept_and_clear_forgets() -> None:
    cache = ResultCache(2)

    def boom() -> int:
        raise ValueError("no")

    for _ in range(2):
        try:
            cache.get("e", boom)
        except ValueError:
            pass
    assert cache.peek("e") == (False, None)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.get("c", lambda: 3)  # evicts a
    assert cache.peek("a") == (False, None) and cache.peek("c") == (True, 3)
    cache.clear()
    assert cache.peek("c") == (False, None)


def test_upload_names_stay_in_their_folder() -> None:
    taken: set[str] = set()
    assert safe_filename("../../etc/passwd", taken) == "passwd"
    assert safe_filename("C:\\x\\..\\data.csv", taken) == "data.csv"
    assert safe_filename(".hidden", taken) == "hidden"
    assert safe_filename("data.csv", taken) == "data-2.csv"
    assert safe_filename("", taken) == "upload"
    assert "/" not in safe_filename("a/\x00b\x1b.csv", taken)
