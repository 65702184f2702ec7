"""The fetch stage's HTTP: retries, pace, resume, checksums, proxies, one-line errors."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest

from tests.fetch.fake import Reply, Request, ranged, serve
from transship.fetch.http import Client, FetchError, redact

DATA = bytes(range(256)) * 4096  # 1 MiB


def client(**kw: object) -> tuple[Client, list[float]]:
    slept: list[float] = []
    c = Client("test", retries=kw.pop("retries", 3), backoff=0.01, timeout=5, sleep=slept.append)  # type: ignore[arg-type]
    for k, v in kw.items():
        setattr(c, k, v)
    return c, slept


def test_retry_after_a_429_waits_what_the_server_asks() -> None:
    answers = iter([Reply(429, b"slow down", {"Retry-After": "7"}), Reply(200, b'{"ok": 1}')])
    with serve({"/x": lambda r: next(answers)}) as fake:
        c, slept = client()
        got = c.get(fake.url + "/x", {"a": "1"})
    assert got.json("test") == {"ok": 1}
    assert slept == [7.0]  # Retry-After wins over the 0.01 s back-off
    assert [r.query for r in fake.requests] == [{"a": "1"}] * 2


def test_server_errors_after_the_retries_are_one_line() -> None:
    with serve({"/x": lambda r: Reply(503)}) as fake:
        c, slept = client(retries=2)
        with pytest.raises(FetchError) as err:
            c.get(fake.url + "/x")
    assert len(fake.requests) == 3 and slept == [0.01, 0.02]
    assert "\n" not in err.value.message and err.value.message.startswith("test: HTTP 503")


def test_an_unreachable_host_names_the_host_and_the_proxy_settings() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c, _ = client(retries=1)
    with pytest.raises(FetchError) as err:
        c.get(f"http://127.0.0.1:{port}/x")
    assert "cannot reach 127.0.0.1" in err.value.message and "HTTPS_PROXY" in err.value.message


def test_a_refused_key_says_so_and_never_shows_the_key() -> None:
    with serve({"/x": lambda r: Reply(401, b"denied")}) as fake:
        c, _ = client()
        with pytest.raises(FetchError) as err:
            c.get(fake.url + "/x", {"subscription-key": "SECRET123"})
    assert "refused" in err.value.message and "key" in err.value.message
    assert "SECRET123" not in err.value.message
    assert "SECRET123" not in redact("http://h/p?subscription-key=SECRET123&a=1")


def test_the_pace_spaces_calls() -> None:
    ticks = iter(range(0, 1000))
    with serve({"/x": lambda r: Reply(200, b"{}")}) as fake:
        c, slept = client(calls_per_minute=30)  # one every 2 s
        c.clock = lambda: float(next(ticks)) * 0.5  # 0.5 s pass between clock reads
        for _ in range(3):
            c.get(fake.url + "/x")
    assert len(slept) == 2 and all(1.0 <= s <= 2.0 for s in slept)


def test_an_interrupted_download_resumes_with_a_range_request(tmp_path: Path) -> None:
    seen: list[Request] = []

    def handler(r: Request) -> Reply:
        seen.append(r)
        return ranged(DATA, r, cut_after=300_000 if len(seen) == 1 else None)

    with serve({"/f.zip": handler}) as fake:
        c, slept = client()
        got = c.download(fake.url + "/f.zip", tmp_path / "f.zip")
    assert got.path.read_bytes() == DATA
    assert got.sha256 == hashlib.sha256(DATA).hexdigest()
    assert "Range" not in seen[0].headers and seen[1].headers["Range"] == "bytes=300000-"
    assert not (tmp_path / "f.zip.part").exists() and len(slept) == 1


def test_a_part_left_by_an_earlier_run_is_resumed(tmp_path: Path) -> None:
    (tmp_path / "f.zip.part").write_bytes(DATA[:123_456])
    with serve({"/f.zip": lambda r: ranged(DATA, r)}) as fake:
        c, _ = client()
        got = c.download(fake.url + "/f.zip", tmp_path / "f.zip")
    assert got.resumed_from == 123_456 and got.path.read_bytes() == DATA
    assert fake.requests[0].headers["Range"] == "bytes=123456-"


def test_a_download_that_keeps_failing_keeps_its_part_and_says_how_to_resume(
    tmp_path: Path,
) -> None:
    with serve({"/f.zip": lambda r: ranged(DATA, r, cut_after=1000)}) as fake:
        c, _ = client(retries=1)
        with pytest.raises(FetchError) as err:
            c.download(fake.url + "/f.zip", tmp_path / "f.zip")
    assert "run the same command again to resume" in err.value.message
    assert not (tmp_path / "f.zip").exists()  # never a half file under the real name
    assert (tmp_path / "f.zip.part").stat().st_size == 2000


def test_a_checksum_mismatch_deletes_the_download(tmp_path: Path) -> None:
    with serve({"/f": lambda r: Reply(200, b"abc")}) as fake:
        c, _ = client()
        with pytest.raises(FetchError, match="does not match its published sha1"):
            c.download(fake.url + "/f", tmp_path / "f", checksum=("sha1", "0" * 40))
        ok = c.download(
            fake.url + "/f", tmp_path / "f", checksum=("sha1", hashlib.sha1(b"abc").hexdigest())
        )
    assert not (tmp_path / "f.part").exists() and ok.path.read_bytes() == b"abc"


def test_proxy_variables_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fake plays the proxy: a proxied plain-HTTP request carries the absolute URL.
    with serve({"*": lambda r: Reply(200, b'{"via": "proxy"}')}) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        c, _ = client()
        got = c.get("http://comtrade.example.invalid/api", {"q": "1"})
    assert got.json("test") == {"via": "proxy"}
    assert proxy.requests[0].raw_path == "http://comtrade.example.invalid/api?q=1"
