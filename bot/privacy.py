"""The smallest crowd an aggregate may describe.

Every figure a convenor sees over members' answers (a check-in mood spread, a health rate, a
meeting's pulse, how many pairing groups met) is built only from what members shared, and is shown only when at least
`MIN_SHARED` people shared: with fewer, one person's answer could be worked out by subtraction
from what the convenor already knows.
"""

from __future__ import annotations

MIN_SHARED = 3


def enough(people: int) -> bool:
    """Whether an aggregate over this many people's answers may be shown."""
    return people >= MIN_SHARED
