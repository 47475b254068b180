"""Copying a checked form (a dataclass) onto the row it fills, field by field."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def copy_fields(
    source: DataclassInstance, row: object, *, renamed: Mapping[str, str] | None = None
) -> None:
    """Set every field of `source` on `row` under the same name, or the one `renamed` gives it.
    A name the row's class lacks is an error, not a stray attribute the database never sees."""
    renamed = renamed or {}
    for each in dataclasses.fields(source):
        name = renamed.get(each.name, each.name)
        if not hasattr(type(row), name):
            raise AttributeError(f"{type(row).__name__} has no {name!r} to copy into")
        setattr(row, name, getattr(source, each.name))
