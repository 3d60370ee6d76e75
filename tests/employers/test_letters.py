"""The worker's letter (FR/NL/DE) and the receipt, as PDFs."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest

from vouchers.employers.services import letters

FACTS = letters.LetterFacts(
    worker_first_name="Amélie", worker_last_name="Peeters", employer_name="Boulangerie Dupont SRL",
    employer_address="Rue Haute 12\n1000 Bruxelles", contract_end_on=date(2025, 8, 31),
    apply_by_on=date(2026, 2, 28), voucher_value_cents=180_000, portal_url="https://portal.example",
    written_on=date(2025, 9, 5))

APPLY_BY = {"fr": "28 février 2026", "nl": "28 februari 2026", "de": "28. Februar 2026"}


def pdf_text(pdf: bytes) -> str | None:
    """The PDF's text with pdftotext, else pypdf; None when neither is installed."""
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True,
                              timeout=60).stdout.decode()
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    import io

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("lang", letters.LETTER_LANGUAGES)
def test_the_letter_names_the_last_day_to_apply(lang):
    html = letters.letter_html(FACTS, lang)
    assert APPLY_BY[lang] in html and 'class="apply-by"' in html
    assert f'lang="{lang}"' in html
    assert "https://portal.example" in html and "Amélie Peeters" in html
    pdf = letters.to_pdf(html)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    if text is not None:  # otherwise the HTML above, which is what goes into the PDF, was checked
        assert APPLY_BY[lang] in " ".join(text.split())


def test_the_letter_holds_no_national_number_and_refuses_other_languages():
    html = letters.letter_html(FACTS, "fr")
    assert "NISS" not in html
    with pytest.raises(ValueError):
        letters.letter_html(FACTS, "en")


def test_the_letter_escapes_what_the_employer_typed():
    facts = letters.LetterFacts(**{**FACTS.__dict__, "worker_first_name": "<b>Eve</b>"})
    assert "<b>Eve</b>" not in letters.letter_html(facts, "nl")


def test_receipt():
    html = letters.receipt_html(
        lang="en", employer_name="Boulangerie", enterprise_number="0403170701", declaration_id=7,
        worker_name="Amélie Peeters", contract_end_on=date(2025, 8, 31), amount_cents=180_000, paid_cents=180_000,
        reference="+++010/8068/17183+++", status="paid",
        payments=[{"booked_on": date(2025, 9, 2), "source": "stripe", "amount_cents": 180_000}],
        issued_on=date(2025, 9, 3))
    assert "+++010/8068/17183+++" in html and "€1,800.00" in html and "Card or Bancontact" in html
    assert letters.to_pdf(html).startswith(b"%PDF")
