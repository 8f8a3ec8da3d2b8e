"""Button data: every number in it must fit a database id, checked where data is unpacked."""

from __future__ import annotations

import pytest

from handlers import callbacks


@pytest.mark.parametrize("n", [0, 1, 2**31 - 1, -(2**31)])
def test_ids_a_database_can_hold_pass(n: int) -> None:
    assert callbacks.unpack(f"pf1:{n}", callbacks.PORTFOLIO, 1) == [str(n)]
    assert callbacks.unpack(f"ct1:x:{n}", "ct1", 2) == ["x", str(n)]


@pytest.mark.parametrize("n", [2**31, 2**63, 10**40, -(2**31) - 1])
def test_ids_beyond_a_database_integer_are_stale_buttons(n: int) -> None:
    assert callbacks.unpack(f"pf1:{n}", callbacks.PORTFOLIO, 1) is None
    assert callbacks.unpack(f"sm1:x:{n}", "sm1", 2) is None
    assert callbacks.unpack(f"pp1:{n}:0:o", callbacks.ADVISEES, 3) is None


def test_words_and_codes_are_not_numbers() -> None:
    assert callbacks.unpack("ob1:n:K7PMQ2XD", callbacks.CONSENT, 2) == ["n", "K7PMQ2XD"]
    assert callbacks.unpack("ob1:n:99999999", callbacks.CONSENT, 2) == ["n", "99999999"]
