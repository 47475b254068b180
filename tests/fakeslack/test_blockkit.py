from __future__ import annotations

from typing import Any

import pytest

from tests.fakeslack.blockkit import validate_blocks, validate_message_text, validate_view


def section(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def modal(blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Kettle"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": blocks,
    }
    view.update(extra)
    return view


def text_input(bid: str = "b", aid: str = "a", **el: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": bid,
        "label": {"type": "plain_text", "text": "Label"},
        "element": {"type": "plain_text_input", "action_id": aid, **el},
    }


def test_valid_message_blocks() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Title"}},
        section("x", block_id="s1"),
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "ctx"}]},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Go"},
                    "action_id": "go",
                    "value": "v",
                }
            ],
        },
    ]
    assert validate_blocks(blocks, "message") == []


def test_limits_on_block_count() -> None:
    assert validate_blocks([section()] * 50, "message") == []
    errs = validate_blocks([section()] * 51, "message")
    assert errs == ["must be less than 51 items [json-pointer:/blocks]"]
    assert validate_blocks([section()] * 100, "modal") == []
    assert validate_blocks([section()] * 101, "home")


@pytest.mark.parametrize(
    ("block", "pointer"),
    [
        (section("x" * 3001), "/blocks/0/text/text"),
        ({"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}, "/blocks/0/fields"),
        (
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]},
            "/blocks/0/fields/0/text",
        ),
        ({"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}, "/blocks/0/text"),
        ({"type": "header", "text": {"type": "mrkdwn", "text": "h"}}, "/blocks/0/text/type"),
        (
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11},
            "/blocks/0/elements",
        ),
        ({"type": "bogus"}, "/blocks/0/type"),
        (section(block_id="b" * 256), "/blocks/0/block_id"),
    ],
)
def test_block_limits(block: dict[str, Any], pointer: str) -> None:
    errs = validate_blocks([block], "message")
    assert errs, block
    assert any(pointer in e for e in errs), errs


def button(**kw: Any) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": "B"}, **kw}


@pytest.mark.parametrize(
    ("element", "fragment"),
    [
        (button(text={"type": "plain_text", "text": "x" * 76}), "/text/text"),
        (button(value="v" * 2001), "/value"),
        (button(url="u" * 3001), "/url"),
        (button(action_id="a" * 256), "/action_id"),
        (
            {
                "type": "static_select",
                "options": [
                    {"text": {"type": "plain_text", "text": "o"}, "value": str(i)}
                    for i in range(101)
                ],
            },
            "/options",
        ),
        (
            {
                "type": "static_select",
                "options": [{"text": {"type": "plain_text", "text": "o" * 76}, "value": "v"}],
            },
            "/options/0/text/text",
        ),
        (
            {
                "type": "static_select",
                "options": [{"text": {"type": "plain_text", "text": "o"}, "value": "v" * 151}],
            },
            "/options/0/value",
        ),
    ],
)
def test_element_limits(element: dict[str, Any], fragment: str) -> None:
    errs = validate_blocks([{"type": "actions", "elements": [element]}], "message")
    assert any(f"/blocks/0/elements/0{fragment}" in e for e in errs), errs


def test_actions_max_25_elements() -> None:
    elements = [button(action_id=f"a{i}") for i in range(26)]
    errs = validate_blocks([{"type": "actions", "elements": elements}], "message")
    assert errs == ["must be less than 26 items [json-pointer:/blocks/0/elements]"]


def test_duplicate_ids() -> None:
    errs = validate_blocks([section(block_id="x"), section(block_id="x")], "message")
    assert any("duplicate block_id" in e for e in errs)
    # Slack: action_id must be unique among the action_ids of its containing block.
    same_block = [{"type": "actions", "elements": [button(action_id="a"), button(action_id="a")]}]
    assert any("duplicate action_id" in e for e in validate_blocks(same_block, "message"))
    across_blocks = [
        {"type": "actions", "elements": [button(action_id="a")]},
        {"type": "actions", "elements": [button(action_id="a")]},
    ]
    assert validate_blocks(across_blocks, "message") == []


def test_input_only_in_views() -> None:
    assert validate_blocks([text_input()], "message")
    assert validate_blocks([text_input()], "modal") == []
    assert validate_blocks([text_input()], "home") == []
    no_label = text_input()
    del no_label["label"]
    assert validate_blocks([no_label], "modal")
    no_el = text_input()
    del no_el["element"]
    assert validate_blocks([no_el], "modal")
    long_label = text_input()
    long_label["label"]["text"] = "l" * 2001
    assert validate_blocks([long_label], "modal")


def test_plain_text_input_limits() -> None:
    assert validate_blocks([text_input(max_length=3001)], "modal")
    assert validate_blocks([text_input(max_length=5, initial_value="123456")], "modal")
    assert validate_blocks([text_input(max_length=6, initial_value="123456")], "modal") == []


def test_view_rules() -> None:
    assert validate_view(modal([text_input()])) == []
    long_title = modal([], title={"type": "plain_text", "text": "t" * 25})
    assert validate_view(long_title) == [
        "must be less than 25 characters [json-pointer:/view/title/text]"
    ]
    assert validate_view(modal([], submit={"type": "plain_text", "text": "s" * 25}))
    assert validate_view(modal([], close={"type": "plain_text", "text": "s" * 25}))
    assert validate_view(modal([], private_metadata="p" * 3001))
    assert validate_view(modal([], callback_id="c" * 256))
    no_submit = modal([text_input()])
    del no_submit["submit"]
    assert any("submit" in e for e in validate_view(no_submit))
    assert validate_view(modal([section()] * 101))
    assert validate_view({"type": "home", "blocks": [section()] * 100}) == []
    assert validate_view({"type": "bogus", "blocks": []})


def test_message_text_limit() -> None:
    assert validate_message_text("x" * 40_000) == []
    assert validate_message_text("x" * 40_001)
