"""PDFs for employers: the letter that tells the worker about the coaching voucher (FR/NL/DE),
and the contribution's receipt.

The HTML comes from ``templates/employers/letter.html`` and ``receipt.html``, rendered
here with plain Jinja (no request needed) and turned into PDF by WeasyPrint. The
wording lives in this module, per language, so the letter reads the same whatever
the interface language of the person who downloads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import Environment, FileSystemLoader, select_autoescape

from portal.config import PROJECT_ROOT

LETTER_LANGUAGES = ("fr", "nl", "de")


RECEIPT_LANGUAGES = ("fr", "nl", "de", "en")


_env = Environment(loader=FileSystemLoader(str(PROJECT_ROOT / "templates")),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


# Each paragraph is formatted with: name, employer, contract_end, apply_by, value, portal.
LETTER_TEXTS: dict[str, dict[str, Any]] = {
    "fr": {
        "title": "Votre droit à un coaching pour retrouver du travail",
        "greeting": "Bonjour {name},",
        "intro": ("Votre contrat de travail chez {employer} a pris fin le {contract_end} pour force majeure "
                  "médicale. Nous savons que ce n'est pas un moment facile. Nous tenons à vous dire que vous "
                  "pouvez être accompagné·e, si vous le souhaitez, pour retrouver un travail qui vous convient."),
        "right": ("Le Fonds Retour au Travail (INAMI) vous offre un chèque de coaching d'une valeur de "
                  "{value} au maximum. Il paie un coach professionnel qui vous aide à faire le point, à "
                  "explorer des pistes et à préparer un nouveau départ, à votre rythme. Vous ne payez rien."),
        "deadline_title": "Le dernier jour pour demander le chèque",
        "deadline": "Vous pouvez le demander jusqu'au {apply_by} inclus (six mois après la fin de votre contrat).",
        "how_title": "Comment le demander ?",
        "how": [
            "Rendez-vous sur {portal} et vérifiez en quelques minutes si vous y avez droit.",
            "Créez votre compte avec votre numéro de registre national (au dos de votre carte d'identité).",
            "Choisissez un prestataire de coaching et envoyez votre demande. Le Fonds décide dans les 45 jours.",
        ],
        "providers_title": "Où trouver les prestataires de coaching ?",
        "providers": ("La liste des prestataires reconnus par l'INAMI se trouve sur {portal}, avec leurs lieux "
                      "d'accueil, leurs langues et leurs offres. Vous pouvez chercher près de chez vous. Le "
                      "coordinateur retour au travail de votre mutualité peut aussi vous aider à choisir."),
        "privacy": ("Cette lettre ne contient aucune information sur votre santé. Le coaching est libre : "
                    "c'est vous qui décidez."),
        "closing": "Nous vous souhaitons beaucoup de courage et plein de succès pour la suite.",
        "signature": "{employer}",
        "date_label": "Date",
        "colon": "\u00a0:",
    },
    "nl": {
        "title": "Uw recht op coaching om opnieuw aan het werk te gaan",
        "greeting": "Beste {name},",
        "intro": ("Uw arbeidsovereenkomst bij {employer} is op {contract_end} beëindigd wegens medische "
                  "overmacht. We weten dat dit geen gemakkelijk moment is. We willen u laten weten dat u, als "
                  "u dat wilt, begeleiding kunt krijgen om werk te vinden dat bij u past."),
        "right": ("Het Terug Naar Werk Fonds (RIZIV) biedt u een coachingscheque aan ter waarde van maximaal "
                  "{value}. Daarmee betaalt u een professionele coach die u helpt om stil te staan bij wat u "
                  "wilt, mogelijkheden te verkennen en een nieuwe start voor te bereiden, op uw eigen tempo. "
                  "U betaalt zelf niets."),
        "deadline_title": "De laatste dag om de cheque aan te vragen",
        "deadline": "U kunt hem aanvragen tot en met {apply_by} (zes maanden na het einde van uw contract).",
        "how_title": "Hoe vraagt u hem aan?",
        "how": [
            "Ga naar {portal} en kijk in enkele minuten of u er recht op hebt.",
            "Maak uw account aan met uw rijksregisternummer (op de achterkant van uw identiteitskaart).",
            "Kies een coachingsorganisatie en verstuur uw aanvraag. Het Fonds beslist binnen 45 dagen.",
        ],
        "providers_title": "Waar vindt u de coachingsorganisaties?",
        "providers": ("De lijst van de door het RIZIV erkende organisaties staat op {portal}, met hun "
                      "contactpunten, talen en aanbod. U kunt zoeken in uw buurt. De terug-naar-werkcoördinator "
                      "van uw ziekenfonds kan u ook helpen kiezen."),
        "privacy": ("Deze brief bevat geen informatie over uw gezondheid. De coaching is vrijwillig: u "
                    "beslist zelf."),
        "closing": "We wensen u veel moed en alle succes voor de toekomst.",
        "signature": "{employer}",
        "date_label": "Datum",
        "colon": ":",
    },
    "de": {
        "title": "Ihr Recht auf ein Coaching für den Weg zurück in die Arbeit",
        "greeting": "Guten Tag {name},",
        "intro": ("Ihr Arbeitsvertrag bei {employer} wurde am {contract_end} wegen medizinischer höherer Gewalt "
                  "beendet. Wir wissen, dass dies keine leichte Zeit ist. Wir möchten Ihnen sagen, dass Sie, "
                  "wenn Sie es wünschen, begleitet werden können, um eine Arbeit zu finden, die zu Ihnen passt."),
        "right": ("Der Fonds „Zurück zur Arbeit“ (LIKIV) bietet Ihnen einen Coaching-Scheck im Wert von bis zu "
                  "{value}. Damit wird ein professioneller Coach bezahlt, der Ihnen hilft, Bilanz zu ziehen, "
                  "Möglichkeiten zu erkunden und einen Neuanfang vorzubereiten, in Ihrem Tempo. Sie zahlen "
                  "nichts."),
        "deadline_title": "Der letzte Tag, um den Scheck zu beantragen",
        "deadline": "Sie können ihn bis einschließlich {apply_by} beantragen (sechs Monate nach Ende Ihres Vertrags).",
        "how_title": "Wie beantragen Sie ihn?",
        "how": [
            "Gehen Sie auf {portal} und prüfen Sie in wenigen Minuten, ob Sie Anspruch darauf haben.",
            "Erstellen Sie Ihr Konto mit Ihrer Nationalregisternummer (auf der Rückseite Ihres Personalausweises).",
            "Wählen Sie einen Coaching-Anbieter und senden Sie Ihren Antrag. Der Fonds entscheidet innerhalb von "
            "45 Tagen.",
        ],
        "providers_title": "Wo finden Sie die Coaching-Anbieter?",
        "providers": ("Die Liste der vom LIKIV anerkannten Anbieter finden Sie auf {portal}, mit ihren "
                      "Anlaufstellen, Sprachen und Angeboten. Sie können in Ihrer Nähe suchen. Der "
                      "Rückkehr-zur-Arbeit-Koordinator Ihrer Krankenkasse kann Ihnen auch bei der Wahl helfen."),
        "privacy": ("Dieser Brief enthält keine Angaben zu Ihrer Gesundheit. Das Coaching ist freiwillig: Sie "
                    "entscheiden selbst."),
        "closing": "Wir wünschen Ihnen viel Kraft und alles Gute für die Zukunft.",
        "signature": "{employer}",
        "date_label": "Datum",
        "colon": ":",
    },
}


RECEIPT_TEXTS: dict[str, dict[str, str]] = {
    "fr": {"title": "Reçu de cotisation", "fund": "Fonds Retour au Travail (INAMI)", "employer": "Employeur",
           "enterprise": "Numéro d'entreprise", "declaration": "Déclaration", "worker": "Travailleur",
           "contract_end": "Fin du contrat", "amount": "Cotisation", "paid": "Payé", "reference": "Communication structurée",
           "status": "Statut", "payments": "Paiements", "date": "Date", "source": "Moyen", "card": "Carte ou Bancontact",
           "bank": "Virement", "refund": "Remboursement", "issued": "Émis le", "none": "Aucun paiement reçu."},
    "nl": {"title": "Ontvangstbewijs bijdrage", "fund": "Terug Naar Werk Fonds (RIZIV)", "employer": "Werkgever",
           "enterprise": "Ondernemingsnummer", "declaration": "Aangifte", "worker": "Werknemer",
           "contract_end": "Einde contract", "amount": "Bijdrage", "paid": "Betaald", "reference": "Gestructureerde mededeling",
           "status": "Status", "payments": "Betalingen", "date": "Datum", "source": "Betaalwijze",
           "card": "Kaart of Bancontact", "bank": "Overschrijving", "refund": "Terugbetaling", "issued": "Uitgegeven op",
           "none": "Nog geen betaling ontvangen."},
    "de": {"title": "Quittung über den Beitrag", "fund": "Fonds Zurück zur Arbeit (LIKIV)", "employer": "Arbeitgeber",
           "enterprise": "Unternehmensnummer", "declaration": "Meldung", "worker": "Arbeitnehmer",
           "contract_end": "Vertragsende", "amount": "Beitrag", "paid": "Bezahlt", "reference": "Strukturierte Mitteilung",
           "status": "Status", "payments": "Zahlungen", "date": "Datum", "source": "Zahlungsart",
           "card": "Karte oder Bancontact", "bank": "Überweisung", "refund": "Erstattung", "issued": "Ausgestellt am",
           "none": "Noch keine Zahlung eingegangen."},
    "en": {"title": "Contribution receipt", "fund": "Return to Work Fund (INAMI/RIZIV)", "employer": "Employer",
           "enterprise": "Enterprise number", "declaration": "Declaration", "worker": "Worker",
           "contract_end": "Contract end", "amount": "Contribution", "paid": "Paid", "reference": "Structured reference",
           "status": "Status", "payments": "Payments", "date": "Date", "source": "Method", "card": "Card or Bancontact",
           "bank": "Bank transfer", "refund": "Refund", "issued": "Issued on", "none": "No payment received yet."},
}


STATUS_WORDS: dict[str, dict[str, str]] = {
    "fr": {"due": "à payer", "processing": "paiement en cours", "partially_paid": "payé en partie", "paid": "payé",
           "overpaid": "payé en trop", "refunded": "remboursé"},
    "nl": {"due": "te betalen", "processing": "betaling bezig", "partially_paid": "deels betaald", "paid": "betaald",
           "overpaid": "te veel betaald", "refunded": "terugbetaald"},
    "de": {"due": "zu zahlen", "processing": "Zahlung läuft", "partially_paid": "teilweise bezahlt",
           "paid": "bezahlt", "overpaid": "zu viel bezahlt", "refunded": "erstattet"},
    "en": {"due": "due", "processing": "payment processing", "partially_paid": "partially paid", "paid": "paid",
           "overpaid": "overpaid", "refunded": "refunded"},
}


def _money(cents: int, lang: str) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale=lang)


def _day(value: date, lang: str) -> str:
    return format_date(value, "long", locale=lang)


@dataclass(frozen=True)
class LetterFacts:
    worker_first_name: str
    worker_last_name: str
    employer_name: str
    employer_address: str
    contract_end_on: date
    apply_by_on: date
    voucher_value_cents: int
    portal_url: str
    written_on: date


def letter_html(facts: LetterFacts, lang: str) -> str:
    if lang not in LETTER_LANGUAGES:
        raise ValueError(f"letters are written in {', '.join(LETTER_LANGUAGES)}, not {lang!r}")
    texts = LETTER_TEXTS[lang]
    values = {
        "name": f"{facts.worker_first_name} {facts.worker_last_name}".strip(),
        "employer": facts.employer_name,
        "contract_end": _day(facts.contract_end_on, lang),
        "apply_by": _day(facts.apply_by_on, lang),
        "value": _money(facts.voucher_value_cents, lang),
        "portal": facts.portal_url,
    }
    rendered = {key: ([line.format(**values) for line in text] if isinstance(text, list) else text.format(**values))
                for key, text in texts.items()}
    return _env.get_template("employers/letter.html").render(
        lang=lang, t=rendered, facts=facts, apply_by=values["apply_by"], written_on=_day(facts.written_on, lang))


def receipt_context(*, lang: str, employer_name: str, enterprise_number: str, declaration_id: int, worker_name: str,
                    contract_end_on: date, amount_cents: int, paid_cents: int, reference: str, status: str,
                    payments: list[dict[str, Any]], issued_on: date) -> dict[str, Any]:
    """What the receipt says, worded and formatted in ``lang``: for the PDF and for the page to print."""
    lang = lang if lang in RECEIPT_LANGUAGES else "fr"
    texts = RECEIPT_TEXTS[lang]
    rows = [{"date": _day(p["booked_on"], lang),
             "source": texts["refund"] if p["amount_cents"] < 0 else texts["card" if p["source"] == "stripe" else "bank"],
             "amount": _money(p["amount_cents"], lang)} for p in payments]
    return {"lang": lang, "t": texts, "employer_name": employer_name, "enterprise_number": enterprise_number,
            "declaration_id": declaration_id, "worker_name": worker_name, "contract_end": _day(contract_end_on, lang),
            "amount": _money(amount_cents, lang), "paid": _money(paid_cents, lang), "reference": reference,
            "status": STATUS_WORDS[lang].get(status, status), "payments": rows, "issued_on": _day(issued_on, lang)}


def receipt_html(**facts: Any) -> str:
    return _env.get_template("employers/receipt.html").render(**receipt_context(**facts))


def to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=str(PROJECT_ROOT)).write_pdf()
