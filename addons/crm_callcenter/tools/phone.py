"""Phone number normalization for numbers as PBXs send them."""

import re

import phonenumbers

_DIGITS_RE = re.compile(r"\d+")


def normalize_number(number, country_code=None):
    """Return ``number`` in E.164 when it parses, else the trimmed raw string.

    ``country_code`` (ISO 3166 alpha-2) is used to read national numbers
    (``0901234567`` in VN, ``8 (912) 345-67-89`` in RU). International
    numbers written with ``00`` or without the ``+`` are accepted too.
    """
    raw = (number or "").strip()
    if not raw:
        return ""
    digits = "".join(_DIGITS_RE.findall(raw))
    if not digits:
        return raw
    candidates = []
    if raw.startswith("+"):
        candidates.append("+" + digits)
    elif digits.startswith("00"):
        candidates.append("+" + digits[2:])
    else:
        candidates.append(digits)
        # A PBX often drops the "+" of an international number.
        candidates.append("+" + digits)
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
