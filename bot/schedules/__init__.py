"""Recurring jobs, one module per capability; each decorates its setup with `@setup`.

Jobs are stored by reference ("module:function") in APScheduler's SQLAlchemy job store, with
stable ids and `replace_existing=True`, so restarts and several replicas never duplicate them.
"""

from __future__ import annotations

import importlib
import pkgutil

from bot.scheduler import Setup

SETUPS: list[Setup] = []


def setup(fn: Setup) -> Setup:
    """Register a function that adds a capability's jobs to the scheduler."""
    SETUPS.append(fn)
    return fn


def all_setups() -> list[Setup]:
    """Import every module in this package (which registers its setups) and return them."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return list(SETUPS)
