"""What the portal tells people: each kind's audience, whether it can be turned off, and its words.

The kind names are the API's (``../shared/docs/API.md``); outside systems switch on them. Titles and
bodies are English msgids, translated into the recipient's language when the notice is written, with
its parameters formatted in that language too (dates, and money for parameters named ``*_cents``).
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.errors import N_


@dataclass(frozen=True)
class Kind:
    name: str
    audience: str
    #: A decision, or a deadline that runs whether or not the person reads it: always sent.
    always: bool
    title: str
    body: str
    #: What the settings page calls it.
    label: str
    #: The words for the coordinator who filed the request (title, body), told with the parameter ``member``: about
    #: their member, not to them, and without what stays between the member and the fund (a refusal's reasons).
    for_coordinator: tuple[str, str] | None = None


BENEFICIARY, PROVIDER, EMPLOYER, FUND, COACH = "beneficiary", "provider", "employer", "fund", "coach"

_KINDS = [
    Kind("request_submitted", BENEFICIARY, False, N_("We received your voucher request"),
         N_("We received your request for a coaching voucher on %(submitted_on)s. The fund decides by "
            "%(decision_due_on)s at the latest, and we will tell you here and by e-mail."),
         N_("A request of mine was received"),
         (N_("Request for %(member)s received"),
          N_("The fund received the voucher request you filed for %(member)s on %(submitted_on)s. It decides by "
             "%(decision_due_on)s at the latest."))),
    Kind("request_info_requested", BENEFICIARY, True, N_("The fund needs more information"),
         N_("Before it can decide your voucher request, the fund asks: %(question)s\n\nAnswer on the request "
            "page. The 45-day clock stops until you answer."),
         N_("The fund asks me for information"),
         (N_("%(member)s's request: the fund needs more information"),
          N_("Before it can decide the request you filed for %(member)s, the fund asks: %(question)s\n\nYou or "
             "your member can answer on the request's page. The 45-day clock stops until one of you answers."))),
    Kind("request_approved", BENEFICIARY, True, N_("Your coaching voucher is approved"),
         N_("Your voucher %(code)s is worth %(value_cents)s and valid from %(valid_from_on)s to "
            "%(valid_until_on)s with %(provider)s. Your coach will contact you to plan a first meeting."),
         N_("Decision: approved"),
         (N_("%(member)s's coaching voucher is approved"),
          N_("The request you filed for %(member)s is approved: voucher %(code)s, worth %(value_cents)s, valid from "
             "%(valid_from_on)s to %(valid_until_on)s with %(provider)s."))),
    Kind("request_rejected", BENEFICIARY, True, N_("Your voucher request was not approved"),
         N_("The fund did not approve your request. Reason: %(reason)s\n\nYou may appeal to the labour court "
            "until %(appeal_until_on)s."),
         N_("Decision: not approved"),
         (N_("%(member)s's request was not approved"),
          N_("The fund did not approve the request you filed for %(member)s. The fund wrote its reasons to your "
             "member, who may appeal to the labour court until %(appeal_until_on)s."))),
    Kind("request_waitlisted", BENEFICIARY, True, N_("Your voucher request is on the waiting list"),
         N_("Your request meets the conditions, but the fund cannot pay for it today. It is on the waiting "
            "list and will be served in order of arrival; we will tell you as soon as your voucher is ready."),
         N_("Decision: waiting list"),
         (N_("%(member)s's request is on the waiting list"),
          N_("The request you filed for %(member)s meets the conditions, but the fund cannot pay for it today. It is "
             "on the waiting list and will be served in order of arrival."))),
    Kind("voucher_assigned", PROVIDER, False, N_("A new voucher for you: %(code)s"),
         N_("%(beneficiary)s chose you for coaching (voucher %(code)s, valid until %(valid_until_on)s). "
            "Plan a first interview and accept the voucher with the offer you agree on."),
         N_("A voucher was assigned to us")),
    Kind("provider_change_requested", PROVIDER, False, N_("Voucher %(code)s: change of provider"),
         N_("The beneficiary of voucher %(code)s asked to change provider, from %(old_provider)s to "
            "%(new_provider)s."),
         N_("A beneficiary changes provider")),
    Kind("voucher_expiring", BENEFICIARY, False, N_("Your voucher ends on %(valid_until_on)s"),
         N_("Your coaching voucher %(code)s ends on %(valid_until_on)s, and %(balance_cents)s is still "
            "unused. Plan your remaining sessions with your coach before then."),
         N_("My voucher ends soon"),
         (N_("%(member)s's voucher ends on %(valid_until_on)s"),
          N_("The coaching voucher %(code)s of %(member)s ends on %(valid_until_on)s, and %(balance_cents)s is still "
             "unused."))),
    Kind("voucher_expired", BENEFICIARY, True, N_("Your coaching voucher has ended"),
         N_("Your coaching voucher %(code)s reached the end of its validity on %(valid_until_on)s. Hours that "
            "were not used can no longer be booked."),
         N_("My voucher has ended"),
         (N_("%(member)s's coaching voucher has ended"),
          N_("The coaching voucher %(code)s of %(member)s reached the end of its validity on %(valid_until_on)s."))),
    Kind("voucher_withdrawn", PROVIDER, False, N_("Voucher %(code)s was given up"),
         N_("The beneficiary gave up voucher %(code)s. Booked sessions are cancelled; sessions already "
            "delivered can still be claimed."),
         N_("A beneficiary gives up a voucher")),
    Kind("session_booked", BENEFICIARY, False, N_("Coaching session on %(starts_at)s"),
         N_("A coaching session is planned on %(starts_at)s (%(mode)s), with %(coach)s."),
         N_("A session is planned or cancelled")),
    Kind("session_cancelled", BENEFICIARY, False, N_("Session of %(starts_at)s cancelled"),
         N_("The coaching session of %(starts_at)s was cancelled. Nothing is taken from your voucher."),
         N_("A session is planned or cancelled")),
    Kind("session_logged", BENEFICIARY, True, N_("Please confirm your session of %(starts_at)s"),
         N_("Your coach recorded the session of %(starts_at)s as %(attendance)s, %(duration)s. Confirm it "
            "or tell us what is wrong by %(confirm_by_on)s. Without an answer it counts as confirmed."),
         N_("A session to confirm")),
    Kind("session_disputed", PROVIDER, True, N_("A session is disputed"),
         N_("The beneficiary disputes the session of %(starts_at)s. Read what they say on the dispute's page "
            "(it is not sent by e-mail), then accept a correction or pass it to the fund."),
         N_("A session is disputed")),
    # The person's own words, and their only way to the provider once the day to answer has passed: always sent.
    Kind("late_dispute_message", PROVIDER, True, N_("A message about the session of %(starts_at)s"),
         N_("%(beneficiary)s wrote to you about the session of %(starts_at)s after the day to answer "
            "(%(confirm_by_on)s). It is not a dispute: the session counts as confirmed. If something must be put "
            "right, contact them. Their message:\n\n%(message)s"),
         N_("A beneficiary writes about a session after the day to answer")),
    Kind("dispute_decided", BENEFICIARY, True, N_("Your disputed session: decision"),
         N_("About the session of %(starts_at)s: %(outcome)s"),
         N_("A dispute is decided")),
    Kind("claim_approved", PROVIDER, True, N_("Claim %(number)s approved"),
         N_("The fund approved your claim %(number)s for %(amount_cents)s. It will be paid with the next "
            "transfer."),
         N_("Claims: approved")),
    Kind("claim_rejected", PROVIDER, True, N_("Claim %(number)s rejected"),
         N_("The fund rejected your claim %(number)s. Reason: %(reason)s"),
         N_("Claims: rejected")),
    Kind("claim_paid", PROVIDER, False, N_("Claim %(number)s paid"),
         N_("The fund paid your claim %(number)s: %(amount_cents)s was sent to your account."),
         N_("Claims: paid")),
    Kind("claim_payout_returned", PROVIDER, True, N_("Claim %(number)s: the transfer came back"),
         N_("The transfer of %(amount_cents)s for your claim %(number)s to the account %(iban)s did not reach you: "
            "the bank refused or returned it (%(reason)s). Check the IBAN in your provider profile: the fund pays "
            "the claim again in its next payout."),
         N_("Claims: a payment came back")),
    Kind("label_expiring", PROVIDER, False, N_("Your quality label expires on %(label_valid_until_on)s"),
         N_("The quality label of %(provider)s is valid until %(label_valid_until_on)s. Send the renewed "
            "label to the fund before then: after that day you are no longer listed."),
         N_("Our quality label expires soon")),
    Kind("contribution_received", EMPLOYER, False, N_("Payment received for declaration %(number)s"),
         N_("We received %(amount_cents)s for the contribution of declaration %(number)s. Still to pay: "
            "%(owed_cents)s."),
         N_("A payment was received")),
    Kind("contribution_refund_sent", EMPLOYER, False, N_("Refund of %(amount_cents)s for declaration %(number)s"),
         N_("You paid more than the contribution of declaration %(number)s asked. The fund is refunding "
            "%(amount_cents)s by bank transfer to your account %(iban)s; it leaves the fund's account within a few "
            "working days."),
         N_("A refund is sent")),
    Kind("contribution_refund_returned", EMPLOYER, True, N_("The refund for declaration %(number)s came back"),
         N_("The bank could not pay the refund of %(amount_cents)s to the account %(iban)s (%(reason)s). Check the "
            "bank account the fund has for your company, and tell the fund if it changed: the fund will refund the "
            "money again."),
         N_("A refund came back")),
    Kind("refund_proposed", FUND, True, N_("A refund of %(amount_cents)s waits for approval"),
         N_("%(proposer)s proposes to refund %(amount_cents)s of the contribution of declaration %(number)s "
            "(%(company)s) to %(iban)s: %(reason)s\n\nAnother fund administrator approves or refuses it."),
         N_("A refund waits for approval")),
    Kind("contribution_due_soon", EMPLOYER, True, N_("Reminder: contribution of %(owed_cents)s due on %(due_on)s"),
         N_("The contribution for declaration %(number)s (%(worker)s, %(company)s) is due on %(due_on)s. Still "
            "to pay: %(owed_cents)s.\n\nPay in the portal by card or Bancontact, or by bank transfer to %(iban)s "
            "with the structured reference %(reference)s. If you have just paid, thank you: you can ignore this "
            "message."),
         N_("A contribution is due soon")),
    Kind("contribution_overdue", EMPLOYER, True,
         N_("Overdue: the contribution for declaration %(number)s is not paid"),
         N_("The contribution for declaration %(number)s (%(worker)s, %(company)s) was due on %(due_on)s and is "
            "not fully paid. Still to pay: %(owed_cents)s.\n\nPlease pay it as soon as possible: missing it can "
            "lead to a sanction. Pay in the portal by card or Bancontact, or by bank transfer to %(iban)s with "
            "the structured reference %(reference)s."),
         N_("A contribution is overdue")),
    Kind("decisions_due", FUND, True, N_("Voucher requests: %(soon)s due soon, %(late)s overdue"),
         N_("Voucher requests at day 35 or later of the 45-day limit today: %(soon)s. Overdue: %(late)s. Bank "
            "lines waiting for a person: %(waiting_lines)s."),
         N_("Daily digest of decisions due")),
    Kind("request_answered", FUND, False, N_("Request %(number)s: the beneficiary answered"),
         N_("The beneficiary answered the fund's question about request %(number)s. Read the answer on the "
            "request's page and decide it."),
         N_("A beneficiary answers a question")),
    Kind("agent_joined", EMPLOYER, False, N_("%(agent)s now acts for %(company)s"),
         N_("%(agent)s (%(email)s) accepted your invitation: they can now declare dismissals and pay "
            "contributions for %(company)s. You can remove them on the Agents page at any time."),
         N_("An agent or colleague joins our account")),
    Kind("ownership_letter_due", FUND, False, N_("A letter with a code to send to %(company)s"),
         N_("Someone asks to act for %(company)s (enterprise number %(number)s) and confirmed their e-mail address. "
            "Check the company's registered office in the Crossroads Bank for Enterprises, print the letter with "
            "its code, post it there and mark it sent."),
         N_("An ownership letter is to be sent")),
    Kind("ownership_letter_sent", EMPLOYER, True, N_("The letter with your code is on its way to %(company)s"),
         N_("The fund posted a letter with a code to the registered office of %(company)s. Ask there for the code "
            "and type it in the portal before %(expires_at)s: from then on you declare and pay for the company."),
         N_("The letter with my code is sent")),
    Kind("session_reminder", BENEFICIARY, False, N_("Reminder: coaching session on %(starts_at)s"),
         N_("Your coaching session is on %(starts_at)s (%(mode)s)."),
         N_("A reminder the day before a session")),
    Kind("session_reminder_coach", PROVIDER, False, N_("Reminder: session on %(starts_at)s"),
         N_("You have a session on %(starts_at)s (%(mode)s) with %(people)s."),
         N_("A reminder the day before a session")),
    Kind("dispute_escalated", FUND, True, N_("A dispute waits for the fund"),
         N_("%(provider)s passed the dispute about the session of %(starts_at)s to the fund: %(note)s"),
         N_("A dispute waits for the fund")),
    Kind("ledger_mismatch", FUND, True, N_("Ledger check: %(count)s mismatches found"),
         N_("Tonight's ledger check found %(count)s mismatches between the money ledger and the records. Run "
            "\"flask --app portal check-ledger\" to see them all. The first ones:\n\n%(problems)s"),
         N_("Ledger check")),
    Kind("niss_proven_elsewhere", BENEFICIARY, True, N_("Your national register number was removed from your account"),
         N_("Another person signed in with itsme or eID and so proved that the national register number typed "
            "when your account was made is theirs. It is no longer on your account. To go on with a voucher "
            "request, sign in with itsme or eID from your account: this proves your own number. If you think this "
            "is a mistake, contact the fund."),
         N_("My national register number was proven by someone else")),
]

KINDS: dict[str, Kind] = {kind.name: kind for kind in _KINDS}
