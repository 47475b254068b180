"""Files members DM Kettle, end to end: bytes only from Slack's file hosts, the token nowhere
else, streamed to disk under a size limit and a per-member room, fetched off the listener
threads, every file ending kept or failed with its sender told."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import storage
from bot.builders.ids import MembershipIds, StoryIds
from bot.config import Settings
from bot.models import Community, FileStatus, StoryFile, utcnow
from bot.schedules import housekeeping
from tests.conftest import MEMBER, make_settings
from tests.fakeslack import FakeSlack, HeaderRecorder
from tests.harness import Kettle

KB = 1024
MAX = 256 * KB
QUOTA = 512 * KB


@pytest.fixture
def recorder() -> Iterator[HeaderRecorder]:
    with HeaderRecorder() as server:
        yield server


@pytest.fixture
def settings(fake: FakeSlack, db_url: str, tmp_path: Path, recorder: HeaderRecorder) -> Settings:
    # The fake is Slack's file host here; the recorder is allowed only over https, so that a
    # plain-http URL to it shows whether Kettle checks the scheme before it connects.
    https_recorder = recorder.base_url.replace("http://", "https://")
    return make_settings(
        fake,
        database_url=db_url,
        files_dir=tmp_path / "files",
        file_hosts=(storage.origin_of(fake.api_url), https_recorder),
        file_max_bytes=MAX,
        file_quota_bytes=QUOTA,
    )


def file_event(kettle: Kettle, slack_file: dict, text: str = "") -> dict:
    channel = kettle.fake.dm_channel_for(MEMBER)
    return kettle.signer.message_event(
        MEMBER, channel, text, subtype="file_share", files=[slack_file], channel_type="im"
    )


def said(kettle: Kettle) -> str:
    return "\n".join(
        json.dumps(m.get("blocks") or []) + str(m.get("text") or "")
        for m in kettle.fake.dm_messages(MEMBER)
    )


def rows(kettle: Kettle) -> list[tuple[str, FileStatus, int]]:
    with kettle.db() as session:
        return [
            (f.slack_file_id, f.status, f.size)
            for f in session.scalars(select(StoryFile).order_by(StoryFile.id))
        ]


def stored(settings: Settings) -> list[Path]:
    """Every file on disk under the store, partial ones included."""
    root = settings.files_dir
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def wait_for_download(fake: FakeSlack, count: int = 1) -> None:
    deadline = time.monotonic() + 20
    while len(fake.downloads()) < count:
        if time.monotonic() > deadline:
            raise AssertionError("Kettle never asked Slack for the file")
        time.sleep(0.01)


def press(kettle: Kettle, action_id: str, value: str) -> None:
    question = kettle.fake.dm_messages(MEMBER)[-1]
    request = kettle.signer.block_actions(
        MEMBER,
        actions=[{"action_id": action_id, "value": value}],
        trigger_id=kettle.fake.issue_trigger_id(),
        message=question,
        channel_id=kettle.fake.dm_channel_for(MEMBER),
        response_url=kettle.fake.new_response_url(),
    )
    kettle.send(request)


# -- where the bytes may come from --------------------------------------------------------------


def test_a_redirect_off_slacks_file_hosts_gets_no_token_and_no_request(
    kettle: Kettle, settings: Settings, recorder: HeaderRecorder
) -> None:
    slack_file = kettle.fake.add_file(MEMBER, "clip.m4a", "audio/mp4", b"ID3 clip", "m4a")
    kettle.fake.redirect_download(slack_file["id"], f"{recorder.base_url}/elsewhere/clip.m4a")
    kettle.event(file_event(kettle, slack_file))

    tokens = [r["headers"].get("Authorization") for r in recorder.requests]
    assert not any(tokens), f"the bot token left Slack: {tokens}"
    assert recorder.connections == 0 and recorder.requests == []
    assert "isn't stored in Slack" in said(kettle) and "127.0.0.1" in said(kettle)
    assert rows(kettle) == [(slack_file["id"], FileStatus.FAILED, 0)]
    assert stored(settings) == []


def test_a_redirect_between_slacks_file_hosts_is_followed_with_the_token(
    kettle: Kettle, settings: Settings
) -> None:
    audio = b"ID3 a clip served from Slack's file origin"
    slack_file = kettle.fake.add_file(MEMBER, "clip.m4a", "audio/mp4", audio, "m4a")
    kettle.fake.redirect_download(slack_file["id"], kettle.fake.origin_url(slack_file["id"]))
    kettle.event(file_event(kettle, slack_file))

    hops = kettle.fake.downloads()
    assert [h["path"].split("/")[1] for h in hops] == ["files-pri", "files-origin"]
    assert all(h["authorization"] == f"Bearer {settings.bot_token}" for h in hops)
    [(_id, status, size)] = rows(kettle)
    assert status == FileStatus.KEPT and size == len(audio)
    assert [p.read_bytes() for p in stored(settings)] == [audio]
    assert "Is this a story" in said(kettle) or "clip.m4a" in said(kettle)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        # plain http to a host allowed only over https
        "{recorder}/files-pri/T0001-F1/x.pdf",
        # a host that is not one of Slack's (the same machine under another name)
        "http://localhost:{fake_port}/files-pri/T0001-F1/x.pdf",
        # Slack's host as a user name in front of another host
        "http://127.0.0.1:{fake_port}@127.0.0.1:{recorder_port}/x.pdf",
        "ftp://files.slack.com/x.pdf",
    ],
)
def test_a_file_url_off_slacks_file_hosts_is_refused_without_a_request(
    kettle: Kettle, settings: Settings, recorder: HeaderRecorder, url: str
) -> None:
    slack_file = kettle.fake.add_file(MEMBER, "x.pdf", "application/pdf", b"%PDF-1.4", "pdf")
    slack_file["url_private_download"] = url.format(
        recorder=recorder.base_url,
        recorder_port=recorder.base_url.rsplit(":", 1)[1],
        fake_port=kettle.fake.port,
    )
    kettle.event(file_event(kettle, slack_file))

    assert recorder.connections == 0 and recorder.requests == []
    assert kettle.fake.downloads() == []
    assert "I haven't kept *x.pdf*: it isn't stored in Slack" in said(kettle)
    assert rows(kettle) == [] and stored(settings) == []


# -- how much ----------------------------------------------------------------------------------


def test_a_file_slack_says_is_too_large_is_refused_before_any_download(
    kettle: Kettle, settings: Settings
) -> None:
    video = b"v" * (MAX + 1)
    slack_file = kettle.fake.add_file(MEMBER, "talk.mp4", "video/mp4", video, "mp4")
    kettle.event(file_event(kettle, slack_file))

    assert kettle.fake.downloads() == []
    assert "I haven't kept *talk.mp4*: it is larger than 256 KB" in said(kettle)
    assert "/story" in said(kettle)  # what they can do instead
    assert rows(kettle) == [] and stored(settings) == []


def test_a_file_larger_than_it_claims_is_cut_off_mid_stream_and_not_kept(
    kettle: Kettle, settings: Settings
) -> None:
    # It claims 1 KB and is sent without a length: only counting the bytes as they stream in
    # can stop it. The download stops at the limit, long before Slack has sent it all.
    video = b"v" * (32 * 1024 * KB)
    slack_file = kettle.fake.add_file(
        MEMBER, "long.mp4", "video/mp4", video, "mp4", declared_size=KB, send_length=False
    )
    kettle.event(file_event(kettle, slack_file))

    sent = kettle.fake.download_bytes_sent.get(slack_file["id"], 0)
    assert sent < len(video), "Kettle read the whole file past its limit"
    assert "I haven't kept *long.mp4*: it is larger than 256 KB" in said(kettle)
    assert rows(kettle) == [(slack_file["id"], FileStatus.FAILED, 0)]
    assert stored(settings) == []  # no partial file left behind


def test_a_members_room_for_files_refuses_the_next_file_and_says_what_to_do(
    kettle: Kettle, settings: Settings
) -> None:
    first = kettle.fake.add_file(MEMBER, "one.m4a", "audio/mp4", b"1" * (200 * KB), "m4a")
    second = kettle.fake.add_file(MEMBER, "two.m4a", "audio/mp4", b"2" * (200 * KB), "m4a")
    third = kettle.fake.add_file(MEMBER, "three.m4a", "audio/mp4", b"3" * (200 * KB), "m4a")
    kettle.event(file_event(kettle, first))
    kettle.event(file_event(kettle, second))
    downloads = len(kettle.fake.downloads())
    kettle.event(file_event(kettle, third))

    assert len(kettle.fake.downloads()) == downloads  # refused without fetching it
    text = said(kettle)
    assert "I haven't kept *three.m4a*" in text and "400 KB of the 512 KB" in text
    assert "*No, thanks*" in text and "ask a convenor" in text
    assert [r[0] for r in rows(kettle)] == [first["id"], second["id"]]

    # Letting one go makes room; sending the file again keeps it.
    with kettle.db() as session:
        first_id = session.scalar(
            select(StoryFile.id).where(StoryFile.slack_file_id == first["id"])
        )
    press(kettle, StoryIds.FILE_NOT_STORY, str(first_id))
    kettle.event(file_event(kettle, third))
    assert [(r[0], r[1]) for r in rows(kettle)] == [
        (second["id"], FileStatus.KEPT),
        (third["id"], FileStatus.KEPT),
    ]


def test_the_room_also_limits_a_file_whose_size_slack_did_not_say(
    kettle: Kettle, settings: Settings
) -> None:
    first = kettle.fake.add_file(MEMBER, "one.m4a", "audio/mp4", b"1" * (200 * KB), "m4a")
    second = kettle.fake.add_file(MEMBER, "two.m4a", "audio/mp4", b"2" * (200 * KB), "m4a")
    kettle.event(file_event(kettle, first))
    kettle.event(file_event(kettle, second))
    unsized = kettle.fake.add_file(
        MEMBER, "more.m4a", "audio/mp4", b"3" * (200 * KB), "m4a", send_length=False
    )
    del unsized["size"]
    kettle.event(file_event(kettle, unsized))

    assert "I haven't kept *more.m4a*: the files you've sent me already take 400 KB" in said(kettle)
    assert [r[1] for r in rows(kettle)] == [FileStatus.KEPT, FileStatus.KEPT, FileStatus.FAILED]
    assert len(stored(settings)) == 2


# -- when, and exactly once ---------------------------------------------------------------------


def test_the_file_is_fetched_after_the_ack_off_the_listener_threads(
    kettle: Kettle, settings: Settings
) -> None:
    audio = b"ID3 a clip Slack is slow to send"
    slack_file = kettle.fake.add_file(MEMBER, "slow.m4a", "audio/mp4", audio, "m4a")
    gate = kettle.fake.hold_downloads()
    try:
        reply = kettle.event(file_event(kettle, slack_file), settle=False)
        assert reply.status == 200
        wait_for_download(kettle.fake)
        # While Slack is still sending the file, no listener thread is held by it...
        kettle.executor.wait_idle(timeout=10)
        # ...and the file is already noted, pending.
        assert rows(kettle) == [(slack_file["id"], FileStatus.PENDING, len(audio))]
    finally:
        gate.set()
    kettle.settle()
    assert rows(kettle) == [(slack_file["id"], FileStatus.KEPT, len(audio))]
    assert "slow.m4a" in said(kettle)


def test_a_retried_or_repeated_file_event_downloads_once(
    kettle: Kettle, settings: Settings
) -> None:
    slack_file = kettle.fake.add_file(MEMBER, "once.m4a", "audio/mp4", b"ID3 once", "m4a")
    event = file_event(kettle, slack_file)
    gate = kettle.fake.hold_downloads()
    try:
        kettle.event(event, event_id="EvFILE1", settle=False)
        wait_for_download(kettle.fake)
        # Slack retries the event, and the same file arrives in another message meanwhile.
        kettle.event(event, event_id="EvFILE1", retry_num=1, settle=False)
        kettle.event(file_event(kettle, slack_file), settle=False)
        kettle.executor.wait_idle(timeout=10)
    finally:
        gate.set()
    kettle.settle()
    # Sent once more after it is kept: asked again, not fetched again.
    kettle.event(file_event(kettle, slack_file))

    assert len(kettle.fake.downloads()) == 1
    assert rows(kettle) == [(slack_file["id"], FileStatus.KEPT, len(b"ID3 once"))]
    questions = [m for m in kettle.fake.dm_messages(MEMBER) if m.get("text") == "Is this a story?"]
    assert len(questions) == 2


def test_a_file_slack_will_not_serve_is_marked_failed_and_its_sender_told(
    kettle: Kettle, settings: Settings
) -> None:
    slack_file = kettle.fake.add_file(MEMBER, "gone.m4a", "audio/mp4", b"ID3", "m4a")
    with kettle.fake.lock:
        del kettle.fake.file_contents[slack_file["id"]]  # deleted in Slack meanwhile
    kettle.event(file_event(kettle, slack_file))

    assert "I couldn't fetch *gone.m4a* from Slack" in said(kettle)
    assert rows(kettle) == [(slack_file["id"], FileStatus.FAILED, 0)]

    # Sending it again once Slack has it fetches it anew.
    with kettle.fake.lock:
        kettle.fake.file_contents[slack_file["id"]] = b"ID3"
    kettle.event(file_event(kettle, slack_file))
    assert rows(kettle) == [(slack_file["id"], FileStatus.KEPT, 3)]


def test_a_file_whose_fetching_stopped_is_given_up_and_its_sender_told(
    kettle: Kettle, settings: Settings
) -> None:
    with kettle.db() as session:
        community_id = session.scalar(select(Community.id))
        session.add(
            StoryFile(
                community_id=community_id,
                uploader_user_id=MEMBER,
                slack_file_id="F0STALE",
                name="lost <clip>.m4a",
                sha256="",
                size=100,
                status=FileStatus.PENDING,
                created_at=utcnow() - timedelta(hours=2),
            )
        )
    assert housekeeping.give_up_stale_files() == 1
    assert housekeeping.give_up_stale_files() == 0
    assert rows(kettle) == [("F0STALE", FileStatus.FAILED, 0)]
    messages = [m["text"] for m in kettle.fake.dm_messages(MEMBER)]
    assert len(messages) == 1
    assert "I couldn't fetch *lost &lt;clip&gt;.m4a* from Slack" in messages[0]


def test_a_file_still_being_fetched_when_its_sender_is_forgotten_is_not_kept(
    kettle: Kettle, settings: Settings
) -> None:
    slack_file = kettle.fake.add_file(MEMBER, "me.m4a", "audio/mp4", b"ID3 my voice", "m4a")
    gate = kettle.fake.hold_downloads()
    try:
        kettle.event(file_event(kettle, slack_file), settle=False)
        wait_for_download(kettle.fake)
        kettle.executor.wait_idle(timeout=10)
        kettle.click(MEMBER, MembershipIds.FORGET_DELETE_BUTTON, channel="D1", settle=False)
        kettle.executor.wait_idle(timeout=10)
        kettle.background.wait_idle(timeout=10)
    finally:
        gate.set()
    kettle.settle()
    assert rows(kettle) == [] and stored(settings) == []
    assert "Is this a story?" not in [m.get("text") for m in kettle.fake.dm_messages(MEMBER)]
