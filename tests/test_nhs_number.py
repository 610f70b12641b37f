"""NHS numbers: our messages on top of the `nhs-number` library, the CHI date rule, the issuing service."""

from __future__ import annotations

from datetime import date, timedelta

import nhs_number as nhs_library
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pao_clinic.record.nhs_number import (
    ENGLAND_WALES_ISLE_OF_MAN,
    NORTHERN_IRELAND,
    REPUBLIC_OF_IRELAND,
    RESERVED_RANGE,
    SCOTLAND,
    TEST_RANGE,
    UNALLOCATED_RANGE,
    format_nhs_number,
    is_never_issued,
    issuing_service,
    never_issued_warning,
    nhs_number_problem,
    normalise_nhs_number,
)

# Every DDMMYY that is somebody's date of birth, listed day by day rather than parsed:
# 2000-2099 holds every day and month of 1900-1999 too, and 29/02/00 besides.
REAL_DDMMYY = frozenset(
    (date(2000, 1, 1) + timedelta(days=n)).strftime("%d%m%y") for n in range(36525)
)


@pytest.mark.parametrize("text, where_from", [
    # the library's documented examples (its usage page, its tests, the NhsNumber docstring)
    ("4698194180", "nhs-number usage: is_valid"),
    ("7709030025", "nhs-number usage: England region"),
    ("9876543210", "nhs-number NhsNumber example, test range"),
    ("9876543210 ", "nhs-number tests: padded on the right"),
    ("9990000018", "nhs-number tests: generated number"),
    ("0607230002", "nhs-number tests: CHI with a leading zero (06/07/23)"),
    ("4000000632", "nhs-number tests: England and Wales"),
    # ours
    ("9434765919", "the exchange format's example"),
    ("943 476 5919", "spaced as it is shown"),
    (" 943 476 5919 ", "spaces around it"),
    ("9434765900", "11 - remainder is 11, so the check digit is 0"),
    ("4010232137", "England"),
    ("0101991231", "CHI born 01/01/99"),
    ("2902001231", "CHI born 29/02/00, 2000 was a leap year"),
    ("3202991248", "Northern Ireland: its first six digits need not be a date"),
])
def test_valid_numbers_have_no_problem(text, where_from):
    assert nhs_number_problem(text) is None, where_from


@pytest.mark.parametrize("text, expected", [
    # the library's documented invalid examples, in our words
    ("1234567890",
     "'1234567890' is not a valid NHS number (it is in the Scottish CHI range, whose first six digits "
     "are the date of birth as DDMMYY, and 12/34/56 is not a real date)"),
    ("123 456 789", "'123 456 789' has 9 digits; an NHS number has 10"),
    # wrong length
    ("943476591", "'943476591' has 9 digits; an NHS number has 10"),
    ("94347659190", "'94347659190' has 11 digits; an NHS number has 10"),
    ("1", "'1' has 1 digits; an NHS number has 10"),
    # not digits (the library would take 943-476-5919; the clinic writes numbers one way)
    ("94347659l9", "'94347659l9' must contain only digits (spaces allowed)"),
    ("NHS9434765", "'NHS9434765' must contain only digits (spaces allowed)"),
    ("943-476-5919", "'943-476-5919' must contain only digits (spaces allowed)"),
    ("９４３４７６５９１９", "'９４３４７６５９１９' must contain only digits (spaces allowed)"),
    ("943\t476 5919", "'943\t476 5919' must contain only digits (spaces allowed)"),
    # empty
    ("", "is empty"),
    ("   ", "is empty"),
    # all ten digits the same
    ("4444444444", "'4444444444' is not a real NHS number (all ten digits are the same)"),
    ("999 999 9999", "'999 999 9999' is not a real NHS number (all ten digits are the same)"),
    ("0000000000", "'0000000000' is not a real NHS number (all ten digits are the same)"),
    # wrong check digit
    ("9434765918",
     "'9434765918' is not a valid NHS number (the check digit does not match; please re-check the number)"),
    ("943 476 5910",
     "'943 476 5910' is not a valid NHS number (the check digit does not match; please re-check the number)"),
    ("0101991232",
     "'0101991232' is not a valid NHS number (the check digit does not match; please re-check the number)"),
    # no check digit possible
    ("9434765960",
     "'9434765960' is not a valid NHS number (no valid check digit exists for its first nine digits)"),
    ("4000000089",
     "'4000000089' is not a valid NHS number (no valid check digit exists for its first nine digits)"),
    ("1506881220",
     "'1506881220' is not a valid NHS number (no valid check digit exists for its first nine digits)"),
    # CHI range, first six digits not a date (each with the right check digit)
    ("3002991236",
     "'3002991236' is not a valid NHS number (it is in the Scottish CHI range, whose first six digits "
     "are the date of birth as DDMMYY, and 30/02/99 is not a real date)"),
    ("2902011237",
     "'2902011237' is not a valid NHS number (it is in the Scottish CHI range, whose first six digits "
     "are the date of birth as DDMMYY, and 29/02/01 is not a real date)"),
    ("011 399 1231",
     "'011 399 1231' is not a valid NHS number (it is in the Scottish CHI range, whose first six digits "
     "are the date of birth as DDMMYY, and 01/13/99 is not a real date)"),
])
def test_each_fault_has_its_own_message(text, expected):
    assert nhs_number_problem(text) == expected


def test_not_a_string():
    assert nhs_number_problem(9434765919) == "must be a string of 10 digits"


@pytest.mark.parametrize("impossible, real", [
    ("3002991236", "3001991232"),  # 30 February 1999 / 30 January 1999
    ("2902011237", "2902001231"),  # 29 February 2001 / 29 February 2000
])
def test_chi_number_is_refused_only_when_its_date_is_impossible(impossible, real):
    for digits in (impossible, real):  # both carry the right check digit: only the date differs
        assert nhs_library.calculate_checksum(digits[:9]) == int(digits[9])
    assert "is not a real date" in nhs_number_problem(impossible)
    assert nhs_number_problem(real) is None


def test_the_320299_numbers_are_northern_irish_so_their_first_digits_need_not_be_a_date():
    # 32/02/99 is no date, but 320 is past the CHI range's end (311 299 9999)
    assert issuing_service("3202991248") == NORTHERN_IRELAND
    assert nhs_number_problem("3202991248") is None


def test_the_library_passes_ten_equal_digits_so_our_own_rule_is_needed():
    assert nhs_library.is_valid("4444444444") is True
    assert nhs_number_problem("4444444444") is not None


@pytest.mark.parametrize("digits, service", [
    ("4010232137", ENGLAND_WALES_ISLE_OF_MAN),
    ("7709030025", ENGLAND_WALES_ISLE_OF_MAN),
    ("0607230002", SCOTLAND),
    ("3202991248", NORTHERN_IRELAND),
    ("8000000121", REPUBLIC_OF_IRELAND),
    ("9990000018", TEST_RANGE),
    ("943 476 5919", TEST_RANGE),
    ("5012345673", RESERVED_RANGE),
    ("0012345679", UNALLOCATED_RANGE),
    ("8600000009", UNALLOCATED_RANGE),
    # the edges of the ranges
    ("0099999999", UNALLOCATED_RANGE),
    ("0100000000", SCOTLAND),
    ("3112999999", SCOTLAND),
    ("3113000000", UNALLOCATED_RANGE),
    ("3199999999", UNALLOCATED_RANGE),
    ("3200000000", NORTHERN_IRELAND),
    ("3999999999", NORTHERN_IRELAND),
    ("4000000000", ENGLAND_WALES_ISLE_OF_MAN),
    ("5999999999", RESERVED_RANGE),
    ("6000000000", ENGLAND_WALES_ISLE_OF_MAN),
    ("7999999999", ENGLAND_WALES_ISLE_OF_MAN),
    ("8599999999", REPUBLIC_OF_IRELAND),
    ("8999999999", UNALLOCATED_RANGE),
    ("9000000000", TEST_RANGE),
])
def test_issuing_service(digits, service):
    assert issuing_service(digits) == service


def test_the_test_range_says_what_it_is():
    assert TEST_RANGE == "never issued to real people (test range)"


@pytest.mark.parametrize("text", ["943-476-5919", "943476591", "94347659l9", ""])
def test_issuing_service_needs_ten_digits(text):
    with pytest.raises(ValueError, match="must be ten digits"):
        issuing_service(text)


@pytest.mark.parametrize("digits, never_issued", [
    ("9434765919", True),   # the exchange format's example is a test number
    ("9990000018", True),   # the demo caseload's 999 numbers
    ("5012345673", True),
    ("0012345679", True),
    ("3113000009", True),
    ("4010232137", False),
    ("6000000006", False),
    ("0607230002", False),
    ("3202991248", False),
    ("8000000121", False),
])
def test_is_never_issued(digits, never_issued):
    assert is_never_issued(digits) is never_issued


def test_a_never_issued_number_gets_a_warning_naming_it_and_its_range():
    assert never_issued_warning("9990000018") == (
        "NHS number 999 000 0018 is never issued to real people (test range), "
        "so it cannot be this patient's; please check it before saving"
    )
    assert never_issued_warning("501 234 5673") == (
        "NHS number 501 234 5673 is never issued to real people (reserved range), "
        "so it cannot be this patient's; please check it before saving"
    )


@pytest.mark.parametrize("text", ["4010232137", "0607230002", "9434765918", "943476591", "4444444444"])
def test_no_warning_for_an_issued_number_or_one_that_is_not_valid(text):
    assert never_issued_warning(text) is None


def test_normalised_to_ten_digits_and_shown_in_groups():
    assert normalise_nhs_number("943 476 5919") == "9434765919"
    assert format_nhs_number("9434765919") == "943 476 5919"
    assert format_nhs_number("94347659") == "94347659"


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_our_verdict_is_the_librarys_except_for_ten_equal_digits(digits):
    ours = nhs_number_problem(digits) is None
    assert ours == (nhs_library.is_valid(digits) and len(set(digits)) > 1)


@given(
    day=st.integers(1, 31), month=st.integers(0, 19), year=st.integers(0, 99),
    serial=st.text(alphabet="0123456789", min_size=3, max_size=3),
)
def test_a_chi_number_with_a_good_check_digit_is_valid_exactly_when_its_date_is_real(day, month, year, serial):
    first_nine = f"{day:02}{month:02}{year:02}{serial}"
    assume(first_nine <= "311299999")  # the CHI range ends at 311 299 9999
    check = nhs_library.calculate_checksum(first_nine)
    assume(check != 10)
    digits = first_nine + str(check)
    problem = nhs_number_problem(digits)
    if digits[:6] in REAL_DDMMYY:
        assert problem is None
    else:
        assert problem is not None and f"{digits[:2]}/{digits[2:4]}/{digits[4:6]} is not a real date" in problem
    assert (problem is None) == nhs_library.is_valid(digits)
