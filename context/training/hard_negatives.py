"""Writes intents-hard-negatives.jsonl: harmless uses of trigger words and negated triggers.

Hand-written lines (not taken from any evaluation set): a customer who mentions "legal",
"refund", "price", "human", "support agents", "security" or "angry" without the thing the
escalation rules mean, and negations ("not asking for a refund", "not angry, just confused",
"no need for a human"). A few first reports of a bug ("X stopped working") are labelled
knowledge_not_found/bug so they are not read as "still failing after the steps".

    python context/training/hard_negatives.py   # rewrites the .jsonl deterministically
"""
from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "intents-hard-negatives.jsonl"

# Harmless uses of trigger words (label none), written one by one.
HARMLESS = [
    # legal
    "What legal entity should we put on the purchase order, Loomline Ltd or something else?",
    "our finance team needs your legal company name for the vendor form",
    "Which legal name appears on your invoices? Accounts payable is asking.",
    "Can I change the legal name of my company shown on invoices?",
    "Our legal department wants to add a second billing contact, how do we do that?",
    "I work in the legal team and need access to the shared board, how do I request it?",
    "how do i export a board so our legal dept can archive it",
    "We renamed our legal entity last month. Where do I update the company name in billing?",
    "Is the registered address on the invoice the one from Workspace settings?",
    "Hi, where can I find your VAT number and legal address for our supplier onboarding?",
    "Can I make a board only visible to the legal team?",
    "legal name field on the billing page is greyed out, how do I edit it",
    "Our paralegal can't see the Contracts board, how do I give her access?",
    "how do I tag tasks as 'legal review' with a custom label",
    "We use Loomline for tracking legal matters internally; can I add a custom field for case numbers?",
    "Could you tell me how to add our company's legal entity to the invoice header?",
    "Where do I enter the legal business name for tax invoices?",
    "new legal entity after a merger - do we need a new workspace or can we just change billing details?",
    "The terms page link in the footer, where is it? I just want to read it, nothing else.",
    "is there a template for a legal intake workflow?",
    # refund / money words without a refund request
    "I'm not after a refund, I just want to know where the receipt for last month is.",
    "Not looking for my money back at all, just can't find the invoice PDF",
    "no refund needed, I only want to update the card we pay with",
    "Just to be clear I don't want a refund, I want to switch to yearly billing. How?",
    "We don't need any money back. How do we add our PO number to future invoices?",
    "not requesting a refund - how do I download all invoices for 2026?",
    "I am not asking for money back, only how to change the billing email",
    "Refund isn't what I'm after; I'd like to know how to cancel the trial before it converts",
    "no refund pls, just tell me where the billing history is",
    "Our accountant asked whether invoices show VAT; we don't want a refund, just the info",
    "I don't want to be reimbursed, I want the invoice to show our new address",
    "How do I update the payment card? Not a refund question, the old card expired.",
    "we were charged the normal amount, all fine. How do I add a tax ID?",
    "Where can I see when the next payment will be taken?",
    # pricing words in harmless contexts
    "How do I add a price field to tasks so we can track quotes?",
    "Can a custom field hold a currency amount, like a price per item?",
    "we track product prices in a board, can I sort by the number field?",
    "Is there a way to sum the values in a 'cost' column?",
    "how to filter tasks where the budget field is empty",
    "Our pricing team wants their own board; how do I create a private board for them?",
    "I need to rename the 'Price' column on our board, where is that?",
    "Can I import a CSV that has a price column into a board?",
    "how do i show the estimate field on cards",
    "The number field shows 1000 instead of 1,000 - can I change the format?",
    # human / people / agents words without asking for a person
    "How do I assign a task to a human instead of the automation?",
    "Our human resources team wants a board for onboarding new hires, is there a template?",
    "I'm in HR, how do I invite ten new employees at once?",
    "Can our support agents get view-only access to the product board?",
    "We have 5 support agents who need to be guests, how many guests can we add?",
    "how do I set up a board for our customer support agents to track tickets",
    "no need for a human, the article answered it, but one more thing: can I undo an archive?",
    "You don't need to pass this to a person, I just want to know where the export button is.",
    "No need to escalate, quick question: how do I change my display name?",
    "don't need to talk to anyone, just tell me how to turn off email notifications",
    "I don't need a call, a link to the guide is fine: how do I set up SSO?",
    "Happy to read the docs myself, which article covers recurring tasks?",
    "Is there a person field I can add to tasks, like an owner column?",
    "How do I mention a teammate in a comment so a real person gets notified?",
    "Who on my team can see private boards, only admins?",
    "Can a manager see what every person on the team is working on?",
    "how do I contact my workspace admin from inside the app",
    # security words, harmless
    "Where do I turn on two-factor authentication for my own account?",
    "How do I see which devices are signed in to my account? Just checking, nothing suspicious.",
    "Our security team asks whether we can enforce 2FA for everyone. How?",
    "I'm filling in a security questionnaire - where is your security overview page?",
    "how do I change my password, it's just time for a new one",
    "Can I sign out of all sessions after I lost my old phone? It's in a drawer somewhere, not stolen.",
    "nothing's wrong, I just want to set up an authenticator app instead of SMS",
    "Our IT security lead wants to know how to restrict invites to our email domain.",
    "Where is the audit log for workspace changes?",
    "Is there a setting to require a password when sharing a public board link?",
    "I recognise all the sessions in my list, I just want to rename my laptop's",
    # sentiment words, harmless or negated
    "I'm not angry at all, just a bit confused about how guest access works.",
    "not upset, only curious: why do archived boards still count toward the limit?",
    "Not complaining! Just wondering how to change the board background.",
    "I'm not frustrated, I just can't find where the calendar view is.",
    "No stress, whenever you get a chance: how do I duplicate a board?",
    "This isn't a complaint, I love the app. How do I turn on dark mode?",
    "I was worried I'd lost my tasks but found them in the archive. How do I restore them?",
    "I hate doing this manually every week, is there a way to make tasks repeat?",
    "The new layout drives me crazy in a good way, how do I pin a board to the sidebar?",
    "sorry for the silly question, how do I leave a workspace?",
    "Honestly the app is great. Quick one: can I export comments too?",
    "I'm terrible with settings, where do I change the language?",
    "Calm question, no rush: how do I move a task to another board?",
    "ugh, my own fault, I archived the wrong board. how do I get it back?",
    # mixed harmless
    "Is the 'Legal' label colour customisable? We use red for urgent ones.",
    "how do i make a 'Refunds' column on our finance board",
    "Our board is called 'Security incidents' for our own clients; how do I make it private?",
    "We track customer complaints in Loomline, how do I add a priority field?",
    "Can I rename the 'Pricing' board? It's for our own product team.",
    "We're a law firm using Loomline for case tasks - how do we share a board with a client as a guest?",
    "the word 'refund' is in our task titles; can I search for it across boards?",
    "How do I set a reminder for the contract renewal date on a task?",
    "We have an 'escalations' board, can I get notified when a card is added to it?",
    "Where do I set who receives the weekly summary email?",
]

# Negated triggers wrapped around ordinary questions (label none).
NEG_OPENERS = [
    "I'm not asking for a refund or anything.", "Not a refund request!", "Not looking for money back.",
    "I'm not angry, just confused.", "Not annoyed, honestly.", "I'm not upset with anyone.",
    "No need for a human on this one.", "No need to hand this to a person.", "Don't need an agent for this.",
    "This isn't a legal matter.", "No lawyers involved, promise.", "Not a security issue as far as I know.",
    "Nothing's been hacked, don't worry.", "Not asking about prices.", "I'm not asking for a discount.",
    "No complaint here.", "I don't want to speak to anyone, just a quick question.",
]
QUESTIONS = [
    "How do I download last month's invoice?", "Where do I change the billing email?",
    "How do I invite a guest to one board?", "Can I export a board to CSV?", "How do I reset my password?",
    "How do I turn on two-factor authentication?", "How do I archive a board?", "How do I change my email address?",
    "Where do I update our VAT ID?", "How do I set up a recurring task?", "How do I connect Slack?",
    "How do I change the workspace name?", "how do i remove a member from the workspace",
    "where are notification settings", "How can I restore a deleted task?", "How do I add a due date to a task?",
]
CLOSERS = ["", " Thanks!", " Cheers.", " thx", "\n\nThanks,\nSam", "\n\nBest,\nPriya Nair\nOps lead",
           " Many thanks in advance."]

# Negated refund / money-back lines next to billing needs: the billing context plus the word
# "refund" is what a refund request looks like, so the negation has to carry it.
NEG_REFUND = [
    "I'm not asking for a refund", "I'm not requesting a refund", "not asking for any refund",
    "I don't want a refund", "I'm not after my money back", "this isn't a refund request",
    "we're not looking for a refund", "no refund wanted", "I do not need a refund",
    "not trying to get a refund", "Not asking for money back",
]
LINKERS = [", ", " or anything like that, ", " - ", ". ", ", honestly, ", " at all, "]
BILLING_NEEDS = [
    "I just need the invoice for February", "I only need a copy of the receipt for May",
    "I just want the PDF of last quarter's invoices", "I need the invoice re-issued with our VAT number",
    "I just need to know where the billing history lives", "all I need is the receipt for the annual plan",
    "I need the invoice to show our new company address", "I just need to update the card on file",
    "just tell me how to change who gets the invoice emails", "I need a copy of the October invoice for our auditors",
    "I just want to download the invoices for the tax year", "I only want the billing email changed",
]

# First reports of something broken (knowledge_not_found / bug): not "still failing after the steps".
BUGS = [
    "The Google Drive integration stopped attaching files this morning.",
    "since yesterday our recurring tasks are not being created any more",
    "Board export gives an empty CSV file, every time.",
    "The calendar view shows all tasks one day late since the update.",
    "Our webhook hasn't fired for any new task since Monday.",
    "the mobile app crashes as soon as I open a board with attachments",
    "Comments I post disappear after I refresh the page.",
    "Notifications emails stopped arriving for the whole team today.",
    "Search returns nothing even for tasks I can see on the board.",
    "Half of the tasks on our Roadmap board vanished overnight, nobody deleted them.",
    "Due date reminders are going out at 3am instead of 9am.",
    "the desktop app won't open since the latest version, just a white screen",
    "Uploading a PDF fails with 'something went wrong' for every file.",
    "Our Zapier zap stopped receiving Loomline triggers two days ago.",
    "Drag and drop between columns stopped working in Firefox.",
    "Subtasks show as done on the web but open on the phone.",
    "The Jira sync duplicated every task on the board.",
]

# More harmless uses of trigger words and negated triggers (label none), hand-written on branch
# `triggers` (December 2026): polite, short, non-native and email-style lines. Appended after the
# rows above with their own random stream, so the earlier rows stay byte-identical.
EXTRA_HARMLESS = [
    # legal words, no legal matter
    "Can I restrict our legal intake project to just three members?",
    "our legal team wants to know if data is encrypted at rest, is it?",
    "Where do I put our company's legal name so it shows on invoices?",
    "hi, legal entity changed after the merger, how do I update the billing details",
    "How do I give our Legal & Compliance group their own private project?",
    "The compliance officer needs read-only access to the Audit board. Which role should she get?",
    "Our lawyer is a guest on one board. Does she count as a paid seat?",
    "For our records: is the audit log available on Business?",
    "I'm a paralegal and need to export a project to PDF for a case file. How?",
    "Please what is the legal address of Loomline for our supplier form? Is it on the invoice?",
    "Can I export our 'Legal' project to PDF for the archive?",
    "how long is data kept after we cancel? just curious, not a formal request",
    "How do I delete my own account? No GDPR request or anything, I just don't need it anymore.",
    # refund words, no refund request
    "We track our customers' refund requests on a board. How do I get a Slack alert when one is marked urgent?",
    "I'm not after a refund, I only need the PDF of last month's invoice.",
    "How do I cancel our subscription at the end of the term? We don't need money back.",
    "We keep a refund log in a spreadsheet. Which columns does the CSV importer accept?",
    "Our shop's refund team needs guest access to one board. How?",
    "no refund needed, just tell me where to change the card we pay with",
    "Can I import our refund tickets from a CSV?",
    "I'm not asking for any credit, I just want the billing address on invoices changed.",
    "our support agents log refund cases as tasks, can we add a custom field for the order number?",
    # price words, no pricing question
    "We track product prices in a spreadsheet. Can the price column come in as a custom field when I import the CSV?",
    "Which plan includes SSO?",
    "Where do I change the card we pay with?",
    "Where can I download our invoice for March?",
    "How are seats counted if someone is deactivated?",
    "what's the file upload limit on the Free plan?",
    "Our 'Pricing Review' project disappeared from the sidebar, where did it go?",
    "How do I upgrade to Business? The boss already approved it, no questions about cost.",
    "Can I move our price list spreadsheet into Loomline with a CSV import?",
    # person words, no request for a person
    "no need for a human, just point me to the export button",
    "How do I give our support agents access to the Tickets board?",
    "Human resources wants their own private project. How do I set that up?",
    "Our travel agent needs to see one board only. Can I add her as a guest?",
    "Are you a bot? Fine either way. How do I enable two-factor authentication?",
    "I don't need anyone to call me, just tell me how to reset my password.",
    "How do I add the Member role to the people in our customer service team?",
    "Our contact person for billing changed, how do I update the billing contact?",
    "Can the person who owns the workspace transfer it to me? She's still here, just leaving the company.",
    "no need to pass this on to anyone, quick q: how do I mute a project?",
    "How do I invite the rest of my team by email?",
    "My manager asked me to remove a member who left. Where's that option?",
    # security words, no incident
    "We're filling in a security questionnaire. Do you encrypt data at rest and in transit?",
    "How do I turn on 2FA for my whole team?",
    "How do I report a vulnerability? Is there a bug bounty?",
    "Where is the audit log in settings?",
    "forgot my password again 🙈 how do i reset it",
    "How do I sign out of all other sessions? Just housekeeping, nothing suspicious.",
    "Is SSO available on the Team plan?",
    "We rotate secrets every quarter. How do I rotate the webhook signing secret?",
    "How do I revoke an old API token we don't use any more?",
    "Our security team wants an IP allowlist. How do we set it up?",
    "I got a new phone. How do I move my authenticator app for 2FA?",
    "Locked out of my account, I think I typed the password wrong too often. What can I do?",
    "Our CISO asked which encryption you use. Where's that documented?",
    # sentiment words, no strong negative sentiment
    "not angry, just confused: where is the archive button?",
    "A bit annoying that the board loads slowly. Any tips?",
    "Our client is furious with us, so I need the timeline exported to PDF quickly.",
    "ugh, Monday. How do I mute a noisy project for the week?",
    "I'm not upset at all, just wondering why push notifications aren't arriving on my Android phone.",
    "Slightly frustrating that Slack messages come late, how do I check the integration?",
    "My boss is angry at me, not at you lol. How do I export the workspace data?",
    "not complaining! just want to know how to change my email address",
    "hmm, still a bit confused about how guests work. Can they create tasks?",
    "The app is great, honestly, but how do I clear the cache on desktop?",
    "Not ideal that emails go to spam. How do I make sure I receive them?",
    "i'm not mad, promise. how do i restore something from the trash?",
    # non-native and mixed harmless
    "We're updating our supplier records: what is Loomline's registered company name and address?",
    "supplier onboarding form asks for your legal entity and company number, where do I find them?",
    "For our vendor database we need the legal name and billing address you invoice from.",
    "What address should our accounts team use for Loomline in the supplier file? It's for invoices.",
    "legal entity name on your invoices pls, our AP team needs it for the supplier list",
    "Hello, our department of legal want to see the invoices. How I give them access to billing?",
    "Please, how is possible to import our price list from Excel into a board?",
    "Bonjour, I am the security manager of our company and I want to activate SSO. Where is it?",
    "Good day, I search the way to download all invoices of this year for our accountant.",
    "We are not want refund, only the invoice with our VAT number on it please.",
    "Hi,\n\nOur HR team (human resources) would like a private project for onboarding. How do we set that up?\n\nThanks,\nLiam",
    "Hello,\n\nFor our annual vendor security review, could you confirm whether Loomline encrypts attachments at rest?\n\nBest regards,\nSiobhan Kelly\nInformation Security, Larkspur Health",
    # second pass: negated refunds, ordinary account trouble that is no incident, "are you a bot?"
    "Not looking for a refund at all. I just want next year's invoice to go to our finance inbox.",
    "refund? no no, I only want to downgrade to Team from the next renewal",
    "We don't want our money back, we want to know where the billing history is.",
    "Nothing to refund here, I'm only asking how to add our PO number to invoices.",
    "i dont need refund, i need the receipt as a PDF please",
    "To be clear this is not a refund request: which email do invoices get sent to?",
    "Keep the money 😄 I just need to know how to remove a seat for next month.",
    "Not disputing anything on the card, just want to change it to the company card.",
    "We're happy with what we paid, no credit needed. How do we add a second billing contact?",
    "no chargeback, nothing like that, just tell me how to update our tax ID",
    "After I changed my password the mobile app logged me out. Normal, right?",
    "My 2FA codes stopped working after I changed phones. How do I use a recovery code?",
    "not hacked, I just can't remember if I signed up with Google or email",
    "The password reset email never arrives. Checked spam already.",
    "I got a new laptop, do I need to set up two-factor authentication again?",
    "'Incorrect email or password' but I'm sure it's right. What else could it be?",
    "How can I see which devices I'm signed in on? Just curious, nothing wrong.",
    "Where can I see the sessions I am signed in on? I just got a new work laptop.",
    "We removed a leaver from the workspace. What happens to the tasks assigned to him?",
    "Where do I find the API token I created yesterday? I think I closed the window too fast.",
    "are you a bot? just curious, no need to transfer me",
    "Is this an AI? OK cool. How do I archive a project?",
    "is this automated? doesn't matter, where do I change notification settings",
        "How do I assign a task to a person on my team?",
    "Which role lets a person edit boards but not billing?",
    "Hi,\n\nNo need to escalate anything, I just can't find where to change the workspace owner. She agreed to hand it over.\n\nCheers,\nDan",
]


def main() -> None:
    rng = random.Random(20261202)
    rows = []
    for text in HARMLESS:
        rows.append({"text": text, "label": "none", "channel": rng.choice(["email", "web_form", "whatsapp"]),
                     "article": None, "also": [], "tags": ["hard_negative"]})
    pairs = [(o, q) for o in NEG_OPENERS for q in QUESTIONS]
    rng.shuffle(pairs)
    for opener, question in pairs[:170]:
        closer = rng.choice(CLOSERS)
        text = f"{opener} {question}{closer}" if rng.random() < 0.6 else f"{question} {opener}{closer}"
        if rng.random() < 0.25:
            text = text.lower()
        rows.append({"text": text, "label": "none", "channel": rng.choice(["email", "web_form", "whatsapp"]),
                     "article": None, "also": [], "tags": ["negation"]})
    for neg in NEG_REFUND:
        for need in rng.sample(BILLING_NEEDS, 5):
            text = f"{neg}{rng.choice(LINKERS)}{need}." if rng.random() < 0.7 else f"{need[0].upper()}{need[1:]}, {neg.lower()}."
            rows.append({"text": text, "label": "none", "channel": rng.choice(["email", "web_form", "whatsapp"]),
                         "article": None, "also": [], "tags": ["negation"]})
    for text in BUGS:
        rows.append({"text": text, "label": "knowledge_not_found", "channel": rng.choice(["email", "web_form", "whatsapp"]),
                     "article": None, "also": [], "tags": ["bug"]})
    extra_rng = random.Random(20261203)
    for text in EXTRA_HARMLESS:
        rows.append({"text": text, "label": "none", "channel": "email" if "\n" in text else extra_rng.choice(["web_form", "whatsapp"]),
                     "article": None, "also": [], "tags": ["hard_negative"]})
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{len(rows)} lines -> {OUT.name}")


if __name__ == "__main__":
    main()
