"""Knowledge: the full story a click away, consent-gated publishing, curation, tips, blog, health
and call-outs to the movement. Each concern has its module; this one registers them."""

from __future__ import annotations

from slack_bolt import App

from bot.builders.ids import Command, KnowledgeIds
from handlers import registry
from handlers.knowledge import callouts
from handlers.knowledge.curation import cop_tip, cop_tips, on_pick, on_tip_button, on_tip_submitted
from handlers.knowledge.publishing import (
    on_approve,
    on_decline,
    on_propose,
    on_withdraw,
    on_withdraw_story,
)
from handlers.knowledge.reports import cop_blog, cop_digest, cop_health
from handlers.knowledge.story import on_read
from handlers.middleware import convenors_only, members_only, workspace_users


def register(app: App) -> None:
    app.action(KnowledgeIds.READ, middleware=[members_only])(on_read)
    app.action(KnowledgeIds.PROPOSE, middleware=[convenors_only])(on_propose)
    app.action(KnowledgeIds.APPROVE, middleware=[workspace_users])(on_approve)
    app.action(KnowledgeIds.DECLINE, middleware=[workspace_users])(on_decline)
    app.action(KnowledgeIds.WITHDRAW, middleware=[workspace_users])(on_withdraw)
    app.action(KnowledgeIds.WITHDRAW_STORY, middleware=[members_only])(on_withdraw_story)
    app.action(KnowledgeIds.PICK, middleware=[convenors_only])(on_pick)
    app.action(KnowledgeIds.UNPICK, middleware=[convenors_only])(on_pick)
    app.action(KnowledgeIds.TIP_BUTTON, middleware=[convenors_only])(on_tip_button)
    app.view(KnowledgeIds.TIP_MODAL, middleware=[convenors_only])(on_tip_submitted)
    cop = Command.COP.value
    words = [
        ("digest", cop_digest, "[movement] — post the picked stories to the CoP (or the movement)"),
        ("tip", cop_tip, "<one line> — add a quick-fire tip"),
        ("tips", cop_tips, "— post the quick-fire tips roundup to the CoP"),
        ("blog", cop_blog, "— a Markdown blog draft of the picked stories, sent to you"),
        ("health", cop_health, "— the CoP's health: chart and summary, sent to you"),
    ]
    for word, listener, usage in words:
        registry.subcommand(app, cop, word, listener, access=registry.CONVENOR, usage=usage)
    callouts.register(app)
