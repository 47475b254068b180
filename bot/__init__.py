"""Kettle: a Slack app that looks after a Community of Practice."""

__version__ = "0.1.0"
