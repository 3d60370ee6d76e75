"""The fund's letter to an enterprise's registered office with the code that lets a person act for it (FR/NL/DE).

Written to the company, not to the person who asked: the office decides whether that person may act for it, and
hands over the code only then. Like the worker's letter (``services/letters.py``) the wording lives here per
language, rendered with plain Jinja from ``templates/employers/access/ownership_letter.html``, made a PDF by
WeasyPrint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, select_autoescape

from portal.config import PROJECT_ROOT
from vouchers.employers.company_access import domain
from vouchers.employers.services.letters import LETTER_LANGUAGES, to_pdf

_env = Environment(loader=FileSystemLoader(str(PROJECT_ROOT / "templates")),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)

# Each text is formatted with: company, number, person, email, asked_on, valid_until, portal.
TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Code pour agir au nom de votre entreprise sur le portail du Fonds Retour au Travail",
        "fund": "Fonds Retour au Travail (INAMI)",
        "reference": "Entreprise {number}",
        "date_label": "Date",
        "greeting": "Madame, Monsieur,",
        "asked": ("Le {asked_on}, {person} ({email}) a demandé à pouvoir déclarer des licenciements pour force "
                  "majeure médicale et payer les cotisations au nom de {company} (numéro d'entreprise {number}) "
                  "sur le portail du Fonds Retour au Travail."),
        "why": ("Pour que personne n'agisse au nom d'une entreprise à son insu, nous envoyons le code qui donne cet "
                "accès par la poste, au siège de l'entreprise tel que l'indique la Banque-Carrefour des "
                "Entreprises."),
        "give": "Si cette personne agit pour votre entreprise, donnez-lui ce code :",
        "where": "Elle le tape sur {portal} avant le {valid_until}. Le code ne sert qu'une fois.",
        "refuse": ("Si vous ne connaissez pas cette personne ou si elle ne doit pas agir pour votre entreprise, ne "
                   "lui donnez pas le code : sans lui, elle ne peut rien faire en votre nom. Vous pouvez nous le "
                   "signaler sur {portal}."),
        "closing": "Avec nos salutations distinguées,",
    },
    "nl": {
        "title": "Code om namens uw onderneming te handelen op het portaal van het Terug Naar Werk Fonds",
        "fund": "Terug Naar Werk Fonds (RIZIV)",
        "reference": "Onderneming {number}",
        "date_label": "Datum",
        "greeting": "Geachte mevrouw, geachte heer,",
        "asked": ("Op {asked_on} heeft {person} ({email}) gevraagd om namens {company} (ondernemingsnummer "
                  "{number}) ontslagen wegens medische overmacht aan te geven en de bijdragen te betalen op het "
                  "portaal van het Terug Naar Werk Fonds."),
        "why": ("Opdat niemand zonder medeweten van een onderneming in haar naam handelt, sturen we de code die "
                "deze toegang geeft per post naar de zetel van de onderneming, zoals de Kruispuntbank van "
                "Ondernemingen die vermeldt."),
        "give": "Als deze persoon voor uw onderneming handelt, geef hem of haar dan deze code:",
        "where": "Die wordt ingetypt op {portal} vóór {valid_until}. De code werkt maar één keer.",
        "refuse": ("Kent u deze persoon niet of mag die niet voor uw onderneming handelen, geef de code dan niet: "
                   "zonder code kan die niets in uw naam doen. U kunt het ons melden via {portal}."),
        "closing": "Met vriendelijke groeten,",
    },
    "de": {
        "title": "Code, um auf dem Portal des Fonds „Zurück zur Arbeit“ im Namen Ihres Unternehmens zu handeln",
        "fund": "Fonds Zurück zur Arbeit (LIKIV)",
        "reference": "Unternehmen {number}",
        "date_label": "Datum",
        "greeting": "Sehr geehrte Damen und Herren,",
        "asked": ("Am {asked_on} hat {person} ({email}) beantragt, im Namen von {company} (Unternehmensnummer "
                  "{number}) Entlassungen wegen medizinischer höherer Gewalt zu melden und die Beiträge auf dem "
                  "Portal des Fonds „Zurück zur Arbeit“ zu zahlen."),
        "why": ("Damit niemand ohne Wissen eines Unternehmens in seinem Namen handelt, senden wir den Code für "
                "diesen Zugang per Post an den Sitz des Unternehmens laut der Zentralen Datenbank der "
                "Unternehmen."),
        "give": "Wenn diese Person für Ihr Unternehmen handelt, geben Sie ihr diesen Code:",
        "where": "Sie gibt ihn vor dem {valid_until} auf {portal} ein. Der Code gilt nur einmal.",
        "refuse": ("Wenn Sie diese Person nicht kennen oder sie nicht für Ihr Unternehmen handeln soll, geben Sie "
                   "ihr den Code nicht: ohne ihn kann sie nichts in Ihrem Namen tun. Sie können es uns über "
                   "{portal} melden."),
        "closing": "Mit freundlichen Grüßen",
    },
}


def letter_language(language: str | None) -> str:
    """The language of the person who asked, when the letter exists in it; else French."""
    return language if language in LETTER_LANGUAGES else "fr"


@dataclass(frozen=True)
class OwnershipLetterFacts:
    company_name: str
    enterprise_number: str
    address: str
    person: str
    email: str
    asked_on: date
    code: str
    written_on: date
    portal_url: str


def letter_html(facts: OwnershipLetterFacts, lang: str) -> str:
    """The letter; its code works until ``CODE_VALID_DAYS`` after it is written (at least: it counts from the day
    the fund marks it sent)."""
    lang = letter_language(lang)
    values = {
        "company": facts.company_name, "number": domain.formatted_enterprise_number(facts.enterprise_number),
        "person": facts.person, "email": facts.email, "asked_on": format_date(facts.asked_on, "long", locale=lang),
        "valid_until": format_date(domain.expires_at_day(facts.written_on), "long", locale=lang),
        "portal": facts.portal_url,
    }
    texts = {key: text.format(**values) for key, text in TEXTS[lang].items()}
    return _env.get_template("employers/access/ownership_letter.html").render(
        lang=lang, t=texts, facts=facts, code=domain.formatted_code(facts.code),
        written_on=format_date(facts.written_on, "long", locale=lang))


def letter_pdf(facts: OwnershipLetterFacts, lang: str) -> bytes:
    return to_pdf(letter_html(facts, lang))
