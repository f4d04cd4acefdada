"""``clean_phone``'s fast path for plain national numbers gives exactly the parser's answer."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from sambandh.core.validation import _fast_phone, clean_phone


def parsed(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def samples(seed: int) -> list[str]:
    rng = random.Random(seed)
    found = []
    for _ in range(2500):
        length = rng.randint(3, 16)
        digits = "".join(rng.choice("0123456789") for _ in range(length))
        if rng.random() < 0.5:
            digits = rng.choice("6789") + digits[1:]  # Indian mobiles and their like
        if rng.random() < 0.2:
            digits = digits[:5] + rng.choice([" ", "-", ".", ""]) + digits[5:]
        if rng.random() < 0.1:
            digits = "(" + digits[:3] + ") " + digits[3:]
        roll = rng.random()
        if roll < 0.15:
            digits = "0" + digits  # with a national prefix
        elif roll < 0.3:
            code = rng.choice(["91", "977", "1", "44", "49", "971", "39", "54", "55", "65", "7"])
            digits = "+" + code + rng.choice([" ", ""]) + digits
        found.append(digits)
    return found + [
        "9876543210", "98765 43210", "919876543210", "09876543210", "2025550123",
        "+91 98765 43210", "+9198765 43210", "+91 098765 43210", "+1 212 555 0100", "+44 20 7946 0958",
    ]  # fmt: skip


@pytest.mark.parametrize("region", ["IN", "NP", "US", "GB", "DE", "AE", "IT", "AR", "BR", "SG"])
def test_the_fast_path_agrees_with_the_parser(region: str) -> None:
    fast_answers = 0
    for text in samples(sum(map(ord, region))):
        want = parsed(text, region)
        fast = _fast_phone(text, region)
        if fast is not None:
            fast_answers += 1
            assert fast == want, (text, region)
        if want is None:
            with pytest.raises(ValueError):
                clean_phone(text, default_region=region)
        else:
            assert clean_phone(text, default_region=region) == want, (text, region)
    if region in ("IN", "NP", "DE"):
        assert fast_answers > 50  # the fast path does serve these regions' numbers
