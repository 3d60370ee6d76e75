"""The messages that have an easy-words version (the ``plain`` catalog domain, see ``portal.plain.reading``): their
ordinary English msgids, exactly as the code and the templates write them. The texts themselves are in
``portal/translations/<lang>/LC_MESSAGES/plain.po`` (fr, nl, de and en); this list is what pybabel extracts.

To give another message a plain version (or to follow a msgid the code changed), edit this list, then::

    pybabel extract -F babel-plain.cfg -k plain --no-location -o portal/translations/plain.pot .
    pybabel update -D plain -i portal/translations/plain.pot -d portal/translations
    (write the plain version in each of the four plain.po files)
    pybabel compile -D plain -d portal/translations

A plain version: short sentences (20 words at most), everyday words, one idea per sentence, about CEFR A2, the same
%(placeholders)s as the msgid. ``tests/portal/test_plain_language.py`` checks all of this.
"""

from __future__ import annotations


def plain(msgid: str) -> str:
    """Marks a msgid for ``pybabel extract -k plain``."""
    return msgid


MSGIDS = (
    # the front page (visitors)
    plain("A coach to help you back to work"),
    plain("If you cannot work because of illness, the Return to Work Fund can pay for coaching worth up to "
          "%(amount)s."),
    plain("I cannot work"),
    plain("Check in two minutes whether you can get a voucher, then ask for it."),
    plain("Can I get a voucher?"),
    plain("See the coaching providers"),
    # the eligibility check
    plain("Can I get a coaching voucher?"),
    plain("Answer a few questions. We store nothing: this only tells you where you stand."),
    plain("Good news: you can ask for a voucher."),
    plain("Ask for it by %(day)s at the latest."),
    plain("With these answers you cannot get a voucher now."),
    plain("Check"),
    plain("Other programmes"),
    plain("Did your employer end your contract for medical force majeure?"),
    plain("Date your contract ended"),
    plain("Only if your employer ended your contract."),
    plain("Date you became unable to work"),
    plain("How do you receive your benefits?"),
    plain("Employee (I had a work contract)"),
    plain("Job seeker"),
    plain("Self-employed"),
    plain("I already follow a retraining programme approved by INAMI/RIZIV"),
    plain("I already follow a professional rehabilitation programme of INAMI/RIZIV"),
    # why not (the eligibility reasons)
    plain("Self-employed people cannot get a coaching voucher from this fund. The fund only helps employees "
          "and job seekers."),
    plain("Please choose employee, job seeker or self-employed."),
    plain("You already follow a retraining programme approved by INAMI/RIZIV, so you cannot get a coaching "
          "voucher at the same time."),
    plain("You already follow a professional rehabilitation programme of INAMI/RIZIV, so you cannot get a "
          "coaching voucher at the same time."),
    plain("Please tell us the date your work contract ended."),
    plain("Your contract ended on %(contract_end_on)s. Only contracts that ended on or after "
          "%(route_a_start_on)s give a right to a voucher."),
    plain("Your contract ends on %(contract_end_on)s. You can ask for a voucher from that day on."),
    plain("The last day to ask for a voucher after your contract ended was %(apply_by_on)s. That day has "
          "passed."),
    plain("Please tell us the date you became unable to work, or tell us if your employer ended your contract "
          "for medical force majeure."),
    plain("Please tell us if you are an employee, a job seeker or self-employed."),
    plain("You must have been unable to work for more than one year. You have been unable to work since "
          "%(incapacity_start_on)s, so you can ask from %(eligible_from_on)s."),
    plain("People who have been unable to work for more than one year can ask for a voucher from "
          "%(route_b_start_on)s."),
    # creating an account
    plain("Sign in through the federal authentication service: it proves your national register number, and "
          "what your employer declared about your dismissal can then fill in your request."),
    plain("You can ask for your voucher right after this form. We also send a link to your e-mail address: the "
          "fund decides your request once you have opened it. A national register number typed here is not "
          "checked, so what employers declared about it stays hidden until you prove it with itsme or eID."),
    plain("Language for letters and e-mails"),
    plain("Welcome! Your account is created. We sent you an e-mail: open its link to confirm your address. You "
          "can fill in your request now; the fund decides it once your address is confirmed."),
    # the request form and its steps
    plain("Your details"),
    plain("Contract ended for medical force majeure on %(day)s"),
    plain("Unable to work since %(day)s"),
    plain("Mutual insurer"),
    plain("Your mutual insurer"),
    plain("Coaching provider"),
    plain("Initiative"),
    plain("My own initiative"),
    plain("My coordinator's plan"),
    plain("No provider is listed at the moment."),
    plain("Box (if any)"),
    plain("Choose a coaching provider"),
    plain("Choose one of the listed coaching providers."),
    plain("Who suggested the coaching?"),
    plain("I ask on my own initiative"),
    plain("It is part of the return-to-work plan of my mutual insurer's coordinator"),
    plain("Planned start (if you know it)"),
    plain("Planned end (if you know it)"),
    plain("I confirm that what I entered is correct."),
    plain("Please tick the box to confirm."),
    plain("Your request is sent. The fund decides within 45 days, by %(day)s."),
    plain("Filled in from the declaration your employer sent to the fund on %(declared)s: your contract ended "
          "for medical force majeure on %(day)s."),
    plain("Please check the form"),
    # the dashboard /my
    plain("With %(provider)s, valid until %(day)s."),
    plain("Left to use: %(left)s of %(value)s"),
    plain("Your request is approved and on the waiting list (place %(n)s). You get your voucher as soon as the "
          "fund has the money."),
    plain("The fund needs more information from you. The 45-day clock is paused until you answer."),
    plain("The fund decides by %(day)s."),
    plain("Your request is not sent yet"),
    plain("It takes a few minutes. You can stop and continue later: we keep what you typed."),
    plain("First check if I can get one"),
    plain("History"),
    plain("We sent a link to %(email)s. Open it to confirm your address: the fund decides your request only "
          "once it is confirmed, as this is where we tell you about it."),
    plain("The national register number you typed has not been checked. Sign in once with itsme or your eID "
          "card: then what your employer declared about your dismissal can fill in your request, and nobody "
          "else can use your number."),
    plain("A return-to-work coordinator of your mutual insurer filed a voucher request for your national "
          "register number, with your agreement. Take it into your account to follow it."),
    plain("Your coming sessions, and the sessions your coach logged that you still have to confirm."),
    # statuses
    plain("Waiting for the fund's decision"),
    plain("Information requested"),
    plain("Approved"),
    plain("Refused"),
    plain("Withdrawn"),
    plain("Expired"),
    plain("Waiting for your information"),
    # the request page
    plain("The fund decides by"),
    plain("Filed for you by"),
    plain("%(name)s, your mutual insurer's return-to-work coordinator, with your agreement of %(day)s"),
    plain("Place on the waiting list"),
    plain("The fund needs an answer from you"),
    plain("Read the fund's question above, then answer here. The fund's 45-day clock waits for your answer."),
    plain("A date in my request was wrong"),
    plain("Last day of your contract (correct it if it was wrong)"),
    plain("First day of your incapacity (correct it if it was wrong)"),
    plain("You can appeal against this decision to the labour court until %(day)s."),
    plain("Withdraw my request"),
    plain("Withdraw"),
    plain("Why do you withdraw? (optional)"),
    plain("Thank you: the fund has your answer and decides by %(day)s."),
    plain("Your request is withdrawn."),
    # what happened (the timeline)
    plain("Voucher issued"),
    plain("The provider set the coaching plan"),
    plain("The provider changed the coaching plan"),
    plain("A change of coaching provider was asked"),
    plain("The coaching provider was changed"),
    plain("Filed by the mutual insurer's return-to-work coordinator, with the member's consent"),
    plain("The member took up the request in their own account"),
    plain("The member was invited again by e-mail"),
    plain("File consulted"),
    plain("The fund's budget cannot cover it now."),
    plain("The voucher's period of validity ended."),
    plain("The first session took place."),
    plain("All the planned coaching was delivered."),
    # the voucher page
    plain("With %(provider)s, valid from %(start)s until %(end)s."),
    plain("Value"),
    plain("Used"),
    plain("Booked"),
    plain("Left"),
    plain("Left to use"),
    plain("Individual hours left: %(h)s of %(total)s"),
    plain("Group sessions left: %(n)s of %(total)s"),
    plain("Your coach fixes your mix of individual hours and group sessions at your first interview."),
    plain("You asked to move to %(provider)s. It still has to accept."),
    plain("Choose another provider"),
    plain("You can change provider until your first session. The new provider must accept."),
    plain("New coaching provider"),
    plain("Give up my voucher"),
    plain("If you stop the coaching, your planned sessions are cancelled and your coach is told. Sessions you "
          "already had are paid to the provider. You cannot undo this, but you may ask for a new voucher later "
          "if you are still eligible."),
    plain("Why do you give up your voucher? (optional)"),
    plain("You gave up your voucher. Your planned sessions are cancelled."),
    plain("We asked the new provider to accept your voucher. Until then, nothing changes."),
    # notifications (the page)
    plain("Notifications"),
    plain("You have no notifications."),
    plain("You have read all your notifications."),
    plain("Choose what I receive"),
    plain("Older notifications"),
    # notifications (the words told, also by e-mail)
    plain("We received your voucher request"),
    plain("We received your request for a coaching voucher on %(submitted_on)s. The fund decides by "
          "%(decision_due_on)s at the latest, and we will tell you here and by e-mail."),
    plain("The fund needs more information"),
    plain("Before it can decide your voucher request, the fund asks: %(question)s\n\nAnswer on the request page. "
          "The 45-day clock stops until you answer."),
    plain("Your coaching voucher is approved"),
    plain("Your voucher %(code)s is worth %(value_cents)s and valid from %(valid_from_on)s to "
          "%(valid_until_on)s with %(provider)s. Your coach will contact you to plan a first meeting."),
    plain("Your voucher request was not approved"),
    plain("The fund did not approve your request. Reason: %(reason)s\n\nYou may appeal to the labour court until "
          "%(appeal_until_on)s."),
    plain("Your voucher request is on the waiting list"),
    plain("Your request meets the conditions, but the fund cannot pay for it today. It is on the waiting list "
          "and will be served in order of arrival; we will tell you as soon as your voucher is ready."),
    plain("Your coaching voucher %(code)s ends on %(valid_until_on)s, and %(balance_cents)s is still unused. "
          "Plan your remaining sessions with your coach before then."),
    plain("Your coaching voucher %(code)s reached the end of its validity on %(valid_until_on)s. Hours that "
          "were not used can no longer be booked."),
    plain("A coaching session is planned on %(starts_at)s (%(mode)s), with %(coach)s."),
    plain("The coaching session of %(starts_at)s was cancelled. Nothing is taken from your voucher."),
    plain("Your coach recorded the session of %(starts_at)s as %(attendance)s, %(duration)s. Confirm it or "
          "tell us what is wrong by %(confirm_by_on)s. Without an answer it counts as confirmed."),
)
