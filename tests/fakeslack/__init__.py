"""Kettle's Slack test rig: a fake Slack Web API server plus signed inbound-request builders."""

from .blockkit import validate_blocks, validate_message_text, validate_view
from .server import FakeSlack, HeaderRecorder, SlackError
from .signing import SignedRequest, SlackSigner, build_state_values, state_value_for

__all__ = [
    "FakeSlack",
    "HeaderRecorder",
    "SignedRequest",
    "SlackError",
    "SlackSigner",
    "build_state_values",
    "state_value_for",
    "validate_blocks",
    "validate_message_text",
    "validate_view",
]
