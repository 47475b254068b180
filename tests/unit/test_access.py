"""Every listener checks membership or role, except the few that are open by design."""

from __future__ import annotations

from handlers.middleware import convenors_only, members_only, members_or_choosing
from tests.unit.test_manifest import _app

# Open by design, each with its reason.
OPEN_BY_DESIGN = {
    "app_uninstalled": "Slack's own notice, no person behind it: forgets the workspace's tokens",
    "tokens_revoked": "Slack's own notice, no person behind it: forgets the workspace's tokens",
    "on_plain_dm": "answers anyone who writes to Kettle with what it is",
    "on_home_opened": "builds the outsider's App Home too (with the Apply button)",
    "on_member_joined": "keeps membership in step with the CoP channel",
    "on_member_left": "keeps membership in step with the CoP channel",
    "on_kettle_joined": "Kettle's own arrival in a channel sends what waited for it",
    "on_apply_button": "applying is open to anyone in the workspace",
    "on_apply_submitted": "applying is open to anyone in the workspace",
    "on_forget_delete": "data rights: only ever touches the presser's own data",
    "on_forget_keep": "data rights: only ever touches the presser's own data",
    "dispatch_cop": "checks each word's access itself (registry.subcommand)",
    "dispatch_round": "checks each word's access itself (registry.subcommand)",
    "dispatch_meeting": "checks each word's access itself (registry.subcommand)",
    "dispatch_checkin": "checks each word's access itself (registry.subcommand)",
    "on_approve": "the movement's responders approve their own answers (workspace users)",
    "on_decline": "the movement's responders decline their own answers (workspace users)",
    "on_withdraw": "an author may withdraw their own published story (workspace users)",
    "on_answer": "the wider movement answers call-outs (workspace users)",
    "on_answer_submitted": "the wider movement answers call-outs (workspace users)",
    "on_setup_submitted": "a workspace admin (users.info) or the CoP's convenor: checked itself",
    "on_setup_join": "a workspace admin (users.info) or the CoP's convenor: checked itself",
}


def test_every_listener_is_gated_or_open_by_design() -> None:
    app = _app()
    open_listeners = set()
    for listener in app._listeners:
        gates = [getattr(m, "func", None) for m in listener.middleware]
        if {members_only, convenors_only, members_or_choosing} & set(gates):
            continue
        open_listeners.add(listener.ack_function.__name__)
    assert open_listeners == set(OPEN_BY_DESIGN)
