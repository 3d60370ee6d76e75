"""Realistic bank statements for the matching test and the import benchmark: CAMT.053.001.02 files as Belgian banks
send them to the fund, seeded (the same seed gives the same world and the same files), each line labelled with what a
careful bookkeeper would book for it.

The world: employers (Faker's fr_BE/nl_BE names, valid enterprise numbers and IBANs) owing contributions, and social
secretariats paying for some of them. ``plan_employers`` describes it; ``build_world`` writes it through the
employers' services; ``StatementGenerator`` then writes one statement a day, with: structured references in the
structured field, or typed every way in the free text (+++…+++, ***…***, spaces, dots, dashes, slashes, bare digits,
inside words, cut in two by the bank's 140-character lines); several references in one transfer; partial payments
and their top-ups, over-payments; payments with only the payer's enterprise number (the only open contribution that
fits, or one of several); social secretariats paying for clients; wrong check digits; batched entries (with or
without each payment's amount); pending entries booked the next day; reversals and returns; entries repeated from the
day before; strangers' money; bank charges and other debits.

Each new line gets an ``Expected``: the allocations a careful bookkeeper books (``(contribution_id, cents)``,
negative when the line gives a credit back), whether the rules let it be booked without a person (``automatic``:
DOMAIN.md, "Reconciliation"), and what the person does with it otherwise (``match`` or ``dismiss``). The generator
keeps what the portal knows of each contribution (``known_owed``: what it still owes after the lines booked
automatically so far) to say which lines fit one contribution only.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from faker import Faker

from portal.demo.numbers import belgian_iban, enterprise_number
from tests.support import camt_writer as w

FUND_IBAN = "BE71096123456769"
CONTRIBUTION_CENTS = 180_000


@dataclass(frozen=True)
class EmployerSpec:
    key: int
    name: str
    enterprise_number: str
    iban: str
    contributions: int


@dataclass(frozen=True)
class Secretariat:
    name: str
    enterprise_number: str
    iban: str


@dataclass(frozen=True)
class Owed:
    """A contribution as the generator sees it: whose, its structured reference (12 digits), its amount."""

    id: int
    employer_key: int
    reference: str
    amount_cents: int


@dataclass
class Expected:
    bank_reference: str  # the entry's AcctSvcrRef
    tx_index: int  # its payment (from 1), or 0 for the whole entry
    variant: str
    allocations: tuple[tuple[int, int], ...]
    automatic: bool
    action: str  # "match" or "dismiss" when a person must act on it, "none" otherwise


@dataclass
class Day:
    statement: w.Statement
    expected: list[Expected] = field(default_factory=list)
    xml: bytes = b""  # the statement's file


def plan_employers(seed: int, count: int) -> list[EmployerSpec]:
    """``count`` employers; most owe one or two contributions, some three or four."""
    rng, fake = random.Random(seed), Faker(["fr_BE", "nl_BE"])
    fake.seed_instance(seed)
    return [EmployerSpec(key, fake.company()[:80], enterprise_number(3_100_000 + seed * 10_000 + key), belgian_iban(rng),
                         rng.choices((1, 2, 3, 4), weights=(45, 35, 12, 8))[0]) for key in range(count)]


def ogm(digits: str) -> str:
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def wrong_check_digits(digits: str) -> str:
    return digits[:-1] + str((int(digits[-1]) + 3) % 10)


# Ways a payer types a structured reference in the free text.
TYPED: dict[str, Callable[[str], str]] = {
    "plus": ogm,
    "stars": lambda d: f"***{d[:3]}/{d[3:7]}/{d[7:]}***",
    "spaces": lambda d: f"{d[:3]} {d[3:7]} {d[7:]}",
    "dots": lambda d: f"{d[:3]}.{d[3:7]}.{d[7:]}",
    "dashes": lambda d: f"{d[:3]}-{d[3:7]}-{d[7:]}",
    "slashes": lambda d: f"{d[:3]}/{d[3:7]}/{d[7:]}",
    "bare": lambda d: d,
    "in_words": lambda d: f"VCS{d}ontslag",
    "spaced_plus": lambda d: f"+++ {d[:3]} / {d[3:7]} / {d[7:]} +++",
}

WORDS = ("Bijdrage ontslag", "Cotisation licenciement", "Werkgeversbijdrage", "Contribution FRT", "TNW bijdrage",
         "Paiement cotisation", "Betaling", "Fonds Retour au Travail", "")

#: How often each kind of credit appears (weights).
VARIANTS = {
    "strd": 30, "typed": 22, "split_text": 3, "several": 5, "partial": 5, "topup": 4, "overpaid": 3,
    "secretariat_reference": 6, "secretariat_number": 3, "number_only": 6, "wrong_digits_number": 2,
    "wrong_digits": 2, "batch": 3, "batch_unsplit": 1, "pending": 2, "iban_only": 2, "stranger": 3,
}


class StatementGenerator:
    def __init__(self, seed: int, employers: list[EmployerSpec], contributions: list[Owed], *,
                 start: date, account: str = FUND_IBAN):
        self.rng, self.fake = random.Random(seed), Faker(["fr_BE", "nl_BE"])
        self.fake.seed_instance(seed)
        self.employers = {e.key: e for e in employers}
        self.by_employer: dict[int, list[Owed]] = {}
        for c in contributions:
            self.by_employer.setdefault(c.employer_key, []).append(c)
        self.contributions = {c.id: c for c in contributions}
        self.known_owed = {c.id: c.amount_cents for c in contributions}  # after what was booked automatically
        self.reserved: set[int] = set()  # targeted by a line a person books later, or given back: left alone after
        self.partly_paid: list[tuple[date, int]] = []  # (the day, the contribution) waiting for their top-up
        self.given_back = 0  # reversals and returns so far
        self.pending: set[int] = set()  # paid by an entry still pending: left alone until it is booked
        self.booked_credits: list[tuple[str, str, int, int]] = []  # (reference, end-to-end id, contribution, cents)
        self.secretariats = [Secretariat(name, enterprise_number(3_900_000 + seed * 10 + i), belgian_iban(self.rng))
                             for i, name in enumerate(("SD Worx", "Securex", "Partena Professional", "Acerta",
                                                       "Liantis", "Group S"))]
        self.day, self.sequence, self.balance, self.serial = start, 100, 25_000_000, 0
        self.pending_tomorrow: list[tuple[w.Entry, int]] = []
        self.yesterday: list[w.Entry] = []

    # --- helpers ----------------------------------------------------------------------------------------------

    def _ref(self) -> str:
        self.serial += 1
        return f"{self.day:%y%m%d}{self.serial:08d}"

    def _e2e(self) -> str:
        return f"E2E{self.rng.randrange(10**12):012d}"

    def _open(self, *, exclude: set[int]) -> list[Owed]:
        return [c for c in self.contributions.values() if self.known_owed[c.id] > 0 and c.id not in self.reserved
                and c.id not in exclude and c.id not in self.pending
                and all(c.id != cid for _day, cid in self.partly_paid)]

    def _pick(self, used: set[int], test: Callable[[Owed], bool] = lambda c: True) -> Owed | None:
        choices = [c for c in self._open(exclude=used) if test(c)]
        if not choices:
            return None
        chosen = self.rng.choice(choices)
        used.add(chosen.id)
        return chosen

    def _untouched(self, c: Owed) -> bool:
        """Nothing paid on it yet."""
        return self.known_owed[c.id] == c.amount_cents

    def _employer_of(self, c: Owed) -> EmployerSpec:
        return self.employers[c.employer_key]

    def _fitting(self, numbers: list[str], amount: int, pending: dict[int, int]) -> set[int]:
        keys = {e.key for e in self.employers.values() if e.enterprise_number in numbers}
        return {c.id for key in keys for c in self.by_employer.get(key, [])
                if self.known_owed[c.id] - pending.get(c.id, 0) == amount and self.known_owed[c.id] > 0}

    def _number_text(self, number: str) -> str:
        return self.rng.choice((f"KBO {number[:4]}.{number[4:7]}.{number[7:]}", f"BE {number}",
                                f"ondernemingsnr {number}", f"BCE {number[:4]} {number[4:7]} {number[7:]}"))

    # --- a day ------------------------------------------------------------------------------------------------

    def next_day(self, credits: int, *, repeat_from_yesterday: int = 3) -> Day:
        """One statement: ``credits`` credit entries (and debits, pending entries, reversals, repeats)."""
        self.day += timedelta(days=1)
        self.sequence += 1
        statement = w.Statement(f"STMT-{self.day:%Y%m%d}", self.sequence, FUND_IBAN, self.day, self.balance)
        day = Day(statement)
        statement.entries.extend(self.yesterday[-repeat_from_yesterday:] if repeat_from_yesterday else [])
        by_reference: list[tuple[w.Entry, int, list[int]]] = []  # booked first by the rules: by reference
        by_number: list[tuple[w.Entry, int, Owed, list[str]]] = []  # then by enterprise number and amount
        used: set[int] = set()
        for pending, cid in self.pending_tomorrow:  # yesterday's pending entries, booked under the same reference
            entry = copy.deepcopy(pending)
            entry.status, entry.booked_on = "BOOK", self.day
            statement.entries.append(entry)
            by_reference.append((entry, 1, [cid]))
            self.pending.discard(cid)
            used.add(cid)
        self.pending_tomorrow = []
        given_back: list[tuple[int, int]] = []
        self._reversals(statement, day, given_back)
        names = list(VARIANTS)
        for _ in range(credits):
            variant = self.rng.choices(names, weights=[VARIANTS[n] for n in names])[0]
            self._credit(variant, statement, day, used, by_reference, by_number)
        for _ in range(self.rng.randint(2, 5)):
            self._debit(statement, day)
        self._label(day, by_reference, by_number)
        for cid, cents in given_back:
            self.known_owed[cid] += cents
        day.xml = w.write(statement)
        self.balance = statement.closing_cents
        self.yesterday = [e for e in statement.entries if e.status == "BOOK" and not e.reversal and e.credit]
        return day

    def _payment(self, c: Owed, amount: int, *, typed: str | None = None, structured: bool = False,
                 payer: EmployerSpec | Secretariat | None = None, words: str | None = None) -> w.Payment:
        payer = payer or self._employer_of(c)
        text = words if words is not None else self.rng.choice(WORDS)
        payment = w.Payment(amount_cents=amount, end_to_end_id=f"{self._e2e()}-{c.id}", party_name=payer.name,
                            party_iban=payer.iban)
        if structured:
            payment.structured = [c.reference]
            if text:
                payment.unstructured = [text]
        elif typed:
            payment.unstructured = [f"{text} {TYPED[typed](c.reference)}".strip()]
        elif text:
            payment.unstructured = [text]
        return payment

    def _entry(self, payments: list[w.Payment], *, status: str = "BOOK", batch: bool = False,
               amount: int | None = None) -> w.Entry:
        total = amount if amount is not None else sum(p.amount_cents or 0 for p in payments)
        return w.Entry(total, True, self.day, self._ref(), payments, status=status, batch=batch)

    def _credit(self, variant: str, statement: w.Statement, day: Day, used: set[int],
                by_reference: list[tuple[w.Entry, int, list[int]]],
                by_number: list[tuple[w.Entry, int, Owed, list[str]]]) -> None:
        add = statement.entries.append
        full = self._untouched
        if variant == "stranger":
            entry = self._entry([w.Payment(amount_cents=self.rng.choice((2500, 12_000, 180_000, 45_060)),
                                           end_to_end_id=self._e2e(), party_name=self.fake.name(),
                                           party_iban=belgian_iban(self.rng),
                                           unstructured=[self.rng.choice(("Remboursement", "Terugbetaling factuur",
                                                                          "Don", "Huur"))])])
            add(entry)
            day.expected.append(Expected(entry.bank_reference, 1, variant, (), False, "dismiss"))
            return
        earlier = [item for item in self.partly_paid if item[0] < self.day]
        if variant == "topup" and not earlier:
            variant = "strd"
        if variant == "topup":
            self.partly_paid.remove(earlier[0])
            cid = earlier[0][1]
            c = self.contributions[cid]
            if self.rng.random() < 0.5:
                entry = self._entry([self._payment(c, self.known_owed[cid], structured=True)])
                by_reference.append((entry, 1, [cid]))
            else:  # the rest, with only the employer's number: it fits that contribution alone, or not
                employer = self._employer_of(c)
                entry = self._entry([self._payment(c, self.known_owed[cid], words=self._number_text(
                    employer.enterprise_number))])
                by_number.append((entry, 1, c, [employer.enterprise_number]))
            used.add(cid)
            add(entry)
            return
        if variant in ("several",):
            groups = [k for k, cs in self.by_employer.items()
                      if len([c for c in cs if full(c) and c.id not in self.reserved and c.id not in used]) >= 2]
            if not groups:
                variant = "strd"
            else:
                targets = [c for c in self.by_employer[self.rng.choice(groups)]
                           if full(c) and c.id not in self.reserved and c.id not in used][:3]
                used.update(c.id for c in targets)
                amount = sum(c.amount_cents for c in targets) - self.rng.choice((0, 0, 0, 30_000))
                payment = self._payment(targets[0], amount, words="")
                if self.rng.random() < 0.5:
                    payment.structured = [c.reference for c in targets]
                else:
                    payment.unstructured = [" ".join(TYPED[self.rng.choice(("plus", "slashes", "spaces"))](c.reference)
                                                     for c in targets)]
                entry = self._entry([payment])
                by_reference.append((entry, 1, [c.id for c in targets]))
                add(entry)
                return
        if variant in ("batch", "batch_unsplit"):
            targets = [c for c in (self._pick(used, full) for _ in range(self.rng.randint(2, 5))) if c]
            if not targets:
                return
            secretariat = self.rng.choice(self.secretariats)
            payments = [self._payment(c, c.amount_cents, structured=True, payer=secretariat) for c in targets]
            if variant == "batch":
                entry = self._entry(payments, batch=True)
                by_reference.extend((entry, index, [c.id]) for index, c in enumerate(targets, start=1))
            else:  # the bank gives each payment but not its amount: one line, which a person splits
                for p in payments:
                    p.amount_cents = None
                entry = self._entry(payments, batch=True, amount=sum(c.amount_cents for c in targets))
                self.reserved.update(c.id for c in targets)
                day.expected.append(Expected(entry.bank_reference, 0, variant,
                                             tuple((c.id, c.amount_cents) for c in targets), False, "match"))
            add(entry)
            return
        c = self._pick(used, full if variant not in ("strd", "typed") else (lambda c: True))
        if c is None:
            return
        owed, employer = self.known_owed[c.id], self._employer_of(c)
        if variant == "strd":
            entry = self._entry([self._payment(c, owed, structured=True)])
        elif variant == "typed":
            entry = self._entry([self._payment(c, owed, typed=self.rng.choice(list(TYPED)))])
        elif variant == "split_text":  # the bank cut the payer's text in two lines of its own
            text = f"{self.rng.choice(WORDS[:-1])} {ogm(c.reference)}"
            cut = text.index("/", text.index("+++")) + 1
            payment = self._payment(c, owed, words="")
            payment.unstructured = [text[:cut], text[cut:]]
            entry = self._entry([payment])
        elif variant == "partial":
            entry = self._entry([self._payment(c, self.rng.choice((50_000, 100_000, 90_000)), structured=True)])
            self.partly_paid.append((self.day, c.id))
        elif variant == "overpaid":
            entry = self._entry([self._payment(c, owed + self.rng.choice((5_000, 10_000, 18_000)), typed="plus")])
        elif variant == "pending":  # pending today, booked tomorrow under the same bank reference
            entry = self._entry([self._payment(c, owed, structured=True)], status="PDNG")
            self.pending_tomorrow.append((entry, c.id))
            self.pending.add(c.id)
            add(entry)
            day.expected.append(Expected(entry.bank_reference, 1, variant, (), False, "none"))
            return
        elif variant == "secretariat_reference":
            secretariat = self.rng.choice(self.secretariats)
            payment = self._payment(c, owed, typed=self.rng.choice(("plus", "spaces", "bare")), payer=secretariat,
                                    words=f"{employer.name[:40]}")
            payment.party_id = secretariat.enterprise_number
            entry = self._entry([payment])
        elif variant in ("secretariat_number", "number_only", "wrong_digits_number"):
            payer: EmployerSpec | Secretariat = employer
            words = self._number_text(employer.enterprise_number)
            if variant == "secretariat_number":
                payer = self.rng.choice(self.secretariats)
                words = f"{employer.name[:40]} {words}"
            if variant == "wrong_digits_number":
                words = f"{ogm(wrong_check_digits(c.reference))} {words}"
            payment = self._payment(c, owed, payer=payer, words=words)
            if isinstance(payer, Secretariat):
                payment.party_id = payer.enterprise_number
            entry = self._entry([payment])
            by_number.append((entry, 1, c, [employer.enterprise_number]))
            add(entry)
            return
        elif variant in ("wrong_digits", "iban_only"):
            words = ogm(wrong_check_digits(c.reference)) if variant == "wrong_digits" else self.rng.choice(WORDS)
            entry = self._entry([self._payment(c, owed, words=words)])
            self.reserved.add(c.id)
            add(entry)
            day.expected.append(Expected(entry.bank_reference, 1, variant, ((c.id, owed),), False, "match"))
            return
        else:  # pragma: no cover - every variant is handled above
            raise AssertionError(variant)
        by_reference.append((entry, 1, [c.id]))
        add(entry)

    def _reversals(self, statement: w.Statement, day: Day, given_back: list[tuple[int, int]]) -> None:
        """Some credits booked on earlier days come back: reversed by the bank, or returned."""
        for _ in range(self.rng.randint(1, 3)):
            if not self.booked_credits:
                return
            reference, e2e, cid, cents = self.booked_credits.pop(self.rng.randrange(len(self.booked_credits)))
            self.given_back += 1
            known = self.given_back % 4 != 0  # the bank repeats the payment's references, or (one in four) not
            payment = w.Payment(amount_cents=cents, end_to_end_id=e2e if known else None,
                                structured=[reference] if known else [],
                                party_name=self._employer_of(self.contributions[cid]).name)
            returned = self.given_back % 2 == 0
            if returned:
                payment.return_reason = "AC04"
            entry = w.Entry(cents, False, self.day, self._ref(), [payment], reversal=not returned,
                            family=("PMNT", "RCDT", "RRTN") if returned else ("PMNT", "RCDT", "ESCT"))
            statement.entries.append(entry)
            self.reserved.add(cid)
            if known:  # booked after the day's credits, as the rules say
                given_back.append((cid, cents))
            day.expected.append(Expected(entry.bank_reference, 1, "return" if returned else "reversal",
                                         ((cid, -cents),), known, "none" if known else "match"))

    def _debit(self, statement: w.Statement, day: Day) -> None:
        cents, name, text = self.rng.choice(((1_250, None, "Frais de gestion de compte"),
                                             (35, None, "Kosten overschrijving"),
                                             (48_000, "Imprimerie Dupont SPRL", "Facture 2026-118"),
                                             (150_000, "Coach & Co", "Uitbetaling prestaties")))
        entry = w.Entry(cents, False, self.day, self._ref(),
                        [w.Payment(amount_cents=cents, end_to_end_id=self._e2e(), party_name=name,
                                   party_is_creditor=True, party_iban=belgian_iban(self.rng) if name else None,
                                   unstructured=[text])],
                        family=("PMNT", "ICDT", "ESCT") if name else ("ACMT", "MDOP", "CHRG"))
        statement.entries.append(entry)
        day.expected.append(Expected(entry.bank_reference, 1, "debit", (), False, "none"))

    def _label(self, day: Day, by_reference: list[tuple[w.Entry, int, list[int]]],
               by_number: list[tuple[w.Entry, int, Owed, list[str]]]) -> None:
        """What a careful bookkeeper books, in the rules' order: the lines carrying references first (each
        contribution taking what it still owes, the last one any rest), then those naming an employer whose open
        contributions, of which exactly one fits the amount."""
        for entry, index, ids in by_reference:
            amount = entry.payments[index - 1].amount_cents or entry.amount_cents
            left, parts = amount, []
            for cid in ids:
                take = min(left, max(self.known_owed[cid], 0))
                if take:
                    parts.append([cid, take])
                    left -= take
            if left:
                if parts and parts[-1][0] == ids[-1]:
                    parts[-1][1] += left
                else:
                    parts.append([ids[-1], left])
            for cid, cents in parts:
                self.known_owed[cid] -= cents
            if len(parts) == 1 and entry.payments[index - 1].structured:
                self.booked_credits.append((entry.payments[index - 1].structured[0],
                                            entry.payments[index - 1].end_to_end_id or "", parts[0][0], amount))
            day.expected.append(Expected(entry.bank_reference, index, "reference",
                                         tuple((cid, cents) for cid, cents in parts), True, "none"))
        for entry, index, c, numbers in by_number:
            amount = entry.payments[index - 1].amount_cents or entry.amount_cents
            fitting = self._fitting(numbers, amount, {})
            # A careful bookkeeper books the one contribution that fits; the generator never means another one.
            assert len(fitting) != 1 or fitting == {c.id}, (c, fitting)
            automatic = fitting == {c.id}
            if automatic:
                self.known_owed[c.id] -= amount
            else:
                self.reserved.add(c.id)
            day.expected.append(Expected(entry.bank_reference, index, "enterprise_number", ((c.id, amount),),
                                         automatic, "none" if automatic else "match"))
