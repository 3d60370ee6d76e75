"""Reading the bank's answers about our payouts, without a database: pain.002 status reports, and our own ids in a
statement line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.vouchers.payout_files import TxStatus, pain002
from vouchers.banking import pain002 as reader
from vouchers.banking.models import BankLine
from vouchers.banking.services.outgoing import our_ids


def test_a_report_is_read_with_every_level_of_status():
    report = reader.parse_status_report(pain002(
        "TNW-PAYOUT-20261120-00000007", message_id="PSR-1", group_status="PART", group_reason="NARR",
        block_status="ACCP", txs=[TxStatus("TNW-CLAIM-5", "RJCT", reason="AC04", text="Account  closed"),
                                  TxStatus("TNW-CLAIM-6")], created="2026-11-21T09:30:00"))
    assert (report.version, report.message_id, report.original_message_id) == (
        "pain.002.001.03", "PSR-1", "TNW-PAYOUT-20261120-00000007")
    assert report.created_at == datetime(2026, 11, 21, 8, 30, tzinfo=UTC)  # Brussels time, in UTC
    assert (report.group_status, report.group_reason.code, report.original_message_type) == (
        "PART", "NARR", "pain.001.001.03")
    [block] = report.payments
    assert (block.payment_info_id, block.status) == ("TNW-PAYOUT-20261120-00000007-1", "ACCP")
    first, second = block.transactions
    assert (first.end_to_end_id, first.status, first.reason) == ("TNW-CLAIM-5", "RJCT",
                                                                  reader.Reason("AC04", "Account closed"))
    assert (second.status, bool(second.reason)) == (None, False)


def test_later_versions_and_offsets_are_read():
    report = reader.parse_status_report(pain002("X", group_status="ACSC", version="10",
                                                created="2026-11-21T09:30:00+00:00"))
    assert report.version == "pain.002.001.10" and report.created_at == datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(("status", "outcome"), [("ACCP", "paid"), ("ACSC", "paid"), ("ACWC", "paid"),
                                                 ("RJCT", "rejected"), ("ACTC", None), ("PDNG", None),
                                                 ("PART", None), (None, None)])
def test_what_a_status_means(status, outcome):
    assert reader.outcome(status) == outcome


@pytest.mark.parametrize(("data", "code"), [
    (b'<!DOCTYPE x [<!ENTITY e "e">]><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"/>',
     "xml_doctype"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><Other/></Document>', "pain002_invalid"),
    (pain002("X", message_id="", group_status="ACCP"), "pain002_invalid"),
    (pain002("", group_status="ACCP"), "pain002_no_original"),
    (pain002("X", txs=[TxStatus("", "ACCP")]), "pain002_invalid"),
    (pain002("X", group_status="ACCP", created="yesterday"), "pain002_invalid"),
])
def test_what_is_refused(data, code):
    with pytest.raises(reader.StatusReportError) as refused:
        reader.parse_status_report(data)
    assert refused.value.code == code and str(refused.value)


def test_our_ids_in_a_statement_line():
    line = BankLine(end_to_end_id="tnw-claim-12-2", remittance_text="SEPA batch TNW-PAYOUT-20261120-00000007-1 | x",
                    reference_text=None, entry_reference="BANKREF", tx_reference=None)
    assert our_ids(line) == ["TNW-CLAIM-12-2", "TNW-PAYOUT-20261120-00000007-1"]
    assert our_ids(BankLine(end_to_end_id="NOTPROVIDED", remittance_text="Invoice 42")) == []
