"""What a search box of the fund understands (vouchers.search) and how names are folded (portal.search): pure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.search import MAX_WORDS, contains_pattern, fold
from vouchers.employers.domain import format_structured_reference
from vouchers.search import (
    ENTERPRISE,
    NAME,
    NISS,
    NOTHING,
    NUMBER,
    REFERENCE,
    VOUCHER_CODE,
    Search,
    read_search,
)

NISS_NUMBER = "85073003328"  # valid (stdnum.be.nn)
ENTERPRISE_NUMBER = "0403170701"  # valid (stdnum.be.vat)
REFERENCE_DIGITS = "090933755493"  # valid (mod 97)


@pytest.mark.parametrize("typed", [NISS_NUMBER, "85.07.30-033.28", "85 07 30 033 28", "850730-033.28",
                                   " 85.07.30-033.28 "])
def test_a_national_number_in_any_typing(typed):
    assert read_search(typed) == Search(NISS, NISS_NUMBER)


@pytest.mark.parametrize("typed", [ENTERPRISE_NUMBER, "BE0403170701", "BE 0403.170.701", "be 0403 170 701",
                                   "0403.170.701", "BE403170701"])
def test_an_enterprise_number_in_any_format(typed):
    assert read_search(typed) == Search(ENTERPRISE, ENTERPRISE_NUMBER)


@pytest.mark.parametrize("typed", [REFERENCE_DIGITS, "+++090/9337/55493+++", "***090/9337/55493***",
                                   "090/9337/55493", "090 9337 55493", "090.9337.55493", "+++ 090 / 9337 / 55493 +++"])
def test_a_structured_reference_in_any_typing(typed):
    assert read_search(typed) == Search(REFERENCE, REFERENCE_DIGITS)
    assert read_search(format_structured_reference(REFERENCE_DIGITS)) == Search(REFERENCE, REFERENCE_DIGITS)


def test_numbers_that_cannot_be_valid_find_nothing():
    assert read_search("090933755490").kind == NOTHING  # a reference whose check digits are wrong
    assert read_search("BE0403170702").kind == NOTHING  # an enterprise number whose check digits are wrong
    assert read_search("0").kind == NOTHING
    assert read_search("1234567890123456").kind == NOTHING
    assert read_search("9999999999").kind == NOTHING  # ten digits, no enterprise number, and no row has that id


@pytest.mark.parametrize("typed, number", [("19", 19), ("#19", 19), (" 2147483647 ", 2147483647), ("# 7", 7)])
def test_a_number(typed, number):
    assert read_search(typed) == Search(NUMBER, number)


@pytest.mark.parametrize("typed, code", [("TNW-7K2M-9QXA", "TNW-7K2M-9QXA"), ("tnw-7k2m-9qxa", "TNW-7K2M-9QXA"),
                                         ("TNW7K2M9QXA", "TNW-7K2M-9QXA"), ("tnw 7k2m 9qxa", "TNW-7K2M-9QXA"),
                                         ("TNW-000001", "TNW-000001")])
def test_a_voucher_code(typed, code):
    assert read_search(typed) == Search(VOUCHER_CODE, code)


def test_a_name_is_its_words_folded():
    assert read_search("  Hélène   DUPONT ") == Search(NAME, words=("helene", "dupont"))
    assert read_search("Ødegård Straße") == Search(NAME, words=("odegard", "strasse"))
    assert read_search("O'Brien-Smith") == Search(NAME, words=("o'brien-smith",))
    assert read_search("a b c d e f g").words == ("a", "b", "c", "d", "e")[:MAX_WORDS]


def test_nothing_typed_is_no_search():
    assert read_search(None) is None and read_search("") is None and read_search(" \t\n ") is None


def test_the_statement_depends_on_the_kind_and_the_count_of_words_only():
    assert read_search("Jean Dupont").shape == read_search("Anne Martin").shape == (NAME, 2)
    assert read_search("19").params() == {"q_value": 19}
    assert read_search("100%_x").params() == {"q_w0": "%100\\%\\_x%"}
    assert read_search("0403.170.701").params() == {"q_value": ENTERPRISE_NUMBER}


def test_fold_and_like_patterns():
    assert fold("Élodie Çağlar ÆSIR œuvre") == "elodie caglar aesir oeuvre"
    assert fold(None) is None
    assert contains_pattern("Hélène") == "%helene%"
    assert contains_pattern("a\\b") == "%a\\\\b%"


@given(st.text(max_size=100))
def test_anything_typed_is_read_without_error(text):
    found = read_search(text)
    assert found is None or found.kind in (NAME, NUMBER, VOUCHER_CODE, NISS, ENTERPRISE, REFERENCE, NOTHING)
    if found is not None and found.kind == NAME:
        assert 1 <= len(found.words) <= MAX_WORDS


@pytest.mark.parametrize("text", ["¹", "²³", "٣٤", "1¹"])
def test_digits_of_other_scripts_are_read_as_a_name_not_a_number(text):
    assert read_search(text).kind in (NAME, NOTHING)  # never an int() of "¹" (a ValueError, found on PostgreSQL)
