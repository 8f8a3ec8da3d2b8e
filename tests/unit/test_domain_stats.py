"""Medians of durations, as response times use them."""

from datetime import timedelta

from domain.stats import median_duration


def test_no_values_have_no_median() -> None:
    assert median_duration([]) is None


def test_an_odd_count_takes_the_middle_value_whatever_the_order() -> None:
    hours = [timedelta(hours=h) for h in (5, 1, 3)]
    assert median_duration(hours) == timedelta(hours=3)


def test_an_even_count_takes_the_mean_of_the_two_middle_values() -> None:
    hours = [timedelta(hours=h) for h in (4, 1, 3, 10)]
    assert median_duration(hours) == timedelta(hours=3, minutes=30)


def test_one_value_is_its_own_median_and_generators_work() -> None:
    assert median_duration(timedelta(minutes=m) for m in [7]) == timedelta(minutes=7)
