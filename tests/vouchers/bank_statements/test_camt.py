"""Reading CAMT.053 files: the public samples (read where they are, never copied), the references and
enterprise numbers hidden in a line, and malformed files refused with a reason."""

from __future__ import annotations

from datetime import date

import pytest

from tests.vouchers.bank_statements.conftest import CAMT_XSD, SAMPLES, Entry, Tx, camt
from vouchers.banking import camt as camt_reader
from vouchers.banking import domain
from vouchers.employers.domain import reference_for

SAMPLE_FILES = sorted(SAMPLES.glob("*.xml"))


def test_the_samples_are_there():
    assert len(SAMPLE_FILES) == 6, SAMPLE_FILES


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_every_sample_parses(path):
    parsed = camt_reader.parse(path.read_bytes())
    assert parsed.statements
    for statement in parsed.statements:
        assert statement.account and statement.statement_ref
        for line in statement.lines:
            assert line.amount_cents > 0
            assert line.direction in ("credit", "debit")
            assert isinstance(line.booked_on, date)


def _only(path_name: str) -> camt_reader.ParsedStatement:
    parsed = camt_reader.parse((SAMPLES / path_name).read_bytes())
    assert len(parsed.statements) == 1
    return parsed.statements[0]


def test_the_monthly_belgian_statement_balances_to_the_cent():
    statement = _only("subite_BE68793230773034-202411.xml")
    assert statement.account == "BE68793230773034"
    assert len(statement.lines) == 268
    credits = [line for line in statement.lines if line.direction == "credit"]
    debits = [line for line in statement.lines if line.direction == "debit"]
    assert len(credits) == 4 and len(debits) == 264
    assert credits[0].amount_cents == 5_000_000  # "50000" without decimals
    assert sum(line.amount_cents for line in credits) == 18_000_000
    assert sum(line.amount_cents for line in debits) == 15_183_125
    # Opening 59,370.37 + credits - debits = closing 87,539.12.
    assert statement.opening_balance_cents == 5_937_037
    assert statement.closing_balance_cents == 8_753_912
    assert (statement.opening_balance_cents + sum(line.amount_cents for line in credits)
            - sum(line.amount_cents for line in debits)) == statement.closing_balance_cents


def test_a_batched_entry_becomes_one_line_per_payment_with_its_own_reference():
    parsed = camt_reader.parse((SAMPLES / "oca_test-camt053-txdtls.xml").read_bytes())
    assert parsed.version == "camt.053.001.04"
    lines = parsed.statements[0].lines
    assert [(line.entry_index, line.tx_index, line.amount_cents, line.currency) for line in lines] == [
        (1, 1, 218_700, "CHF"), (1, 2, 129_600, "CHF")]
    # Swiss ISR references, not Belgian ones: kept as text, never taken for a structured reference.
    assert [line.reference_text for line in lines] == ["302388292000011111111111111", "302388292000022222222222222"]
    assert all(line.structured_reference is None for line in lines)
    assert sum(line.amount_cents for line in lines) == 348_300


def test_the_german_sample_splits_its_batch_and_keeps_debits():
    statement = _only("viafintech_valid_example.xml")
    assert [(line.direction, line.amount_cents) for line in statement.lines] == [
        ("debit", 200), ("debit", 300), ("credit", 100), ("debit", 350), ("debit", 250)]
    assert statement.lines[3].entry_index == statement.lines[4].entry_index == 4


def test_the_sixteen_digit_reference_is_unverified_not_structured():
    line = _only("genkgo_camt053.v2.minimal.xml").lines[0]
    assert (line.direction, line.amount_cents) == ("credit", 885)
    assert line.structured_reference is None
    assert line.reference_text == "4654654654654654"


def test_the_dutch_sample_marks_its_reversed_batch():
    statement = _only("oca_test-camt053.xml")
    assert [(line.direction, line.amount_cents, line.reversal) for line in statement.lines] == [
        ("debit", 75425, False), ("debit", 56405, True), ("debit", 10000, True), ("credit", 140531, False)]


@pytest.mark.parametrize("name, expected", [
    ("genkgo_camt053.v2.minimal.xml", True), ("subite_BE68793230773034-202411.xml", True),
    ("tryton_account_statement_sepa_camt.053.001.02.xml", False), ("viafintech_valid_example.xml", False),
    ("oca_test-camt053-txdtls.xml", None)])
def test_the_xsd_check_is_information_only(name, expected):
    parsed = camt_reader.parse((SAMPLES / name).read_bytes())
    assert camt_reader.schema_valid(parsed, CAMT_XSD) is expected


def test_the_statements_written_in_the_tests_follow_the_xsd():
    reference = reference_for(7)
    data = camt([Entry("1800.00", acct_svcr_ref="A1", txs=[Tx(reference=reference)]),
                 Entry("20.00", direction="DBIT", txs=[Tx(debtor=None, debtor_iban=None, creditor="Supplier")])])
    parsed = camt_reader.parse(data)
    assert camt_reader.schema_valid(parsed, CAMT_XSD) is True
    assert parsed.statements[0].lines[0].structured_reference == reference


@pytest.mark.parametrize("version", ["02", "04", "08"])
def test_later_versions_are_read_alike(version):
    reference = reference_for(42)
    data = camt([Entry("1800.5", acct_svcr_ref="X9", txs=[Tx(reference=reference, debtor_id="BE0403170701")])],
                version=version)
    parsed = camt_reader.parse(data)
    assert parsed.version == f"camt.053.001.{version}"
    line = parsed.statements[0].lines[0]
    assert (line.amount_cents, line.structured_reference, line.enterprise_number) == (180050, reference, "0403170701")
    assert line.booked


# --- references and enterprise numbers in a line -------------------------------------------------


@pytest.mark.parametrize("strd, ustrd, expected", [
    (["010806817183"], [], "010806817183"),
    (["+++010/8068/17183+++"], [], "010806817183"),
    ([], ["Contribution +++010/8068/17183+++ thanks"], "010806817183"),
    ([], ["***010/8068/17183***"], "010806817183"),
    ([], ["ref 010/8068/17183"], "010806817183"),
    ([], ["010806817183"], "010806817183"),
    (["010806817180"], ["+++010/8068/17183+++"], "010806817183"),  # an invalid Strd never stops the search
    (["RF18539007547034"], [], None),  # an ISO creditor reference is not a Belgian one
    ([], ["0108068171830"], None),  # 13 digits: part of something else
    ([], ["invoice 2024-117"], None),
])
def test_structured_references_are_found_and_checked(strd, ustrd, expected):
    assert domain.find_structured_reference(strd, ustrd).structured == expected


def test_an_invalid_reference_is_kept_as_unverified_text():
    found = domain.find_structured_reference([], ["+++010/8068/17180+++"])
    assert found == domain.ReferenceFound(None, "+++010/8068/17180+++")


@pytest.mark.parametrize("texts, expected", [
    (["BE 0403.170.701"], "0403170701"),
    (["Company SA 0403170701"], "0403170701"),
    (["BE0403170701"], "0403170701"),
    (["0403.170.702"], None),  # wrong check digits
    (["BE71 0961 2345 6769"], None),  # an IBAN is not an enterprise number
    ([None, "", "nothing here"], None),
])
def test_enterprise_numbers_are_found_and_checked(texts, expected):
    assert domain.find_enterprise_number(texts) == expected


@pytest.mark.parametrize("text, cents", [("1800", 180000), ("1800.5", 180050), ("0.01", 1), ("18.000", 1800),
                                         ("-5.00", None), ("1,80", None), ("1.005", None), ("", None), (None, None),
                                         ("NaN", None), ("1e3", None)])
def test_amounts_become_cents_or_nothing(text, cents):
    assert domain.amount_to_cents(text) == cents


def test_suggestions_rank_the_payers_employer_first():
    day = date(2026, 12, 1)
    ranked = domain.rank_suggestions(180000, [
        domain.Candidate(1, 180000, day, same_employer=False),
        domain.Candidate(2, 50000, day, same_employer=True),
        domain.Candidate(3, 180000, day, same_employer=True),
        domain.Candidate(4, 70000, day, same_employer=False),
    ])
    assert [(s.contribution_id, s.reason) for s in ranked] == [(3, "employer_and_amount"), (2, "employer"),
                                                                (1, "amount")]


# --- malformed files ---------------------------------------------------------------------------


GOOD = camt([Entry("10.00")]).decode()


@pytest.mark.parametrize("data, code", [
    (b"", "file_empty"),
    (b"   \n", "file_empty"),
    (b"amount;reference\n1800;+++010/8068/17183+++\n", "xml_malformed"),
    (b"<Document><BkToCstmrStmt>", "xml_malformed"),
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>', "xml_doctype"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrNtfctn/></Document>',
     "not_camt053"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>', "not_camt053"),
    (b"<Document/>", "not_camt053"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>', "camt_invalid"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>',
     "no_statement"),
    (GOOD.replace('<Amt Ccy="EUR">10.00</Amt><CdtDbtInd>CRDT', '<Amt Ccy="EUR">ten</Amt><CdtDbtInd>CRDT').encode(),
     "camt_invalid"),
    (GOOD.replace("<CdtDbtInd>CRDT</CdtDbtInd><Sts>", "<CdtDbtInd>BOTH</CdtDbtInd><Sts>").encode(), "camt_invalid"),
    (GOOD.replace("<BookgDt><Dt>2026-11-20</Dt></BookgDt>", "<BookgDt><Dt>20/11/2026</Dt></BookgDt>").encode(),
     "camt_invalid"),
    (GOOD.replace("<Id>STMT-2026-11-20</Id>", "").encode(), "camt_invalid"),
    (GOOD.replace("<Acct><Id><IBAN>BE71096123456769</IBAN></Id>", "<Acct><Id></Id>").encode(), "camt_invalid"),
])
def test_malformed_files_are_refused_with_a_reason(data, code):
    with pytest.raises(camt_reader.CamtError) as refused:
        camt_reader.parse(data)
    assert refused.value.code == code
    assert str(refused.value)


def test_external_entities_are_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = (f'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY x SYSTEM "file://{secret}">]>'
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>').encode()
    with pytest.raises(camt_reader.CamtError) as refused:
        camt_reader.parse(data)
    assert "TOP-SECRET" not in str(refused.value)
