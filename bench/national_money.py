"""Money in, for the national seeding (bench/seed_national.py): employers, their dismissal declarations and
contributions, the payments (bank transfers matched by structured reference, cards through Stripe, a few refunds),
the fund's daily bank statements with their lines and allocations, and the ledger entries of all of it, plus the
state's monthly funding.

Each contribution's state is the one its money gives (``employers.domain.contribution_status``); each matched bank
line's allocation is the payment of the same external id; each payment has its cash ledger entry: what the
money-in part of the consistency check (vouchers/ledger/services/consistency_money_in.py) compares.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

from bench.common import fast_niss
from bench.national_people import FUND_IBAN, World
from bench.national_vouchers import VALUE_CENTS

EMPLOYER_COLUMNS = ["id", "company_name", "enterprise_number", "onss_number", "address", "email", "phone", "iban",
                    "created_at"]
DECLARATION_COLUMNS = ["id", "employer_id", "declared_by_id", "worker_first_name", "worker_last_name", "worker_niss",
                       "contract_end_on", "physician_decision_on", "declared_on", "declaration_due_on", "status",
                       "created_at"]
CONTRIBUTION_COLUMNS = ["id", "declaration_id", "amount_cents", "due_on", "structured_reference", "status",
                        "payment_intent_id", "payment_attempt", "created_at", "updated_at", "reminder_sent_at",
                        "overdue_flagged_at"]
PAYMENT_COLUMNS = ["contribution_id", "source", "kind", "amount_cents", "external_id", "booked_on", "created_at"]
STATEMENT_COLUMNS = ["id", "account", "statement_ref", "sequence", "version", "currency", "issued_on", "from_on",
                     "to_on", "file_name", "file_sha256", "schema_valid", "imported_at", "imported_by", "status",
                     "lines_total", "lines_done"]
LINE_COLUMNS = ["id", "statement_id", "entry_index", "tx_index", "line_key", "direction", "amount_cents", "currency",
                "booked_on", "value_on", "status", "ignore_reason", "structured_reference", "reference_text",
                "counterparty_name", "counterparty_iban", "contribution_id", "match_method", "created_at"]
ALLOCATION_COLUMNS = ["line_id", "contribution_id", "amount_cents", "external_id", "created_at"]
SUFFIXES = ("SA", "SRL", "NV", "BV", "ASBL", "VZW", "SCRL", "CV")


class Money:
    """Builds the rows of money in; ``ledger`` receives the cash entries (the caller sorts and writes them)."""

    def __init__(self, world: World, ledger: list[tuple[Any, ...]]) -> None:
        self.world, self.ledger = world, ledger
        days = (world.today - world.start).days
        self.banking_days = [d for d in (world.start + timedelta(days=n) for n in range(days)) if d.weekday() < 5]
        self.statement_of = {day: number for number, day in enumerate(self.banking_days, 1)}
        self.lines: list[tuple[Any, ...]] = []
        self.allocations: list[tuple[Any, ...]] = []
        self.payments: list[tuple[Any, ...]] = []
        self.employers: list[tuple[Any, ...]] = []
        self.credits: list[tuple[Any, ...]] = []  # (day, order, contribution or None, cents, name, account)

    def employer_rows(self) -> list[tuple[Any, ...]]:
        from portal.demo.numbers import belgian_iban, enterprise_number

        world, rng = self.world, self.world.rng
        created = world.at(world.start, 8) - timedelta(days=60)
        for employer in range(1, world.sizes.employers + 1):
            name = "Secrétariat Social Bench ASBL" if employer == 1 else \
                f"{rng.choice(world.last_names)} {rng.choice(SUFFIXES)}"
            email = "payroll@bench.tnw.be" if employer == 1 else f"hr{employer}@employers.bench.tnw.be"
            self.employers.append((employer, name, enterprise_number(employer), f"{rng.randrange(10**9):010d}",
                                   f"Rue {rng.choice(world.last_names)} {employer}\n1000 Bruxelles", email,
                                   "+32 2 000 00 00", belgian_iban(rng), created))
        return self.employers

    def declarations(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The declarations (ids in the order they were made) and their contributions with their money."""
        from vouchers.employers.domain import reference_for

        world, rng, sizes = self.world, self.world.rng, self.world.sizes
        span = (world.today - world.start).days
        made = []
        for n in range(sizes.declarations):
            employer = 1 if n < sizes.clerk_declarations else 2 + int((sizes.employers - 1) * rng.random() ** 2)
            contract_end = world.start + timedelta(days=rng.randrange(span))
            declared = min(world.today, contract_end + timedelta(days=rng.randint(0, 40)))
            made.append((declared, employer, contract_end, n))
        made.sort()
        declarations, contributions = [], []
        for number, (declared, employer, contract_end, n) in enumerate(made, 1):
            first, last = world.name()
            decision = contract_end - timedelta(days=rng.randint(21, 120)) if rng.random() < 0.8 else None
            at = world.at(declared, 9, rng.randint(0, 59))
            due = contract_end + timedelta(days=45)
            declarations.append((number, employer, world.employer_user_id(employer), first, last,
                                 fast_niss(sizes.beneficiaries + 1 + n), contract_end, decision, declared, due,
                                 "declared", at))
            status, intent = self._pay(number, declared, due, self.employers[employer - 1])
            reminded = world.at(due - timedelta(days=10), 7) if status == "due" and due - timedelta(days=10) <= \
                world.today else None
            flagged = world.at(due + timedelta(days=1), 7) if status == "due" and due < world.today else None
            contributions.append((number, number, VALUE_CENTS, due, reference_for(number), status, intent,
                                  1 if intent else 0, at, max(at, reminded or at), reminded, flagged))
        return declarations, contributions

    def _pay(self, contribution: int, declared: date, due: date, employer: tuple[Any, ...]) -> tuple[str, str | None]:
        """Pays (or not) one contribution; returns its state and its PaymentIntent, if it was paid by card."""
        world, rng = self.world, self.world.rng
        paid_on = declared + timedelta(days=rng.randint(0, 50))
        draw = rng.random()
        by_card = rng.random() < 0.4
        if draw < 0.05 or paid_on >= world.today:
            return "due", None
        if draw < 0.08:
            return ("partially_paid" if self._bank(contribution, rng.choice((50_000, 90_000)), paid_on, employer)
                    else "due"), None
        if draw < 0.10:
            if not self._bank(contribution, VALUE_CENTS, paid_on, employer):
                return "due", None
            extra = self._bank(contribution, 20_000, paid_on + timedelta(days=3), employer)
            return ("overpaid" if extra else "paid"), None
        if by_card or draw < 0.11:
            intent = f"pi_bench_{contribution}"
            self._money(contribution, "stripe", "payment", VALUE_CENTS, intent, paid_on)
            refund_on = paid_on + timedelta(days=10)
            if draw < 0.11 and refund_on < world.today:
                self._money(contribution, "stripe", "refund", -VALUE_CENTS, f"re_bench_{contribution}", refund_on)
                return "refunded", intent
            return "paid", intent
        return ("paid" if self._bank(contribution, VALUE_CENTS, paid_on, employer) else "due"), None

    def _money(self, contribution: int, source: str, kind: str, cents: int, external_id: str, on: date) -> None:
        at = self.world.at(on, 11)
        self.payments.append((contribution, source, kind, cents, external_id, on, at))
        self.ledger.append((on, at, "cash", "contribution_paid" if cents > 0 else "contribution_refunded", cents,
                            None, contribution, None, f"{source} {external_id}"))

    def _day(self, on: date) -> date | None:
        """The first banking day from ``on`` whose statement is imported (None: not yet)."""
        return next((d for d in (on + timedelta(days=k) for k in range(4)) if d in self.statement_of), None)

    def _bank(self, contribution: int, cents: int, on: date, employer: tuple[Any, ...]) -> bool:
        """A transfer with the contribution's structured reference, matched by it; False when its statement is not
        imported yet. The line is numbered later, in the order of the statements (``bank_lines``)."""
        day = self._day(on)
        if day is None:
            return False
        self.credits.append((day, len(self.credits), contribution, cents, employer[1], employer[7]))
        return True

    def unmatched(self) -> None:
        """Money nobody has matched yet (a wrong reference, no reference), and debits the import ignored."""
        world, rng = self.world, self.world.rng
        for _ in range(max(3, world.sizes.declarations // 30)):
            day = rng.choice(self.banking_days)
            if rng.random() < 0.2:
                self.credits.append((day, len(self.credits), None, rng.choice((1_250, 48_000)), "Banque", "debit"))
            else:
                last = world.name()[1]
                self.credits.append((day, len(self.credits), None, rng.choice((5_000, 90_000, 180_000, 12_345)),
                                     f"{last} {rng.choice(SUFFIXES)}", None))

    def bank_lines(self) -> None:
        """The lines of each day's statement, numbered in statement order; a matched credit's allocation, payment
        and cash entry."""
        from vouchers.employers.domain import format_structured_reference, reference_for

        index: dict[date, int] = {}
        for day, _n, contribution, cents, name, account in sorted(self.credits):
            number = len(self.lines) + 1
            index[day] = index.get(day, 0) + 1
            imported = self.world.at(day + timedelta(days=1), 6)
            status, reason, reference, text = "unmatched", None, None, "Cotisation TNW"
            if contribution is not None:
                status, reference = "matched", reference_for(contribution)
                text = format_structured_reference(reference)
            elif account == "debit":
                status, reason, text, account = "ignored", "debit", "Frais bancaires", None
            self.lines.append((number, self.statement_of[day], index[day], 1, f"bench-{number}",
                               "debit" if reason else "credit", cents, "EUR", day, day, status, reason, reference,
                               text, name, account, contribution, "reference" if contribution else None, imported))
            if contribution is not None:
                external_id = f"bank-line-{number}"
                self.allocations.append((number, contribution, cents, external_id, imported))
                self._money(contribution, "bank", "payment", cents, external_id, day)

    def statement_rows(self) -> list[tuple[Any, ...]]:
        per_day: dict[int, int] = {}
        for line in self.lines:
            per_day[line[1]] = per_day.get(line[1], 0) + 1
        world = self.world
        return [(number, FUND_IBAN, f"STMT-{day.isoformat()}", str(number), "camt.053.001.08", "EUR", day, day, day,
                 f"camt053-{day.isoformat()}.xml", hashlib.sha256(day.isoformat().encode()).hexdigest(), True,
                 world.at(day + timedelta(days=1), 6), world.admin_id, "imported", per_day.get(number, 0),
                 per_day.get(number, 0)) for day, number in self.statement_of.items()]

    def funding(self) -> None:
        """The state's allocation on the first day of each month: a year of vouchers a year, and a tenth more."""
        world = self.world
        month = world.start.replace(day=1)
        monthly = world.sizes.vouchers // world.sizes.years * VALUE_CENTS * 11 // 120
        while month <= world.today:
            on = max(month, world.start)
            self.ledger.append((on, world.at(on, 6), "cash", "funding", monthly, None, None, None,
                                "state budget allocation"))
            month = (month + timedelta(days=32)).replace(day=1)
