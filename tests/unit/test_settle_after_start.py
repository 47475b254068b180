"""`kettle serve` moves what start-up built out of the collector's sight before serving."""

from __future__ import annotations

import gc

from bot.server import settle_after_start


def test_start_up_objects_are_frozen_and_new_ones_are_still_collected() -> None:
    try:
        settle_after_start()
        assert gc.get_freeze_count() > 10_000  # the modules, models and app built so far
        before = len(gc.get_objects())
        garbage = [[] for _ in range(1000)]
        for item in garbage:
            item.append(item)  # cycles: only the collector frees them
        del garbage, item
        gc.collect()
        assert len(gc.get_objects()) <= before + 100
    finally:
        gc.unfreeze()
