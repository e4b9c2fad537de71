"""Values from other systems, made storable in PostgreSQL."""

# What an Integer field's column (int4) holds.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1

# PostgreSQL cannot store NUL in text, and JSON can carry it ("\u0000"); a
# query with it fails. It is stored as the replacement character, as an
# undecodable byte is.
NUL = "\x00"
REPLACEMENT = "\ufffd"


def without_nul(value):
    """``value`` with each NUL character replaced; in the strings of lists
    and dicts too (JSON documents). Other values are returned unchanged."""
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT) if NUL in value else value
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


class NulFree:
    """For dataclasses of what other systems answer: their strings are kept
    without NUL, set at creation or later."""

    def __setattr__(self, name, value):
        object.__setattr__(self, name, without_nul(value))
