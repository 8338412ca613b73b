"""Values from what a browser or a phone sent (forms, JSON): read strictly,
anything odd refused, never a server error."""

import math

MAX_ID = 2**31 - 1


def record_id(value):
    """A record id (a number or its digits), or 0 for anything else."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else 0
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit():
        return 0
    number = int(text)
    return number if 0 < number <= MAX_ID else 0


def finite_number(value):
    """A finite float; ValueError (or TypeError) otherwise."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number
