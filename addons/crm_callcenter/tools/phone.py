"""Phone number normalization for numbers as PBXs send them."""

import re

import phonenumbers

_DIGITS_RE = re.compile(r"\d+")

# What Twilio puts in From when the caller withheld the number: these words
# on a phone keypad (ANONYMOUS, RESTRICTED, UNAVAILABLE, BLOCKED, UNKNOWN).
_HIDDEN_STAND_INS = frozenset(
    ("+266696687", "+7378742833", "+86282452253", "+2562533", "+8656696")
)


def _candidates(digits, raw):
    if raw.startswith("+"):
        return ["+" + digits]
    if digits.startswith("00"):
        return ["+" + digits[2:]]
    # A PBX often drops the "+" of an international number.
    return [digits, "+" + digits]


def normalize_number(number, country_code=None, dialout_prefix=None):
    """Return ``number`` in E.164 when it parses, else the trimmed raw string.

    ``country_code`` (ISO 3166 alpha-2) is used to read national numbers
    (``0901234567`` in VN, ``8 (912) 345-67-89`` in RU). International
    numbers written with ``00`` or without the ``+`` are accepted too, and
    a PBX ``dialout_prefix`` (``9`` in ``9 0901234567``) is dropped first.
    """
    raw = (number or "").strip()
    if not raw:
        return ""
    digits = "".join(_DIGITS_RE.findall(raw))
    if not digits:
        return raw
    candidates = []
    prefix = "".join(_DIGITS_RE.findall(dialout_prefix or ""))
    if (
        prefix
        and not raw.startswith("+")
        and digits.startswith(prefix)
        and len(digits) - len(prefix) >= 6
    ):
        # The number without the prefix is tried first, the raw one after.
        candidates.extend(_candidates(digits[len(prefix) :], raw))
    candidates.extend(_candidates(digits, raw))
    region = (country_code or "").upper() or None
    for candidate in candidates:
        try:
            parsed = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(
                parsed, phonenumbers.PhoneNumberFormat.E164
            )
    return raw


def is_hidden_number(number):
    """Whether a caller number a PBX sent says the caller hid it.

    Centers write a withheld caller ID as a word (``anonymous``,
    ``Restricted``, ``unknown``, ``private``...), as zeros (FreeSWITCH's
    ``0000000000``), or, for Twilio, as one of its keypad stand-ins
    (``+266696687`` spells ANONYMOUS). Nobody can call such a number back.
    An empty number is no number at all, not a hidden one.
    """
    raw = (number or "").strip()
    if not raw:
        return False
    digits = "".join(_DIGITS_RE.findall(raw))
    if not digits or not digits.strip("0"):
        return True
    return raw.startswith("+") and "+" + digits in _HIDDEN_STAND_INS
