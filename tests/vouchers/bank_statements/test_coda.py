"""Reading CODA files (issue #20): the shared real samples (read where they are, never copied), statements written
to the standard's positions, what real files get wrong, and malformed files refused with the line and the reason.
The format of an upload is told by its content (XML or CODA), never by its name."""

from __future__ import annotations

from datetime import date

import pytest

from tests.vouchers.bank_statements.coda_support import (
    NOV_20,
    Movement,
    coda,
    record,
    sample,
    sample_names,
)
from tests.vouchers.bank_statements.conftest import Entry, camt
from vouchers.banking import camt as camt_reader
from vouchers.banking import coda as coda_reader
from vouchers.banking import statement_files
from vouchers.employers.domain import format_structured_reference, reference_for

REF_1, REF_2 = reference_for(11), reference_for(12)


def test_the_samples_are_there():
    assert sample_names() == ["oca_Coda_iban_v2_3_multi_statements.txt", "oca_Coda_iban_v2_3_single_statement.txt",
                              "oca_Ontvangen_CODA.2012-01-11-18.59.15.txt", "php-coda-parser_sample1.cod",
                              "php-coda-parser_sample5.cod"]


def _lines(parsed: camt_reader.ParsedFile) -> list[camt_reader.ParsedLine]:
    return [line for statement in parsed.statements for line in statement.lines]


def _trailer_totals(data: bytes) -> tuple[int, int]:
    """The debit and credit totals the bank wrote in the trailers (record 9), in cents."""
    debit = credit = 0
    for line in data.decode("latin-1").splitlines():
        if line.startswith("9"):
            debit += int(line[22:37]) // 10
            credit += int(line[37:52]) // 10
    return debit, credit


# The fifth sample (php-coda-parser_sample5.cod) was anonymised by hand: its trailer no longer adds up.
@pytest.mark.parametrize("name", ["oca_Coda_iban_v2_3_multi_statements.txt", "oca_Coda_iban_v2_3_single_statement.txt",
                                  "oca_Ontvangen_CODA.2012-01-11-18.59.15.txt", "php-coda-parser_sample1.cod"])
def test_the_lines_add_up_to_the_banks_trailer_to_the_cent(name):
    data = sample(name)
    lines = _lines(statement_files.parse(data))
    debits = sum(line.amount_cents for line in lines if line.direction == "debit")
    credits = sum(line.amount_cents for line in lines if line.direction == "credit")
    assert (debits, credits) == _trailer_totals(data)
    assert all(line.booked and line.currency == "EUR" and line.amount_cents > 0 for line in lines)


def test_the_kbc_statement_with_a_structured_communication():
    parsed = statement_files.parse(sample("oca_Ontvangen_CODA.2012-01-11-18.59.15.txt"))
    assert (parsed.version, parsed.message_id) == ("CODA 2", "00178299")
    (statement,) = parsed.statements
    assert (statement.account, statement.currency, statement.statement_ref, statement.sequence,
            statement.legal_sequence) == ("BE46737018594236", "EUR", "2012-01-11/135", "003", "135")
    assert (statement.issued_on, statement.from_on, statement.to_on) == (date(2012, 1, 11),) * 3
    assert (statement.opening_balance_cents, statement.closing_balance_cents) == (1_181_270, 1_364_605)
    # The loan repayments (type 3: capital 419.92 and interest 59.12 in details) stay one line each.
    assert [(line.direction, line.amount_cents) for line in statement.lines] == [
        ("debit", 43_500), ("credit", 304_445), ("debit", 47_904), ("debit", 47_904), ("credit", 6_374)]
    paid = statement.lines[1]
    assert (paid.structured_reference, paid.reference_text, paid.counterparty_name, paid.counterparty_iban) == (
        "240283842818", "240283842818", "PARTNER 2", "BE61310126985517")
    assert (paid.booked_on, paid.value_on, paid.tx_reference) == (date(2012, 1, 11), date(2012, 1, 11),
                                                                  "OL4414AC8BOVSOVSOVERS")
    refund = statement.lines[4]
    assert (refund.structured_reference, refund.remittance_text, refund.end_to_end_id, refund.counterparty_name) == (
        None, "TERUGGAVE 37232481 8400083296 .", "362/363", "KBC VERZEKERINGEN NV")
    assert [line.entry_index for line in statement.lines] == [1, 2, 3, 4, 5]


def test_a_bank_total_is_split_into_its_details_and_card_payments_yield_no_reference():
    (statement,) = statement_files.parse(sample("oca_Coda_iban_v2_3_single_statement.txt")).statements
    assert (statement.account, statement.statement_ref, statement.sequence) == ("BE86407051416150", "2009-03-05/042",
                                                                                "002")
    assert len(statement.lines) == 30  # 15 movements of their own, 1 + 14 details of the two bank totals
    credits = [line for line in statement.lines if line.direction == "credit"]
    assert len(credits) == 15 and sum(line.amount_cents for line in credits) == 6_470_301
    sweep = [line for line in statement.lines if line.entry_index == 17]
    assert [line.tx_index for line in sweep] == list(range(1, 15))
    assert sum(line.amount_cents for line in sweep) == 260_800
    # Card payments (structured communication 114): their digits are no payer's reference.
    card = statement.lines[0]
    assert (card.amount_cents, card.structured_reference, card.reference_text) == (2_000, None, None)
    assert card.remittance_text.startswith("114: 931384384900569504030912048LANGERBRUGGE GENT")
    wages = statement.lines[10]
    assert (wages.amount_cents, wages.counterparty_name, wages.counterparty_iban, wages.remittance_text) == (
        14_830, "VIVIUM", "BE42310180203454", "ONG. SG 20-4203595 LOONVERLIES HAMERLYNCK TONY")


def test_two_statements_in_one_file():
    parsed = statement_files.parse(sample("oca_Coda_iban_v2_3_multi_statements.txt"))
    first, second = parsed.statements
    assert [(s.account, s.statement_ref, s.sequence) for s in parsed.statements] == [
        ("BE13001676096039", "2014-03-29/036", "036"), ("BE13001676096039", "2014-03-31/037", "037")]
    assert first.closing_balance_cents == second.opening_balance_cents == 3_957_569
    assert second.closing_balance_cents == 13_957_569
    (paid,) = first.lines
    assert (paid.direction, paid.amount_cents, paid.counterparty_name, paid.counterparty_iban, paid.remittance_text,
            paid.end_to_end_id) == ("debit", 12_240, "VZW SOCIAAL SECRET.SECUREX", "BE11290006307748",
                                    "PREVENTION ET PROTECTION", "201403281819027994ISABEL")
    (received,) = second.lines  # type 3 with a detail of charges (105): one payment
    assert (received.direction, received.amount_cents, received.counterparty_name, received.counterparty_iban,
            received.end_to_end_id, received.tx_index) == ("credit", 10_000_000, "LINE MARKET SA",
                                                           "NL34BKMG0261239759", "FT14090KG9S3", 0)


def test_the_anonymised_php_samples():
    (statement,) = statement_files.parse(sample("php-coda-parser_sample1.cod")).statements
    # Account structure 0 (an old Belgian account number); this one fails its check digits, so it is kept as it is.
    assert (statement.account, statement.statement_ref, statement.to_on) == ("138536152215", "2017-10-11/139",
                                                                            date(2017, 10, 11))
    assert [(line.amount_cents, line.reference_text, line.structured_reference, line.counterparty_name)
            for line in statement.lines] == [
        (500, "000003505158", None, "KLANT1 MET NAAM1"), (2_500, "000003515846", None, "KLANT2 NAAM2"),
        (2_000, "000003154982", None, "KLANT3 NAAM3"), (3_000, "000002133131", None, "KLANT4 - NAAM4 MET")]
    (statement,) = statement_files.parse(sample("php-coda-parser_sample5.cod")).statements
    # The same (anonymised, so invalid) reference: typed in the free text, then structured (101), then typed.
    assert [(line.amount_cents, line.reference_text, line.structured_reference) for line in statement.lines] == [
        (176_782, "112/4554/46812", None), (276_782, "112455446812", None), (176_782, "112/4554/46812", None)]
    assert statement.lines[0].remittance_text == "112/4554/46812 813 ANOTHER MESSAGE MESSAGE"
    assert statement.lines[0].counterparty_name == "BVBA.BAKKER PIET"


# --- statements written in the tests ---------------------------------------------------------------


def test_references_structured_and_typed_across_records():
    typed = "x" * 45 + format_structured_reference(REF_2) + " merci"  # runs over from record 2.1 into 2.2
    parsed = statement_files.parse(coda([Movement("1800.00", reference=REF_1), Movement("50.00", free_text=typed)]))
    assert parsed.version == "CODA 2"
    (statement,) = parsed.statements
    assert (statement.account, statement.statement_ref, statement.sequence) == ("BE71096123456769",
                                                                                "2026-11-20/214", "214")
    assert (statement.opening_balance_cents, statement.closing_balance_cents) == (100_000, 285_000)
    first, second = statement.lines
    assert (first.amount_cents, first.structured_reference, first.remittance_text) == (180_000, REF_1, None)
    assert (second.amount_cents, second.structured_reference) == (5_000, REF_2)
    assert second.reference_text == format_structured_reference(REF_2)
    assert (second.counterparty_name, second.counterparty_iban, second.booked_on) == ("Employer SA",
                                                                                      "BE68539007547034", NOV_20)


def test_a_bank_total_splits_only_when_its_details_add_up():
    parts = [Movement("100.00", reference=REF_1, transaction="60150000", name="Boulangerie SRL"),
             Movement("200.00", free_text=f"contribution {format_structured_reference(REF_2)}",
                      transaction="60150000", name="Garage BV")]
    (statement,) = statement_files.parse(coda([Movement("300.00", transaction="20150000", details=parts)])).statements
    assert [(line.entry_index, line.tx_index, line.amount_cents, line.structured_reference, line.counterparty_name)
            for line in statement.lines] == [(1, 1, 10_000, REF_1, "Boulangerie SRL"), (1, 2, 20_000, REF_2, "Garage BV")]
    parts[1].amount = "150.00"
    (statement,) = statement_files.parse(coda([Movement("300.00", transaction="20150000", details=parts)])).statements
    assert [(line.tx_index, line.amount_cents) for line in statement.lines] == [(0, 30_000)]


def test_cancellations_reversals_and_returns():
    (statement,) = statement_files.parse(coda([
        Movement("1800.00", credit=False, reference=REF_1, transaction="00199000"),  # a credit cancelled
        Movement("25.00", transaction="00149000"),  # a debit cancelled: money back, no contribution's
        Movement("1800.00", credit=False, reference=REF_1, r_type="4"),
        Movement("1800.00", credit=False, reference=REF_1, r_type="2", end_to_end="E2E-1"),
        Movement("10.00", credit=False),
    ])).statements
    assert [(line.direction, line.reversal, line.returned) for line in statement.lines] == [
        ("debit", True, False), ("credit", True, False), ("debit", True, False), ("debit", False, True),
        ("debit", False, False)]
    assert statement.lines[3].end_to_end_id == "E2E-1"


def test_what_real_files_get_wrong_is_read_alike():
    clean = coda([Movement("1800.00", reference=REF_1, name="Société Générale"),
                  Movement("12.50", free_text="frais\x00de dossier")])
    text = clean.decode("latin-1")
    messy = "\n" + "\r\n".join(line.rstrip() for line in text.split("\n")) + "\r\n\r\n"  # blanks cut, CRLF
    for data in (clean, messy.encode("latin-1"), ("\ufeff" + messy).encode("utf-8")):
        (statement,) = statement_files.parse(data).statements
        assert [(line.amount_cents, line.structured_reference, line.counterparty_name, line.remittance_text)
                for line in statement.lines] == [(180_000, REF_1, "Société Générale", None),
                                                 (1_250, None, "Employer SA", "frais de dossier")]


def test_an_old_belgian_account_number_becomes_its_iban():
    data = coda([Movement("10.00", iban="310180203454 EUR")]).decode("latin-1").splitlines()
    data[1] = record((1, "10214310180203454 EUR0BE"), (43, data[1][42:64]), (126, "214"))
    (statement,) = statement_files.parse("\n".join(data).encode()).statements
    assert statement.account == "BE42310180203454"
    assert statement.lines[0].counterparty_iban == "BE42310180203454"
    assert coda_reader.bban_to_iban("310180203455") is None


# --- telling the formats apart, and malformed files ----------------------------------------------------


def test_the_format_is_told_by_the_content():
    assert statement_files.parse(camt([Entry("10.00")])).version == "camt.053.001.02"
    assert statement_files.parse(b"\xef\xbb\xbf\n" + coda([Movement("10.00")])).version == "CODA 2"
    for data in (b"date;amount\n2026-11-20;1800\n", b"%PDF-1.7\n", b"0000 not a header"):
        with pytest.raises(camt_reader.CamtError) as refused:
            statement_files.parse(data)
        assert refused.value.code == "statement_format_unknown"
        assert "CAMT.053" in str(refused.value) and "CODA" in str(refused.value)
    with pytest.raises(camt_reader.CamtError) as refused:
        statement_files.parse(b" \r\n ")
    assert refused.value.code == "file_empty"


GOOD = coda([Movement("1800.00", reference=REF_1), Movement("12.50", free_text="frais")]).decode().splitlines()


def _with(index: int, position: int, text: str) -> bytes:
    lines = list(GOOD)
    lines[index] = lines[index][:position - 1] + text + lines[index][position - 1 + len(text):]
    return "\n".join(lines).encode()


@pytest.mark.parametrize("data, code, message", [
    ("\n".join([*GOOD[:2], "5" + " " * 127, *GOOD[2:]]).encode(), "coda_record_unknown",
     'Line 3 of the CODA file is not a CODA record (it starts with "5").'),
    ("\n".join([GOOD[0], GOOD[2], GOOD[1], *GOOD[3:]]).encode(), "coda_order",
     "Line 2 of the CODA file (record 2.1) is out of place"),
    ("\n".join(GOOD[:-2]).encode(), "coda_truncated", "records 8 and 9 are missing"),
    (_with(2, 33, "00000000018OO00"), "coda_invalid",
     'Line 3 of the CODA file (record 2.1): positions 33-47 read "00000000018OO00", which is not valid there.'),
    (_with(2, 32, "-"), "coda_invalid", "positions 32 read"),
    (_with(2, 116, "310226"), "coda_invalid", 'positions 116-121 read "310226"'),
    (_with(2, 47, "5"), "coda_invalid", "positions 33-47"),  # a third decimal: no amount in cents
    (_with(1, 2, "7"), "coda_invalid", "Line 2 of the CODA file (record 1): positions 2 read"),
    (_with(0, 128, "1"), "coda_invalid", "positions 128 read \"1\""),  # CODA version 1
    (_with(3, 3, "0009"), "coda_order", "Line 4 of the CODA file (record 2.2) is out of place"),
    (_with(2, 7, "0001"), "coda_order", "Line 3 of the CODA file (record 2.1) is out of place"),  # detail alone
    ("\n".join([GOOD[0], GOOD[0] + "X", *GOOD[1:]]).encode(), "coda_line_length",
     "Line 2 of the CODA file has 129 characters, not 128."),
    ("\n".join([*GOOD, GOOD[-1]]).encode(), "coda_order", "(record 9) is out of place"),
])
def test_malformed_coda_files_are_refused_with_the_line_and_the_reason(data, code, message):
    with pytest.raises(coda_reader.CodaError) as refused:
        statement_files.parse(data)
    assert refused.value.code == code
    assert message in str(refused.value)
    assert isinstance(refused.value, camt_reader.CamtError)  # the services refuse both formats alike
