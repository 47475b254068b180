"""The sentence for a refusal names the channel and the person from the call Slack refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import waiting
from tests.fakeslack import FakeSlack


@pytest.fixture
def client() -> Iterator[WebClient]:
    with FakeSlack() as fake:
        fake.add_user("U1", "alice")
        fake.add_user("U2", "bob")
        fake.make_guest("U2")
        fake.add_channel("C1", "open", is_private=False, members=["U1"], bot_is_member=False)
        fake.add_channel("C2", "cop", is_private=True, members=["U1"])
        yield WebClient(token=fake.bot_token, base_url=fake.api_url)


def refusal(call) -> SlackApiError:  # type: ignore[no-untyped-def]
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


def test_not_in_channel_names_the_channel(client: WebClient) -> None:
    exc = refusal(lambda: client.chat_postMessage(channel="C1", text="hi"))
    assert waiting.mendable(exc) == "not_in_channel"
    sentence = waiting.refusal_sentence(exc)
    assert sentence is not None and sentence.startswith("Kettle isn't in <#C1>")
    assert "/invite @Kettle" in sentence


def test_a_guest_names_the_person_and_the_channel(client: WebClient) -> None:
    exc = refusal(lambda: client.conversations_invite(channel="C2", users="U2"))
    sentence = waiting.refusal_sentence(exc)
    assert sentence is not None and sentence.startswith("<@U2> is a guest")
    assert "<#C2>" in sentence


def test_other_errors_are_not_for_a_person_to_mend(client: WebClient) -> None:
    exc = refusal(lambda: client.chat_postMessage(channel="C2", text="x" * 50_000))
    assert waiting.mendable(exc) is None and waiting.refusal_sentence(exc) is None
