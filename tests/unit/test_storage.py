"""Kettle's file store: bytes only from Slack's file hosts, streamed in chunks under a limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import storage
from tests.fakeslack import FakeSlack

SLACK = ("https://files.slack.com", "https://files-origin.slack.com")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token="xoxb-test") as slack:
        yield slack


@pytest.mark.parametrize(
    "url",
    [
        "https://files.slack.com/files-pri/T1-F1/download/a.pdf",
        "https://FILES.slack.com:443/files-pri/T1-F1/a.pdf?t=1",
        "https://files-origin.slack.com/files-pri/T1-F1/a.pdf",
    ],
)
def test_slacks_file_hosts_are_allowed(url: str) -> None:
    assert storage.allowed_url(url, SLACK).startswith("https://files")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "file:///etc/passwd",
        "data:text/plain,hello",
        "ftp://files.slack.com/a.pdf",
        "http://files.slack.com/files-pri/T1-F1/a.pdf",  # https only
        "https://files.slack.com:8443/a.pdf",  # another port is another server
        "https://files.slack.com.example.net/a.pdf",
        "https://example.net/files.slack.com/a.pdf",
        "https://files.slack.com@example.net/a.pdf",
        "https://user:pw@files.slack.com/a.pdf",
        "https://slack.com/api/files.info",
        "https://[::1]/a.pdf",
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    with pytest.raises(storage.NotOnSlack):
        storage.allowed_url(url, SLACK)


def test_the_checked_url_is_the_one_requested() -> None:
    # Rebuilt from the parts that were checked: no user name, no fragment, default port dropped.
    assert (
        storage.allowed_url("https://files.slack.com:443/files-pri/T1-F1/a%20b.pdf?x=1#f", SLACK)
        == "https://files.slack.com/files-pri/T1-F1/a%20b.pdf?x=1"
    )


class Recording:
    def __init__(self) -> None:
        self.writes: list[int] = []

    def write(self, data: bytes) -> None:
        self.writes.append(len(data))


def test_a_download_reaches_its_writer_in_chunks(fake: FakeSlack) -> None:
    content = b"x" * (1024 * 1024 + 17)
    f = fake.add_file("U1", "clip.m4a", "audio/mp4", content, "m4a", send_length=False)
    sink = Recording()
    size = storage.download(
        f["url_private_download"],
        fake.bot_token,
        sink,
        hosts=(fake.base_url,),
        max_bytes=len(content),
    )
    assert size == len(content) == sum(sink.writes)
    assert max(sink.writes) <= storage.CHUNK
    assert len(sink.writes) >= len(content) // storage.CHUNK


def test_a_length_over_the_limit_stops_before_the_body(fake: FakeSlack) -> None:
    f = fake.add_file("U1", "big.mp4", "video/mp4", b"v" * 4096, "mp4", declared_size=10)
    sink = Recording()
    with pytest.raises(storage.TooLarge):
        storage.download(
            f["url_private_download"], fake.bot_token, sink, hosts=(fake.base_url,), max_bytes=100
        )
    assert sink.writes == []


def test_a_cut_off_download_leaves_nothing_in_the_store(fake: FakeSlack, tmp_path: Path) -> None:
    f = fake.add_file("U1", "big.mp4", "video/mp4", b"v" * 500_000, "mp4", send_length=False)
    with pytest.raises(storage.TooLarge):
        storage.fetch(
            tmp_path,
            f["url_private_download"],
            fake.bot_token,
            hosts=(fake.base_url,),
            max_bytes=100_000,
        )
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_slacks_sign_in_page_is_not_a_file(fake: FakeSlack, tmp_path: Path) -> None:
    f = fake.add_file("U1", "a.pdf", "application/pdf", b"%PDF", "pdf")
    with pytest.raises(storage.DownloadError, match="sign-in"):
        storage.fetch(
            tmp_path, f["url_private_download"], "xoxb-wrong", hosts=(fake.base_url,), max_bytes=99
        )
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_fetched_file_is_kept_once_by_its_content(fake: FakeSlack, tmp_path: Path) -> None:
    f = fake.add_file("U1", "a.pdf", "application/pdf", b"%PDF-1.4 body", "pdf")
    kept = storage.fetch(
        tmp_path, f["url_private_download"], fake.bot_token, hosts=(fake.base_url,), max_bytes=99
    )
    again = storage.fetch(
        tmp_path, f["url_private_download"], fake.bot_token, hosts=(fake.base_url,), max_bytes=99
    )
    assert kept == again and storage.get(tmp_path, kept.sha256) == b"%PDF-1.4 body"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [kept.sha256]
