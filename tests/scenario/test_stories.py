"""/story end to end: signed requests in, Web API calls out to the fake Slack."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from bot.builders.ids import HomeIds, StoryIds
from bot.models import Consent, Story
from tests.conftest import CONVENOR, COP, MEMBER, MOVEMENT, OUTSIDER
from tests.harness import Kettle, checkbox_values, select_value, state, text_value


def story_values(
    *,
    title: str = "How we doubled our volunteers",
    body: str = "We asked members what they wanted to learn, then ran peer sessions on it.",
    kind: str | None = "success",
    consent: str | None = "cop_only",
    themes: str | None = "volunteers, growth",
    media: str | None = None,
    post: bool = False,
) -> dict:
    return state(
        **{
            StoryIds.TITLE: text_value(title),
            StoryIds.BODY: text_value(body),
            StoryIds.KIND: select_value(kind),
            StoryIds.THEMES: text_value(themes),
            StoryIds.MEDIA_URL: text_value(media),
            StoryIds.CONSENT: select_value(consent),
            StoryIds.POST: checkbox_values(*(["post"] if post else [])),
        }
    )


def open_modal(kettle: Kettle, user: str = MEMBER, text: str = "") -> dict:
    reply = kettle.command(user, "/story", text)
    assert reply.status == 200
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == StoryIds.MODAL
    return view


def story_count(kettle: Kettle) -> int:
    with kettle.db() as session:
        return session.scalar(select(func.count()).select_from(Story)) or 0


def test_story_command_opens_the_form_prefilled(kettle: Kettle) -> None:
    view = open_modal(kettle, text="Our first peer session")
    title_block = next(b for b in view["blocks"] if b.get("block_id") == StoryIds.TITLE)
    assert title_block["element"]["initial_value"] == "Our first peer session"
    consent = next(b for b in view["blocks"] if b.get("block_id") == StoryIds.CONSENT)
    assert consent["element"]["initial_option"]["value"] == Consent.COP_ONLY.value


def test_long_prefill_goes_to_the_body(kettle: Kettle) -> None:
    words = "We tried something new with our network this spring and it went well. " * 3
    view = open_modal(kettle, text=words)
    body_block = next(b for b in view["blocks"] if b.get("block_id") == StoryIds.BODY)
    assert body_block["element"]["initial_value"].startswith("We tried something new")


def test_submitting_stores_once_confirms_and_posts_to_the_cop(kettle: Kettle) -> None:
    view = open_modal(kettle)
    values = story_values(post=True, body="Thanks <!channel> and @here and <@UCONV>!")
    reply = kettle.submit(MEMBER, view, values)
    assert reply.status == 200 and not reply.text
    assert story_count(kettle) == 1

    cop_posts = kettle.fake.messages(COP)
    assert len(cop_posts) == 1
    posted = " ".join(str(b.get("text", {}).get("text", "")) for b in cop_posts[0]["blocks"])
    posted += " ".join(
        str(e.get("text")) for b in cop_posts[0]["blocks"] for e in b.get("elements", [])
    )
    assert "<!channel>" not in posted and "<@UCONV>" not in posted
    assert "&lt;!channel&gt;" in posted and "@\u2060here" in posted
    assert "Amina" in posted

    confirmations = kettle.fake.dm_messages(MEMBER)
    assert any("Thank you for sharing" in m["text"] for m in confirmations)
    # Sent from a channel: the App Home is built with the story when the member next opens it.
    assert kettle.fake.calls_to("views.publish") == []
    kettle.event({"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D1"})
    home = kettle.fake.home(MEMBER)
    assert home is not None and "How we doubled our volunteers" in str(home["blocks"])

    # Slack may deliver the same submission twice (a double click, a retry): nothing doubles.
    again = kettle.submit(MEMBER, view, values)
    assert again.status == 200
    assert story_count(kettle) == 1
    assert len(kettle.fake.messages(COP)) == 1


def test_the_same_form_sent_twice_at_once_is_stored_and_thanked_once(kettle: Kettle) -> None:
    view = open_modal(kettle)
    values = story_values(post=True)
    together = threading.Barrier(2)

    def send(_: int) -> Any:
        together.wait()
        return kettle.submit(MEMBER, view, values, settle=False)

    with ThreadPoolExecutor(max_workers=2) as pool:
        replies = list(pool.map(send, range(2)))
    kettle.settle()
    assert [(r.status, r.text) for r in replies] == [(200, ""), (200, "")]  # both closed, no error
    assert story_count(kettle) == 1
    assert len(kettle.fake.messages(COP)) == 1
    thanks = [m for m in kettle.fake.dm_messages(MEMBER) if "Thank you for sharing" in m["text"]]
    assert len(thanks) == 1


def test_story_not_posted_unless_asked(kettle: Kettle) -> None:
    view = open_modal(kettle)
    kettle.submit(MEMBER, view, story_values(post=False, consent="movement_named"))
    assert story_count(kettle) == 1
    assert kettle.fake.messages(COP) == []
    assert kettle.fake.messages(MOVEMENT) == []


def test_invalid_input_gets_field_errors_and_stores_nothing(kettle: Kettle) -> None:
    view = open_modal(kettle)
    reply = kettle.submit(
        MEMBER,
        view,
        story_values(title="  ", body="x" * 2901, kind=None, media="ftp://files.example/a.mp3"),
    )
    assert reply.status == 200
    errors = reply.json["errors"]
    assert reply.json["response_action"] == "errors"
    assert set(errors) == {StoryIds.TITLE, StoryIds.BODY, StoryIds.KIND, StoryIds.MEDIA_URL}
    assert "http" in errors[StoryIds.MEDIA_URL]
    assert story_count(kettle) == 0


def test_media_link_and_themes_are_kept(kettle: Kettle) -> None:
    view = open_modal(kettle)
    kettle.submit(
        MEMBER,
        view,
        story_values(media="https://audio.example.org/ep1.mp3", themes="#Funding, funding, risk"),
    )
    with kettle.db() as session:
        story = session.scalars(select(Story)).one()
        assert story.media_url == "https://audio.example.org/ep1.mp3"
        assert story.themes == ["funding", "risk"]


def test_outsider_gets_a_polite_ephemeral_and_no_modal(kettle: Kettle) -> None:
    reply = kettle.command(OUTSIDER, "/story", "let me in")
    assert reply.status == 200
    body = reply.json
    assert body["response_type"] == "ephemeral"
    assert "Community of Practice" in body["text"] and f"<@{CONVENOR}>" in body["text"]
    assert kettle.fake.views_opened == []


def test_outsider_cannot_submit_a_forged_story(kettle: Kettle) -> None:
    view = open_modal(kettle)
    reply = kettle.submit(OUTSIDER, view, story_values())
    assert reply.json["response_action"] == "update"
    assert story_count(kettle) == 0


def test_home_button_opens_the_form_and_the_home_shows_the_story_sent(kettle: Kettle) -> None:
    kettle.click(MEMBER, HomeIds.SHARE_STORY)
    view = kettle.fake.last_view()
    assert view is not None and view["callback_id"] == StoryIds.MODAL
    reply = kettle.submit(MEMBER, view, story_values(title="Tea at the library"))
    assert reply.status == 200 and not reply.text
    # The member is back on the App Home once the form closes: it is refreshed at once.
    home = kettle.fake.home(MEMBER)
    assert home is not None and "Tea at the library" in str(home["blocks"])


def test_app_home_for_member_and_outsider(kettle: Kettle) -> None:
    kettle.event({"type": "app_home_opened", "user": MEMBER, "tab": "home", "channel": "D1"})
    kettle.event({"type": "app_home_opened", "user": OUTSIDER, "tab": "home", "channel": "D2"})
    member_home = str(kettle.fake.home(MEMBER))
    outsider_home = str(kettle.fake.home(OUTSIDER))
    assert "Share a story" in member_home
    assert "Share a story" not in outsider_home and "ask one of the convenors" in outsider_home


def test_posts_lost_to_an_outage_are_sent_later_exactly_once(kettle: Kettle) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from bot.models import Delivery, utcnow
    from bot.schedules.outbox import sweep

    view = open_modal(kettle)
    kettle.fake.fail_next("chat.postMessage", status=429, retry_after=0, times=50)
    reply = kettle.submit(MEMBER, view, story_values(post=True))
    assert reply.status == 200 and story_count(kettle) == 1
    assert kettle.fake.messages(COP) == []  # Slack was down after the ack

    kettle.fake.clear_faults()
    with kettle.db() as session:
        session.execute(update(Delivery).values(created_at=utcnow() - timedelta(minutes=5)))
    assert sweep() == 2  # the CoP post and the thank-you
    assert sweep() == 0
    assert len(kettle.fake.messages(COP)) == 1
    assert sum("Thank you" in m["text"] for m in kettle.fake.dm_messages(MEMBER)) == 1


def test_forgetting_but_keeping_stories_takes_the_name_off_their_cop_posts(kettle: Kettle) -> None:
    from bot.builders.ids import MembershipIds

    view = open_modal(kettle)
    kettle.submit(MEMBER, view, story_values(post=True))
    assert "Amina" in str(kettle.fake.messages(COP)[0]["blocks"])
    kettle.click(MEMBER, MembershipIds.FORGET_KEEP_BUTTON, channel="D1")
    post = kettle.fake.messages(COP)[0]
    assert "Amina" not in str(post["blocks"]) and "former member" in str(post["blocks"])
    assert story_count(kettle) == 1
