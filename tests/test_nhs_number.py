"""NHS numbers: ten digits, Modulus 11 check digit, spaces allowed on input."""

from __future__ import annotations

import pytest

from pao_clinic.record.nhs_number import format_nhs_number, nhs_number_problem, normalise_nhs_number


def modulus_11_check(nine_digits: str) -> int:
    """The check digit worked out independently of the code under test (10 means none exists)."""
    total = sum(int(digit) * weight for digit, weight in zip(nine_digits, (10, 9, 8, 7, 6, 5, 4, 3, 2)))
    remainder = 11 - total % 11
    return 0 if remainder == 11 else remainder


@pytest.mark.parametrize("text", [
    "9434765919",
    "943 476 5919",
    " 943 476 5919 ",
    "9434765900",  # 11 - remainder is 11, so the check digit is 0
    "4010232137",
])
def test_valid_numbers_have_no_problem(text):
    assert nhs_number_problem(text) is None


def test_the_examples_really_pass_the_check():
    assert modulus_11_check("943476591") == 9
    assert modulus_11_check("943476590") == 0


@pytest.mark.parametrize("text, expected", [
    ("9434765918", "the check digit does not match"),
    ("9434765910", "the check digit does not match"),
    ("943 476 5918", "the check digit does not match"),
])
def test_wrong_check_digit(text, expected):
    problem = nhs_number_problem(text)
    assert problem is not None and expected in problem
    assert f"'{text}'" in problem


@pytest.mark.parametrize("nine_digits", ["100000001", "943476596"])
def test_no_number_exists_when_the_check_works_out_as_10(nine_digits):
    assert modulus_11_check(nine_digits) == 10
    for last in "0123456789":
        problem = nhs_number_problem(nine_digits + last)
        assert problem is not None
        assert "no valid check digit exists" in problem


@pytest.mark.parametrize("text, digits", [
    ("943476591", 9),
    ("94347659190", 11),
    ("1", 1),
    ("943 476 591", 9),
])
def test_wrong_length(text, digits):
    assert nhs_number_problem(text) == f"'{text}' has {digits} digits; an NHS number has 10"


@pytest.mark.parametrize("text", ["94347659l9", "NHS9434765", "943-476-5919", "９４３４７６５９１９", "943\t476 5919"])
def test_only_digits_and_spaces(text):
    assert nhs_number_problem(text) == f"'{text}' must contain only digits (spaces allowed)"


@pytest.mark.parametrize("text", ["0000000000", "4444444444", "1111111111", "999 999 9999"])
def test_ten_equal_digits_are_not_a_number(text):
    problem = nhs_number_problem(text)
    assert problem is not None and "all ten digits are the same" in problem


def test_four_fours_would_pass_the_check_so_the_same_digit_rule_is_needed():
    assert modulus_11_check("444444444") == 4


@pytest.mark.parametrize("text", ["", "   "])
def test_empty(text):
    assert nhs_number_problem(text) == "is empty"


def test_normalised_to_ten_digits_and_shown_in_groups():
    assert normalise_nhs_number("943 476 5919") == "9434765919"
    assert format_nhs_number("9434765919") == "943 476 5919"
