"""Pure Block Kit validation mirroring the limits Slack enforces.

Errors are strings shaped like Slack's own: ``"<problem> [json-pointer:/blocks/0/text/text]"``.
The fake server prefixes them with ``"[ERROR] "`` where Slack does (``response_metadata``).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "HOME_SURFACE",
    "MESSAGE_SURFACE",
    "MODAL_SURFACE",
    "validate_blocks",
    "validate_message_text",
    "validate_view",
]

MESSAGE_SURFACE = "message"
MODAL_SURFACE = "modal"
HOME_SURFACE = "home"
_SURFACES = (MESSAGE_SURFACE, MODAL_SURFACE, HOME_SURFACE)

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000

KNOWN_BLOCK_TYPES = frozenset(
    {
        "section",
        "divider",
        "image",
        "actions",
        "context",
        "input",
        "file",
        "header",
        "video",
        "rich_text",
        "markdown",
    }
)

_SELECTS = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)
_INTERACTIVE = _SELECTS | {
    "button",
    "overflow",
    "datepicker",
    "timepicker",
    "datetimepicker",
    "checkboxes",
    "radio_buttons",
    "workflow_button",
}
_INPUT_ONLY = frozenset(
    {
        "plain_text_input",
        "email_text_input",
        "url_text_input",
        "number_input",
        "rich_text_input",
        "file_input",
    }
)
ACTIONS_ELEMENTS = _INTERACTIVE | {"rich_text_input"}
ACCESSORY_ELEMENTS = (_INTERACTIVE - {"datetimepicker", "workflow_button"}) | {"image"}
INPUT_ELEMENTS = (
    _SELECTS
    | _INPUT_ONLY
    | {
        "datepicker",
        "timepicker",
        "datetimepicker",
        "checkboxes",
        "radio_buttons",
    }
)


def _ptr(path: str) -> str:
    return f" [json-pointer:{path}]"


class _Ctx:
    def __init__(self, surface: str) -> None:
        self.surface = surface
        self.errors: list[str] = []
        self.block_ids: set[str] = set()
        self.action_ids: set[str] = set()

    def err(self, msg: str, path: str) -> None:
        self.errors.append(msg + _ptr(path))

    # -- generic helpers -------------------------------------------------
    def max_len(self, value: Any, limit: int, path: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.err(f"must be less than {limit + 1} characters", path)

    def string(self, obj: dict[str, Any], key: str, limit: int, path: str, required: bool) -> None:
        if key not in obj:
            if required:
                self.err(f"missing required field: {key}", path)
            return
        value = obj[key]
        if not isinstance(value, str):
            self.err("must be a string", f"{path}/{key}")
            return
        self.max_len(value, limit, f"{path}/{key}")

    def text_obj(
        self,
        obj: Any,
        path: str,
        limit: int,
        *,
        plain_only: bool = False,
        min_len: int = 1,
    ) -> None:
        if not isinstance(obj, dict):
            self.err("must provide an object", path)
            return
        ttype = obj.get("type")
        if ttype not in ("plain_text", "mrkdwn"):
            self.err("must be one of plain_text, mrkdwn", f"{path}/type")
            return
        if plain_only and ttype != "plain_text":
            self.err("must be plain_text", f"{path}/type")
        text = obj.get("text")
        if not isinstance(text, str):
            self.err("missing required field: text", path)
            return
        if len(text) < min_len:
            self.err(f"must be more than {min_len - 1} characters", f"{path}/text")
        self.max_len(text, limit, f"{path}/text")

    def block_id(self, block: dict[str, Any], path: str) -> None:
        bid = block.get("block_id")
        if bid is None:
            return
        if not isinstance(bid, str) or not bid:
            self.err("must be a non-empty string", f"{path}/block_id")
            return
        self.max_len(bid, 255, f"{path}/block_id")
        if bid in self.block_ids:
            self.err(f"duplicate block_id '{bid}'", f"{path}/block_id")
        self.block_ids.add(bid)

    def action_id(self, element: dict[str, Any], path: str) -> None:
        aid = element.get("action_id")
        if aid is None:
            return
        if not isinstance(aid, str) or not aid:
            self.err("must be a non-empty string", f"{path}/action_id")
            return
        self.max_len(aid, 255, f"{path}/action_id")
        # Slack requires action_id to be unique within its containing block, not the whole view.
        block_scope = re.split(r"/(?:elements|element|accessory)\b", path)[0]
        if f"{block_scope}#{aid}" in self.action_ids:
            self.err(f"duplicate action_id '{aid}'", f"{path}/action_id")
        self.action_ids.add(f"{block_scope}#{aid}")

    def confirm(self, obj: Any, path: str) -> None:
        if obj is None:
            return
        if not isinstance(obj, dict):
            self.err("must provide an object", path)
            return
        for key, limit in (("title", 100), ("text", 300), ("confirm", 30), ("deny", 30)):
            if key in obj:
                self.text_obj(obj[key], f"{path}/{key}", limit, plain_only=key != "text")
            else:
                self.err(f"missing required field: {key}", path)

    def option(self, opt: Any, path: str, *, text_limit: int = 75, allow_mrkdwn: bool) -> None:
        if not isinstance(opt, dict):
            self.err("must provide an object", path)
            return
        self.text_obj(opt.get("text"), f"{path}/text", text_limit, plain_only=not allow_mrkdwn)
        value = opt.get("value")
        if value is None:
            self.err("missing required field: value", path)
        else:
            self.max_len(value, 150, f"{path}/value")
        if "description" in opt:
            self.text_obj(opt["description"], f"{path}/description", 75)
        if "url" in opt:
            self.max_len(opt["url"], 3000, f"{path}/url")

    def options(
        self,
        element: dict[str, Any],
        path: str,
        max_items: int,
        *,
        allow_mrkdwn: bool = False,
        required: bool = True,
    ) -> None:
        opts = element.get("options")
        groups = element.get("option_groups")
        if opts is None and groups is None:
            if required:
                self.err("missing required field: options", path)
            return
        if opts is not None:
            if not isinstance(opts, list) or not opts:
                self.err("must provide at least 1 item", f"{path}/options")
                return
            if len(opts) > max_items:
                self.err(f"must be less than {max_items + 1} items", f"{path}/options")
            for i, opt in enumerate(opts):
                self.option(opt, f"{path}/options/{i}", allow_mrkdwn=allow_mrkdwn)
        if groups is not None:
            if not isinstance(groups, list) or not groups:
                self.err("must provide at least 1 item", f"{path}/option_groups")
                return
            if len(groups) > 100:
                self.err("must be less than 101 items", f"{path}/option_groups")
            for gi, group in enumerate(groups):
                gpath = f"{path}/option_groups/{gi}"
                if not isinstance(group, dict):
                    self.err("must provide an object", gpath)
                    continue
                self.text_obj(group.get("label"), f"{gpath}/label", 75, plain_only=True)
                gopts = group.get("options")
                if not isinstance(gopts, list) or not gopts:
                    self.err("must provide at least 1 item", f"{gpath}/options")
                    continue
                if len(gopts) > 100:
                    self.err("must be less than 101 items", f"{gpath}/options")
                for i, opt in enumerate(gopts):
                    self.option(opt, f"{gpath}/options/{i}", allow_mrkdwn=False)

    # -- elements ----------------------------------------------------------
    def element(self, el: Any, path: str, allowed: frozenset[str] | set[str]) -> None:
        if not isinstance(el, dict):
            self.err("must provide an object", path)
            return
        etype = el.get("type")
        if etype not in allowed:
            self.err(f"unsupported type: {etype}", f"{path}/type")
            return
        if etype == "image":
            self._image_element(el, path)
            return
        self.action_id(el, path)
        if "placeholder" in el:
            self.text_obj(el["placeholder"], f"{path}/placeholder", 150, plain_only=True)
        if "confirm" in el:
            self.confirm(el["confirm"], f"{path}/confirm")
        if etype == "button":
            self.text_obj(el.get("text"), f"{path}/text", 75, plain_only=True)
            self.max_len(el.get("value"), 2000, f"{path}/value")
            self.max_len(el.get("url"), 3000, f"{path}/url")
            style = el.get("style")
            if style is not None and style not in ("primary", "danger"):
                self.err("must be one of primary, danger", f"{path}/style")
        elif etype in ("static_select", "multi_static_select"):
            self.options(el, path, 100)
        elif etype == "overflow":
            self.options(el, path, 5)
        elif etype in ("checkboxes", "radio_buttons"):
            self.options(el, path, 10, allow_mrkdwn=True)
        elif etype in ("plain_text_input", "rich_text_input"):
            max_length = el.get("max_length")
            min_length = el.get("min_length")
            if max_length is not None:
                if not isinstance(max_length, int) or max_length < 1:
                    self.err("must be a positive integer", f"{path}/max_length")
                elif max_length > 3000:
                    self.err("must be less than 3001", f"{path}/max_length")
            if min_length is not None:
                if not isinstance(min_length, int) or min_length < 0:
                    self.err("must be a non-negative integer", f"{path}/min_length")
                elif min_length > 3000:
                    self.err("must be less than 3001", f"{path}/min_length")
            initial = el.get("initial_value")
            if isinstance(initial, str):
                limit = max_length if isinstance(max_length, int) and max_length > 0 else 3000
                if len(initial) > limit:
                    self.err(
                        "initial_value must not be longer than max_length",
                        f"{path}/initial_value",
                    )
        if str(etype).startswith("multi_") and "max_selected_items" in el:
            msi = el["max_selected_items"]
            if not isinstance(msi, int) or msi < 1:
                self.err("must be a positive integer", f"{path}/max_selected_items")

    def _image_element(self, el: dict[str, Any], path: str) -> None:
        if "image_url" not in el and "slack_file" not in el:
            self.err("missing required field: image_url", path)
        self.max_len(el.get("image_url"), 3000, f"{path}/image_url")
        self.string(el, "alt_text", 2000, path, required=True)

    # -- blocks --------------------------------------------------------------
    def block(self, block: Any, path: str) -> None:
        if not isinstance(block, dict):
            self.err("must provide an object", path)
            return
        btype = block.get("type")
        if btype not in KNOWN_BLOCK_TYPES:
            self.err(f"unsupported type: {btype}", f"{path}/type")
            return
        self.block_id(block, path)
        handler = getattr(self, f"_block_{btype}", None)
        if handler is not None:
            handler(block, path)

    def _block_section(self, block: dict[str, Any], path: str) -> None:
        if "text" not in block and "fields" not in block:
            self.err("must provide either text or fields", path)
        if "text" in block:
            self.text_obj(block["text"], f"{path}/text", 3000)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not fields:
                self.err("must provide at least 1 item", f"{path}/fields")
            else:
                if len(fields) > 10:
                    self.err("must be less than 11 items", f"{path}/fields")
                for i, field in enumerate(fields):
                    self.text_obj(field, f"{path}/fields/{i}", 2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{path}/accessory", ACCESSORY_ELEMENTS)

    def _block_header(self, block: dict[str, Any], path: str) -> None:
        self.text_obj(block.get("text"), f"{path}/text", 150, plain_only=True)

    def _block_context(self, block: dict[str, Any], path: str) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.err("must provide at least 1 item", f"{path}/elements")
            return
        if len(elements) > 10:
            self.err("must be less than 11 items", f"{path}/elements")
        for i, el in enumerate(elements):
            epath = f"{path}/elements/{i}"
            if isinstance(el, dict) and el.get("type") == "image":
                self._image_element(el, epath)
            else:
                self.text_obj(el, epath, 3000)

    def _block_actions(self, block: dict[str, Any], path: str) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.err("must provide at least 1 item", f"{path}/elements")
            return
        if len(elements) > 25:
            self.err("must be less than 26 items", f"{path}/elements")
        for i, el in enumerate(elements):
            self.element(el, f"{path}/elements/{i}", ACTIONS_ELEMENTS)

    def _block_input(self, block: dict[str, Any], path: str) -> None:
        if self.surface == MESSAGE_SURFACE:
            self.err("unsupported type: input", f"{path}/type")
            return
        if "label" not in block:
            self.err("missing required field: label", path)
        else:
            self.text_obj(block["label"], f"{path}/label", 2000, plain_only=True)
        if "hint" in block:
            self.text_obj(block["hint"], f"{path}/hint", 2000, plain_only=True)
        if "element" not in block:
            self.err("missing required field: element", path)
        else:
            self.element(block["element"], f"{path}/element", INPUT_ELEMENTS)

    def _block_image(self, block: dict[str, Any], path: str) -> None:
        self._image_element(block, path)
        if "title" in block:
            self.text_obj(block["title"], f"{path}/title", 2000, plain_only=True)

    def _block_divider(self, block: dict[str, Any], path: str) -> None:
        return

    def _block_markdown(self, block: dict[str, Any], path: str) -> None:
        self.string(block, "text", 12000, path, required=True)


def validate_blocks(blocks: Any, surface: str = MESSAGE_SURFACE, *, pointer: str = "") -> list[str]:
    """Validate a list of blocks for a surface (``message``, ``modal`` or ``home``).

    Returns a list of Slack-style error strings; an empty list means valid.
    ``pointer`` is the JSON pointer of the blocks array's parent (``""`` for messages,
    ``"/view"`` for views).
    """
    if surface not in _SURFACES:
        raise ValueError(f"unknown surface: {surface!r}")
    ctx = _Ctx(surface)
    _validate_blocks_into(ctx, blocks, pointer)
    return ctx.errors


def _validate_blocks_into(ctx: _Ctx, blocks: Any, pointer: str) -> None:
    path = f"{pointer}/blocks"
    if not isinstance(blocks, list):
        ctx.err("must provide an array", path)
        return
    limit = MAX_MESSAGE_BLOCKS if ctx.surface == MESSAGE_SURFACE else MAX_VIEW_BLOCKS
    if len(blocks) > limit:
        ctx.err(f"must be less than {limit + 1} items", path)
    for i, block in enumerate(blocks):
        ctx.block(block, f"{path}/{i}")


def validate_view(view: Any) -> list[str]:
    """Validate a modal or home-tab view object. Pointers are rooted at ``/view``."""
    if not isinstance(view, dict):
        return ["must provide an object" + _ptr("/view")]
    vtype = view.get("type")
    if vtype not in (MODAL_SURFACE, HOME_SURFACE):
        return [f"must be one of modal, home{_ptr('/view/type')}"]
    ctx = _Ctx(vtype)
    if vtype == MODAL_SURFACE:
        if "title" not in view:
            ctx.err("missing required field: title", "/view")
        else:
            ctx.text_obj(view["title"], "/view/title", 24, plain_only=True)
        for key in ("submit", "close"):
            if key in view and view[key] is not None:
                ctx.text_obj(view[key], f"/view/{key}", 24, plain_only=True)
    ctx.max_len(view.get("private_metadata"), 3000, "/view/private_metadata")
    ctx.max_len(view.get("callback_id"), 255, "/view/callback_id")
    ctx.max_len(view.get("external_id"), 255, "/view/external_id")
    if "blocks" not in view:
        ctx.err("missing required field: blocks", "/view")
    else:
        _validate_blocks_into(ctx, view["blocks"], "/view")
    blocks = view.get("blocks")
    if (
        vtype == MODAL_SURFACE
        and isinstance(blocks, list)
        and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        and not view.get("submit")
    ):
        ctx.err("must provide submit when view contains input blocks", "/view/submit")
    return ctx.errors


def validate_message_text(text: Any) -> list[str]:
    """Slack rejects message text over 40,000 characters (``msg_too_long``)."""
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        return [f"must be less than {MAX_MESSAGE_TEXT + 1} characters" + _ptr("/text")]
    return []
