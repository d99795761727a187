"""Answerable questions (kind "answerable") and harmless-trigger / mild-frustration
questions (kind "hard_negative"). Each one is answered by one Help Centre article.

Placeholders filled in by build.py: [FIRST] [NAME] [CO] [DOMAIN]
Channels: e = email, w = whatsapp, f = web_form
"""

from common import A

HN = "hard_negative"

CASES = [
    # ---------------- reset-password ----------------
    A("w", "reset-password", "60 minutes", None,
      "hey, clicked the reset link from this morning and it just says expired?? how long do those links even last"),

    # ---------------- cant-sign-in ----------------
    A("w", "cant-sign-in", "15 minutes", None,
      "locked out. it says too many attempts try again later. how long is 'later' 😩"),
    A("f", "cant-sign-in", "Admin", "Message says I'm deactivated",
      "I'm a freelancer and work for the marketing team at [CO]. Since this morning I get "
      "\"Your account has been deactivated in this workspace\" when I open their workspace. "
      "My other workspaces still work fine. Can you please switch me back on?"),
    A("e", "cant-sign-in", "automatic date and time", "Authenticator code always invalid",
      "Hi team,\n\nEvery time I sign in, the 6-digit code from my authenticator app is rejected as invalid. "
      "I'm definitely typing the current one before it changes. I'm travelling in Singapore this week "
      "if that's relevant, phone is on manual time because the hotel wifi keeps resetting it.\n\n— [FIRST]"),

    # ---------------- two-factor-authentication ----------------
    A("w", "two-factor-authentication", "SMS", None,
      "can you text me the login codes by sms instead? i really dont want another app on my phone"),
    A("e", "two-factor-authentication", "Require two-factor authentication", "Making 2FA mandatory",
      "Hello,\n\nWe're on the Business plan with roughly 60 people. Our external auditor wants two-factor "
      "switched on for every single account. Is there a way to force it, rather than asking everyone "
      "nicely and chasing them? And would it also apply to the few external guests we have?\n\n"
      "Best regards,\n[NAME]\nIT Operations, [CO]"),
    A("f", "two-factor-authentication", "Trust this device for 30 days", "2FA code every time",
      "is there any way to stop it asking for the 2FA code literally every time I sign in on my own "
      "work laptop? it's my laptop, nobody else uses it."),

    # ---------------- lost-two-factor-device ----------------
    A("w", "lost-two-factor-device", "Use a recovery code", None,
      "new phone, the old one got wiped and google authenticator is gone with it. i DO have the "
      "recovery codes printed from when i set it up. how do i get in"),
    A("e", "lost-two-factor-device", "Reset two-factor", "Lost my phone, no backup codes",
      "Hi,\n\nMy phone is at the bottom of a lake in Slovenia (long story) and I never saved the backup "
      "codes. Our company is on the Business plan and we have three admins, I'm just a regular member. "
      "What's the fastest way back into my account?\n\nCheers,\n[FIRST]"),
    A("f", "lost-two-factor-device", "Generate new recovery codes", "Used a recovery code",
      "My phone was in repair so I used one of my recovery codes to log in. It worked. Do I have to do "
      "anything now that one is used up?"),

    # ---------------- single-sign-on-setup ----------------
    A("e", "single-sign-on-setup", "Business and Enterprise", "SSO on our plan?",
      "Hi Loomline,\n\nOur IT department wants everyone to sign in with Okta from next quarter. We're on the "
      "Team plan at the moment. Can we enable single sign-on on Team, or which plan do we need for it?\n\n"
      "Thanks,\n[NAME]\nOperations Manager | [CO]"),
    A("f", "single-sign-on-setup", "re-upload the metadata", "SAML response signature invalid",
      "Since our Entra ID team rotated the signing certificate yesterday, every SSO login fails with "
      "'SAML response signature invalid'. I can still get in as admin with my password. "
      "What do we have to change on the Loomline side?"),
    A("w", "single-sign-on-setup", "keep signing in with a password", None,
      "quick one - if we switch on require sso, will our freelancers who use gmail addresses get kicked out?"),

    # ---------------- change-email-address ----------------
    A("w", "change-email-address", "Profile", None,
      "hi! got married so new surname and new work email. how do i change my login email without losing "
      "all my tasks and stuff"),
    A("e", "change-email-address", "identity provider", "Change button is greyed out",
      "Hello,\n\nOur company rebranded and our email domain changed. When I try to update my email in Loomline "
      "the Change button is greyed out. We sign in through Google Workspace SSO. How can I update my "
      "address?\n\nThank you,\n[NAME]"),
    A("w", "change-email-address", "24 hours", None,
      "changed my email in loomline but havent clicked the confirmation link yet, im on holiday. how long "
      "is it valid?"),

    # ---------------- delete-account ----------------
    A("e", "delete-account", "14 days", "Deleting my account",
      "Hi,\n\nI'd like to delete my personal Loomline account. I'm a bit hesitant though - if I change my mind "
      "a few days later, is there any way back?\n\nRegards,\n[FIRST]"),
    A("w", "delete-account", "transfer ownership", None,
      "trying to delete my account and it wont let me, says something about owning a workspace?"),
    A("f", "delete-account", "Leave workspace", "Leave one client's workspace",
      "My contract with one client has ended. I'd like to leave their workspace but keep my Loomline "
      "account because I use it with other clients. How do I do that without deleting everything?"),

    # ---------------- invite-team-members ----------------
    A("w", "invite-team-members", "14 days", None,
      "how long are invitations valid? my new colleague says the join button in her email doesnt work anymore"),
    A("e", "invite-team-members", "Upload CSV", "Rolling out to 350 people",
      "Hello,\n\nWe're rolling Loomline out to the whole of [CO] next month, around 350 people. Is there a "
      "bulk way to invite them? Pasting addresses in batches seems painful.\n\nBest,\n[NAME]\nPeople Systems"),
    A("f", "invite-team-members", "Invitation settings", "Can members invite people?",
      "At the moment only admins can invite people to our workspace. Can normal members be allowed "
      "to invite their own teammates? We're on Business."),
    A("w", "invite-team-members", "7 days", None,
      "we put the invite link in our onboarding doc and now people say its dead. do those links expire??"),

    # ---------------- roles-and-permissions ----------------
    A("e", "roles-and-permissions", "Only the Owner can make someone an Admin", "Admin can't promote another admin",
      "Hi,\n\nOne of our Admins tried to make our new team lead an Admin too, but the option isn't there "
      "for her. Is that a bug or a setting somewhere?\n\nThanks\n[FIRST]"),
    A("w", "roles-and-permissions", "adding themselves", None,
      "can admins read private projects? our hr team wants one project nobody else can look into",
      kind=HN),
    A("f", "roles-and-permissions", "Can view", "View-only access for finance",
      "Our finance colleagues are members of the workspace. In the budget project they should be able to "
      "look at everything but not change anything. How do I set that up?"),

    # ---------------- remove-a-member ----------------
    A("e", "remove-a-member", "Reassign to", "Offboarding a colleague",
      "Hi there,\n\nOne of our designers leaves at the end of this week. When I remove her from Loomline, what "
      "happens to the tasks still assigned to her? I'd like them to go to her replacement in one go.\n\n"
      "Thanks,\n[FIRST]\n[CO]"),
    A("w", "remove-a-member", "no longer counts as a seat", None,
      "if i deactivate someone do we keep paying for their seat?"),
    A("f", "remove-a-member", "deactivate them in Loomline", "Removed from Okta, still active",
      "We removed a leaver from Okta yesterday, but in Loomline he still shows as active and his session "
      "on his laptop seems to still be open. We use SSO on Business, no SCIM. What's the right way to "
      "offboard people?"),

    # ---------------- transfer-workspace-ownership ----------------
    A("e", "transfer-workspace-ownership", "Admin", "Handing over the workspace",
      "Hello,\n\nI'm the Owner of our Loomline workspace and I'm leaving [CO] at the end of next month. "
      "I'd like our COO to take over. She's currently a regular Member. What are the steps?\n\n"
      "Best,\n[NAME]"),
    A("w", "transfer-workspace-ownership", "cancel", None,
      "started the ownership transfer to the wrong person 🙈 they havent accepted yet, can i cancel"),
    A("f", "transfer-workspace-ownership", "7 days", "New owner never accepted",
      "I sent an ownership transfer to our new CTO two weeks ago but he never clicked the email. "
      "Is it still pending or do I need to do it again?"),

    # ---------------- guest-access ----------------
    A("w", "guest-access", "10 per workspace", None, "how many guests can we have on the team plan"),
    A("e", "guest-access", "Members", "Can't add HR colleague as guest",
      "Hi,\n\nI want to give a colleague from human resources access to just our hiring project. When I add "
      "her as a guest with her @[DOMAIN] address it refuses. Why is that, and what's the right way?\n\n"
      "Thanks!\n[FIRST]", kind=HN),
    A("e", "guest-access", "5 per paid member", "Guest allowance on Business",
      "Good morning,\n\nWe are on Business with 12 paid members. How many external guests can we invite "
      "before it becomes a problem?\n\nKind regards,\n[NAME]"),

    # ---------------- download-invoices ----------------
    A("e", "download-invoices", "Download PDF", "March invoice",
      "Hello,\n\nI'm not asking for a refund or anything like that, I just need the March invoice as a PDF for "
      "our accountant. Where can I find it?\n\nThanks,\n[NAME]\nOffice Manager, [CO]", kind=HN),
    A("f", "download-invoices", "Loomline Labs Inc.", "Legal name for vendor setup",
      "We're a company in Ohio. Our procurement system needs the exact legal name of the Loomline entity "
      "that bills us before we can approve the next invoice.", kind=HN),
    A("w", "download-invoices", "Request correction", None,
      "forgot to put our VAT number in before paying. can the invoice from last month be fixed?"),
    A("e", "download-invoices", "Purchase order", "PO number on invoices",
      "Hi,\n\nOur accounts payable team rejects every invoice without a purchase order number on it. "
      "How do we get our PO printed on Loomline invoices?\n\nBest\n[NAME]\nFinance, [CO]"),

    # ---------------- update-payment-method ----------------
    A("e", "update-payment-method", "3, 5 and 7 days", "Payment failed email",
      "Hi,\n\nWe got an email saying our payment failed. The company card expired last month and the new one "
      "arrives on Thursday. Will our workspace stop working straight away?\n\nThanks,\n[FIRST]"),
    A("w", "update-payment-method", "American Express", None, "do you take amex?"),
    A("f", "update-payment-method", "Billing", "Workspace is read-only",
      "Since this morning the whole team gets 'This workspace is read-only'. We had trouble with our card "
      "last month. How do we get editing back as fast as possible?"),
    A("e", "update-payment-method", "5 business days", "Switching to SEPA",
      "Dear Loomline team,\n\nWe'd prefer to pay by SEPA Direct Debit instead of credit card; our workspace is "
      "billed in euros. How do we switch, and how long until the first debit goes through?\n\n"
      "Mit freundlichen Grüßen\n[NAME]\n[CO]"),

    # ---------------- update-billing-details ----------------
    A("e", "update-billing-details", "Billing email", "Send invoices to AP mailbox",
      "Hi,\n\nOur invoices still go to our former office manager, who left in June. Can they go to "
      "ap@[DOMAIN] instead, with our controller in copy?\n\nThanks\n[NAME]"),
    A("w", "update-billing-details", "Documents", None,
      "our procurement wants your W-9 before they pay anything. where do i get it"),
    A("e", "update-billing-details", "Request correction", "Company moved to Canada",
      "Hello,\n\nOur company has relocated from Amsterdam to Toronto. I tried to change the country in the "
      "billing details but it doesn't let me. What should I do?\n\nRegards,\n[NAME]"),

    # ---------------- how-seats-are-counted ----------------
    A("w", "how-seats-are-counted", "guest allowance", None, "do guests take up a paid seat?"),
    A("f", "how-seats-are-counted", "every quarter", "Adding people on an annual plan",
      "We're on an annual Team plan. If we add about 8 people in the middle of the year, how and when "
      "are those extra seats handled?"),
    A("e", "how-seats-are-counted", "Require approval for new seats", "Seats keep growing",
      "Hello,\n\nTeam leads keep inviting people and our seat count just grows. Can we make new invitations "
      "need approval from someone in finance first?\n\n[NAME]"),

    # ---------------- change-plan ----------------
    A("e", "change-plan", "Cancel subscription", "Stopping at the end of our term",
      "Hi,\n\nWe've decided to stop using Loomline when our current billing period ends. I'm not asking for "
      "money back, I just want to make sure it doesn't renew. Where do I cancel?\n\nThanks\n[NAME]", kind=HN),
    A("w", "change-plan", "14 days", None, "can we try the business features before we commit?"),
    A("f", "change-plan", "end of the current billing period", "Downgrade timing",
      "If I downgrade our workspace from Business to Team today, do we lose SSO immediately?"),

    # ---------------- import-from-csv ----------------
    A("e", "import-from-csv", "CSV UTF-8", "Accents broken after import",
      "Hi,\n\nI imported our task list from Excel and every ö, é and ñ came out as strange symbols. "
      "How do I fix that?\n\nDanke,\n[FIRST]"),
    A("f", "import-from-csv", "10,000 rows", "CSV upload fails",
      "Our CSV have around 18.000 rows and the import is failing always. There is a limit for this?"),
    A("w", "import-from-csv", "Undo import", None,
      "imported the wrong csv into our project 😬 is there an undo"),

    # ---------------- import-from-other-tools ----------------
    A("e", "import-from-other-tools", "Jira Cloud only", "Jira Data Center import",
      "Hi,\n\nWe run Jira Data Center on our own servers. The importer asks for an atlassian.net URL, which "
      "we don't have. What are our options?\n\nRegards\n[NAME]"),
    A("f", "import-from-other-tools", "Recreate them", "Trello Butler rules",
      "We rely on lots of Trello Butler rules. Will they come across when we import our boards into Loomline?"),
    A("w", "import-from-other-tools", "CSV import", None,
      "on the free plan, can i use the asana importer? want to try before upgrading"),

    # ---------------- export-workspace-data ----------------
    A("e", "export-workspace-data", "10 GB", "Quarterly full backup",
      "Hi,\n\nOur policy requires a full backup of the workspace every quarter, including attachments. "
      "How do we do that, and how big will the files be (our archive server doesn't like huge single "
      "files)?\n\nBest,\n[NAME]\nIT, [CO]"),
    A("w", "export-workspace-data", "only for that person", None,
      "i requested the workspace export, forwarded the email to my colleague and the download link doesnt work for him??"),
    A("f", "export-workspace-data", "24 hours", "Export not ready yet",
      "I started a workspace export with attachments about 3 hours ago and still have no email. "
      "How long does it normally take?"),
    A("e", "export-workspace-data", "never exported", "Secrets in the JSON export?",
      "Hello,\n\nOur security team wants to know whether the JSON workspace export contains API tokens, "
      "passwords or integration secrets before we store it on a shared drive.\n\nThanks,\n[NAME]"),

    # ---------------- export-to-pdf ----------------
    A("e", "export-to-pdf", "Fit to one page", "Timeline as PDF, urgent",
      "Hi,\n\nOur biggest client is really unhappy with us about the schedule slipping and wants to see the "
      "whole plan in an hour. How do I get the Timeline into a PDF on a single page?\n\n[FIRST]", kind=HN),
    A("w", "export-to-pdf", "2,000 tasks", None,
      "pdf export cut off half my tasks. project has like 3000"),
    A("e", "export-to-pdf", "footnotes", "Doc PDF with comments",
      "Hello,\n\nWhen I export a doc to PDF, can the comments be included somehow? Our reviewers want to "
      "see them on paper.\n\nThanks,\n[NAME]"),

    # ---------------- trash-and-restore ----------------
    A("w", "trash-and-restore", "Restore", None,
      "deleted a whole project by accident like 10 mins ago!!! can i get it back"),
    A("e", "trash-and-restore", "30 days", "Restore something deleted 6 weeks ago",
      "Hi,\n\nA colleague deleted a task list about six weeks ago and we only noticed now. Can you restore it "
      "from your side?\n\nThanks,\n[NAME]"),
    A("f", "trash-and-restore", "restore anything", "Restoring a colleague's deletion",
      "As an admin, can I restore a doc that someone else in the workspace deleted? It's not in my own Trash."),

    # ---------------- data-retention-after-cancellation ----------------
    A("e", "data-retention-after-cancellation", "doesn't delete", "Our data after cancelling",
      "Hello,\n\nIf we cancel our Team subscription, will our projects and files be deleted? We might come "
      "back next year.\n\nRegards,\n[NAME]"),
    A("f", "data-retention-after-cancellation", "24 months", "Old unused Free workspace",
      "We have an old Free workspace that nobody has used for a long time. Will you delete it at some point?"),
    A("w", "data-retention-after-cancellation", "10 years", None,
      "if we delete our workspace how long do you keep our invoices / payment records"),
    A("e", "data-retention-after-cancellation", "Restore workspace", "Deleted the wrong workspace",
      "Hi,\n\nYesterday I deleted our workspace thinking it was the test one. It wasn't. I'm the Owner and I "
      "still have the confirmation email. Please tell me it can be undone!\n\n[FIRST]"),

    # ---------------- notification-settings ----------------
    A("w", "notification-settings", "15 minutes", None,
      "getting like 40 emails an hour from loomline. can they be grouped somehow"),
    A("e", "notification-settings", "Time zone", "Daily digest at odd hours",
      "Hi,\n\nMy daily digest arrives in the middle of the afternoon, which is useless. I moved from London to "
      "Vancouver in spring. Can I fix that?\n\nThanks\n[FIRST]"),
    A("f", "notification-settings", "24 hours before", "Due date reminders",
      "When exactly are due date reminders sent out?"),
    A("e", "notification-settings", "Notifications", "Our support agents get too many emails",
      "Hello,\n\nOur support agents follow a lot of tasks in Loomline and get an email for every single "
      "comment. Can they get emails only for mentions and assignments, and see the rest in the app?\n\n"
      "Best,\n[NAME]\nTeam Lead Customer Care, [CO]", kind=HN),

    # ---------------- mute-a-project ----------------
    A("w", "mute-a-project", "Mute activity", None,
      "one project is super noisy. can i mute it but still get pinged when someone @'s me"),
    A("e", "mute-a-project", "Out of office", "Pausing notifications during leave",
      "Hi,\n\nI'm going on parental leave for three weeks from Monday. Can I pause all notifications until "
      "I'm back, without changing all my settings?\n\nThanks!\n[FIRST]"),
    A("w", "mute-a-project", "Following", None,
      "are you a bot? whatever lol. how do i stop getting updates about ONE task", kind=HN),

    # ---------------- slack-integration-setup ----------------
    A("e", "slack-integration-setup", "/invite @Loomline", "Private Slack channel not listed",
      "Hi,\n\nI want a project's updates to go to our private #launch-war-room channel, but it doesn't show "
      "up in the channel list. Public channels work.\n\nCheers,\n[FIRST]"),
    A("w", "slack-integration-setup", "/loomline new", None, "can i create a loomline task straight from slack?"),
    A("f", "slack-integration-setup", "up to 2", "Third Slack connection blocked",
      "We're on the Free plan and can't connect a third project to a Slack channel. Is that a limit?"),
    A("e", "slack-integration-setup", "labels", "Posting only refund tasks to Slack",
      "Hello,\n\nWe track our own customers' refund requests as tasks in Loomline, each with the label "
      "'refund'. Can we post only those tasks to our #finance channel in Slack, not everything in the "
      "project?\n\nThanks,\n[NAME]", kind=HN),

    # ---------------- slack-troubleshooting ----------------
    A("e", "slack-troubleshooting", "Reconnect", "Slack updates stopped",
      "Hi,\n\nSince our IT lead left the company last week (he's the one who installed the Slack app), "
      "nothing from Loomline posts to Slack anymore. How do we get it going again without redoing all "
      "the channel setups?\n\n[NAME]"),
    A("w", "slack-troubleshooting", "try again in a minute", None,
      "/loomline in slack gives me 'dispatch_failed'. what does that mean"),
    A("f", "slack-troubleshooting", "away from Loomline", "No Slack DMs while I'm working",
      "Channel posts work fine but I never get personal Slack DMs while I'm at my desk with Loomline open. "
      "When I'm away they come through. Can I get them all the time?"),

    # ---------------- webhooks-setup ----------------
    A("e", "webhooks-setup", "Self-signed certificates", "Webhook endpoint rejected",
      "Hi,\n\nI'm trying to add a webhook endpoint pointing to our staging box, which uses a self-signed "
      "cert. Loomline refuses to save it. Is that expected?\n\nThanks,\n[FIRST]\nBackend dev @ [CO]"),
    A("f", "webhooks-setup", "10 seconds", "Webhook response timeout",
      "How long does Loomline wait for our endpoint to respond to a webhook before it counts as failed?"),
    A("w", "webhooks-setup", "up to 10", None, "how many webhook endpoints do we get on the Team plan"),
    A("e", "webhooks-setup", "X-Loomline-Delivery", "Same webhook event twice",
      "Hey,\n\nWe sometimes process the same task.updated event twice and create duplicate records in our "
      "system. How are we supposed to detect duplicates?\n\n[NAME]"),

    # ---------------- webhook-signatures ----------------
    A("e", "webhook-signatures", "express.raw()", "Webhook signature never matches (Node)",
      "Hi,\n\nOur Express app verifies X-Loomline-Signature but it never matches. We use app.use(express.json()) "
      "globally and compute the HMAC over JSON.stringify(req.body). Secret is copied straight from the "
      "dashboard.\n\nThanks\n[FIRST]"),
    A("w", "webhook-signatures", "including the prefix", None,
      "for the webhook hmac, do i strip the whsec_ bit from the secret or keep it?"),
    A("e", "webhook-signatures", "any matches", "Two v1 values in the header",
      "Hi,\n\nugh, still confused. Since this morning our signature header has TWO v1 values in it. Which one "
      "am I supposed to compare against? Our check started failing for some requests.\n\n[FIRST]", kind=HN),

    # ---------------- webhook-retries ----------------
    A("e", "webhook-retries", "45 hours", "Receiver down over the weekend",
      "Hello,\n\nOur webhook receiver was down from Saturday morning until Sunday evening. Will Loomline have "
      "retried the events, and for how long does it keep trying?\n\nBest,\n[NAME]"),
    A("f", "webhook-retries", "72 hours", "Endpoint got disabled",
      "We received an email that one of our webhook endpoints was disabled. When does that happen, and how "
      "do we turn it back on?"),

    # ---------------- api-tokens ----------------
    A("e", "api-tokens", "only once", "Can I see my token again?",
      "Hi,\n\nI created a personal API token last week and didn't save it anywhere. Can I view it again in "
      "settings somewhere?\n\nThanks,\n[FIRST]"),
    A("w", "api-tokens", "25 active tokens", None, "is there a max number of api tokens per person?"),
    A("f", "api-tokens", "OAuth 2.0", "Integration for other customers",
      "We're building a small integration that other Loomline customers will install. Should it use "
      "personal API tokens?"),

    # ---------------- api-rate-limits ----------------
    A("e", "api-rate-limits", "600", "429 Too Many Requests",
      "Hi,\n\nOur sync script keeps getting 429 Too Many Requests. We're on the Business plan. What's our limit "
      "per minute exactly?\n\nThanks\n[FIRST]"),
    A("f", "api-rate-limits", "30 requests per minute", "Search endpoint limit",
      "Our search calls to /v2/search get throttled much earlier than our other calls. Is the limit different?"),
    A("w", "api-rate-limits", "isn't allowed", None,
      "can i just make a few more tokens so my script can go faster than the rate limit?"),

    # ---------------- zapier-integration ----------------
    A("w", "zapier-integration", "My Apps", None, "zapier says loomline connection expired. what do i do"),
    A("e", "zapier-integration", "Refresh fields", "Custom fields missing in Zap",
      "Hi,\n\nI added two custom fields to a project yesterday but they don't show up in the Zapier 'Create task' "
      "action. How do I get them there?\n\nThanks,\n[FIRST]"),
    A("f", "zapier-integration", "all Loomline plans", "Zapier on Free",
      "Does the Loomline Zapier app work if we're on the Free plan?"),
    A("e", "zapier-integration", "Create task", "Typeform responses to tasks",
      "Hello,\n\nWe handle our customers' refund requests through a Typeform. Can each new form response "
      "automatically create a task in our 'Refunds' project in Loomline?\n\nThanks\n[NAME]", kind=HN),

    # ---------------- google-calendar-sync ----------------
    A("e", "google-calendar-sync", "8 to 24 hours", "Calendar feed is slow",
      "Hi,\n\nI added the Loomline calendar feed to Google Calendar. When I change a due date in Loomline it "
      "takes ages to show up in Google. Can I make it refresh faster?\n\n[FIRST]"),
    A("w", "google-calendar-sync", "never deletes the task", None,
      "if i delete an event in google calendar will it delete my task in loomline??"),
    A("e", "google-calendar-sync", "each person connects their own calendar", "Two-way sync for the team",
      "Hello,\n\nAs an Admin, can I set up two-way Google Calendar sync once for the whole team instead of "
      "everyone doing it?\n\nThanks,\n[NAME]"),

    # ---------------- github-integration ----------------
    A("e", "github-integration", "branch name", "Linking commits to tasks",
      "Hi,\n\nWe installed the GitHub app. How do commits and pull requests get linked to a Loomline task? "
      "Do we have to do something in each PR?\n\n[FIRST]"),
    A("f", "github-integration", "Enterprise only", "GitHub Enterprise Server",
      "We are hosting our code in GitHub Enterprise Server. Is the integration working with it on Business plan?"),
    A("w", "github-integration", "never copied", None,
      "does the github integration copy our source code into loomline? security team asking"),

    # ---------------- install-mobile-apps ----------------
    A("w", "install-mobile-apps", "Android 10", None, "does the app work on android 9? old work phone"),
    A("e", "install-mobile-apps", "iPadOS 16", "iPad support",
      "Hi,\n\nWhich iOS/iPadOS version do I need for the Loomline app? Our warehouse iPads are a few years "
      "old.\n\nThanks,\n[NAME]"),
    A("f", "install-mobile-apps", "Google Play services", "Huawei phone, no notifications",
      "I installed Loomline on my Huawei phone. The app works but I never get notifications."),

    # ---------------- offline-mode ----------------
    A("w", "offline-mode", "Keep available offline", None,
      "flying tomorrow 11h, how do i make sure our launch project is on my phone"),
    A("e", "offline-mode", "Don't sign out", "Signing out with offline changes",
      "Hi,\n\nI made a lot of changes on the plane and the app still shows pending changes. My phone is being "
      "replaced tomorrow; can I just sign out now and sign in on the new one?\n\n[FIRST]"),
    A("f", "offline-mode", "25 MB", "Attachments offline",
      "It is possible to attach photos and files when I am offline in the Android app? Exist a limit of the size?"),

    # ---------------- sync-conflicts ----------------
    A("e", "sync-conflicts", "conflict copy", "My offline description disappeared",
      "Hi,\n\nI rewrote a long task description on the train while offline. When I got back online, the "
      "description is my colleague's version and mine is gone?! Where is my text?\n\n[NAME]"),
    A("f", "sync-conflicts", "combined", "Labels changed offline and online",
      "I added labels to a task while offline, and a colleague removed some other labels at the same time "
      "on the web. What happens to the labels?"),
    A("w", "sync-conflicts", "Trash", None, "app says couldnt sync: task was deleted. i had changes in there"),

    # ---------------- push-notifications-not-arriving ----------------
    A("w", "push-notifications-not-arriving", "Unrestricted", None,
      "no push notifications on my samsung at all, notifications are allowed"),
    A("e", "push-notifications-not-arriving", "active on the web", "No push while at my desk",
      "Hi,\n\nI never get push notifications on my phone during work hours, only in the evening. I have "
      "Loomline open in Chrome most of the day. Is that related?\n\nThanks\n[FIRST]"),
    A("f", "push-notifications-not-arriving", "Send test notification", "Check if push works",
      "Is there a way to send myself a test push notification to see if my phone is set up right?"),

    # ---------------- supported-browsers ----------------
    A("e", "supported-browsers", "Safari 16", "Safari version",
      "Hello,\n\nSome of our designers are on older Macs. Which Safari version does Loomline need?\n\n[NAME]"),
    A("w", "supported-browsers", "aren't tested", None, "does loomline work in brave? some buttons look weird"),
    A("f", "supported-browsers", "8 GB RAM", "Laptop requirements",
      "We're buying new laptops for the PMO. Our projects have around 7,000 tasks each. Any recommended specs?"),

    # ---------------- slow-boards ----------------
    A("f", "slow-boards", "Cover images", "Board really slow to scroll",
      "This is a bit annoying - our sprint board takes forever to scroll and it's been like that all week. "
      "We attach a lot of screenshots as card covers. Any tips?", kind=HN),
    A("e", "slow-boards", "List view", "Huge project is sluggish",
      "Hi,\n\nOur support-intake project has about 8,000 open tasks and the Board view is basically unusable. "
      "What would you suggest?\n\n[FIRST]"),
    A("w", "slow-boards", "200 cards", None, "why does my column only show 200 cards?"),

    # ---------------- clear-cache ----------------
    A("w", "clear-cache", "Cmd + Shift + R", None, "how do i hard refresh on a mac"),
    A("e", "clear-cache", "Reset local data", "Buttons missing after update",
      "Hi,\n\nSince your update yesterday a few buttons are missing for me in the task panel, colleagues see "
      "them fine. Is there a way to reset just Loomline without clearing my whole browser?\n\n[NAME]"),
    A("f", "clear-cache", "Clear cookies and site data", "Clearing data in Firefox",
      "How do I clear only Loomline's stored data in Firefox? I don't want to log out of every other site."),

    # ---------------- plan-limits ----------------
    A("e", "plan-limits", "50 custom fields per project", "Custom field limit",
      "Hello,\n\nWe tried to add another custom field to our CRM-style project and it won't let us. "
      "How many custom fields can a project have?\n\n[NAME]"),
    A("f", "plan-limits", "first day of each calendar month", "Automations stopped running",
      "Our automations stopped running on the 23rd. We're on Team. When does the counter reset?"),
    A("e", "plan-limits", "100 statuses per project", "How many columns can a project have?",
      "Hi,\n\nWe use a Loomline board to track the price quotes we send to our own clients, with one column per "
      "stage of negotiation. How many statuses/columns can one project have?\n\nThanks,\n[FIRST]", kind=HN),

    # ---------------- file-upload-limits ----------------
    A("w", "file-upload-limits", "100 MB", None,
      "error 413 when uploading a 180mb video, were on team plan"),
    A("e", "file-upload-limits", "ZIP", "Can't upload .exe",
      "Hi,\n\nI need to share an installer (.exe) with the QA team inside a task, but Loomline refuses the "
      "file. Is there a way?\n\n[FIRST]"),

    # ---------------- attachment-storage ----------------
    A("e", "attachment-storage", "Empty trash", "Storage full",
      "Hello,\n\nWe get 'Storage full — ask an admin to free up space'. I deleted a bunch of big videos but "
      "the usage didn't go down. What am I missing?\n\n[NAME]"),
    A("w", "attachment-storage", "doesn't grow with seats", None,
      "if we add more seats do we get more storage?"),
    A("f", "attachment-storage", "doesn't count", "Do Google Drive links use storage?",
      "if we attach google drive links to tasks instaed of uploading the files does that use our storage ?"),

    # ---------------- audit-log ----------------
    A("e", "audit-log", "Export CSV", "Role changes report",
      "Hi,\n\nMy manager asked me to pull a list of all role changes in our workspace over the last six months, "
      "ideally as a spreadsheet. We're on Business. How do I do that?\n\nThanks,\n[FIRST]", kind=HN),
    A("f", "audit-log", "Streaming", "Audit events to Splunk",
      "We're on Enterprise. Can we send Loomline audit events to Splunk continuously?"),
    A("w", "audit-log", "1 year", None, "how far back does the audit log go on business"),
    A("f", "audit-log", "project.deleted", "Which projects were removed?",
      "One of our PMs cleaned up a bunch of old projects last week and we're not sure exactly which ones are "
      "gone now. Can I see who deleted which project and when? We're on Business.", kind=HN),

    # ---------------- ip-allowlist ----------------
    A("e", "ip-allowlist", "Monitor only", "Testing the IP allowlist",
      "Hello,\n\nBefore we enforce an IP allowlist, I'd like to see who would be blocked without actually "
      "blocking anyone. Is that possible?\n\n[NAME]\nSecurity Engineering, [CO]"),
    A("f", "ip-allowlist", "keep working", "Allowlist and integrations",
      "If we turn on the IP allowlist, will our Slack and GitHub integrations break?"),
    A("w", "ip-allowlist", "100 ranges", None, "how many ip ranges can we add to the allowlist?"),

    # ---------------- data-encryption ----------------
    A("e", "data-encryption", "AES-256", "Vendor security questionnaire",
      "Hi,\n\nOur legal and compliance team is filling in a vendor questionnaire for Loomline. They asked how "
      "data is encrypted at rest and which TLS versions you support.\n\nBest regards,\n[NAME]", kind=HN),
    A("f", "data-encryption", "not currently available", "Bring your own key",
      "Do you support customer-managed encryption keys (BYOK)? It's a requirement from our CISO."),
    A("w", "data-encryption", "Frankfurt", None, "where are our files physically stored? we are in austria"),

    # ---------------- session-management ----------------
    A("w", "session-management", "Sessions", None,
      "logged in on a hotel lobby computer and forgot to sign out 🤦 can i do it from my laptop"),
    A("e", "session-management", "1 hour", "Automatic sign-out after inactivity",
      "Hi,\n\nCan we automatically sign people out after 15 minutes of inactivity? We're on Business.\n\n[FIRST]"),
    A("f", "session-management", "30 days", "How long do I stay logged in?",
      "How much time I stay logged in the web app if I not make sign out?"),

    # ---------------- report-a-vulnerability ----------------
    A("e", "report-a-vulnerability", "bug bounty", "Bug bounty programme?",
      "Hi,\n\nI'm a freelance security researcher. Do you run a bug bounty programme, and is there a safe harbour "
      "for testing?\n\n[NAME]"),
    A("f", "report-a-vulnerability", "security@loomline.example", "Where to report a vulnerability",
      "I think I may have found a security issue in the web app. Where should I send the details?"),
    A("w", "report-a-vulnerability", "2 business days", None,
      "how fast do you usually get back on vulnerability reports?"),

    # ---------------- common-error-messages ----------------
    A("w", "common-error-messages", "status.loomline.example", None,
      "just got 'something went wrong (code 502)' what do i do"),
    A("e", "common-error-messages", "Full access", "403 on a project",
      "Hi,\n\nA colleague sent me a link to a project and I get 'You don't have access to this project' (403). "
      "How do I get in?\n\n[FIRST]"),
    A("f", "common-error-messages", "Reference ID", "Error with a Ref code",
      "An error popped up with 'Ref: 4b81d0aa' at the bottom. Is that useful to you if I report it?"),

    # ---------------- blank-page ----------------
    A("e", "blank-page", "Ctrl + Shift + R", "White screen since this morning",
      "Hello,\n\nSince this morning Loomline is just a white page for me in Chrome on Windows. Colleagues are "
      "fine.\n\n[NAME]"),
    A("w", "blank-page", "cdn.loomline.example", None,
      "loomline is blank on the office wifi but fine on my phone hotspot??"),
    A("f", "blank-page", "List", "One project stays blank",
      "Everything in Loomline works except one big project, which just shows an empty page in Board view."),

    # ---------------- sync-stuck ----------------
    A("f", "sync-stuck", "realtime.loomline.example", "Reconnecting banner on VPN",
      "When I'm on our company VPN, Loomline shows 'Reconnecting…' all the time. Without VPN it's fine."),
    A("w", "sync-stuck", "Retry all", None, "phone app stuck on syncing, says 12 pending changes"),
    A("e", "sync-stuck", "Don't close the tab", "Syncing... for a while",
      "Hi,\n\nThe web app has shown 'Syncing…' for a few minutes and I've written a lot of notes. Can I close "
      "the tab and come back later?\n\n[FIRST]"),

    # ---------------- emails-not-received ----------------
    A("e", "emails-not-received", "Resume email delivery", "No emails from Loomline",
      "Hello,\n\nI haven't received any notification emails for about a week. In my notification settings there "
      "is a yellow bar that says 'Email delivery paused'.\n\n[NAME]"),
    A("f", "emails-not-received", "mail.loomline.example", "Mimecast holding emails",
      "Our company uses Mimecast and I think it's eating Loomline notifications. What should IT allow?"),
    A("w", "emails-not-received", "billing@loomline.example", None,
      "which address do your invoices come from? want to whitelist it"),
]

CASES += [
    # ---------------- more hard negatives (trigger words used harmlessly / mild frustration) ----------------
    A("w", "install-mobile-apps", "Android 10", None,
      "we're a small travel agency, our agents are always on the road. which android version do they need for the app?",
      kind=HN),
    A("e", "import-from-other-tools", "Team, Business and Enterprise", "Moving our case tracker from Asana",
      "Hi,\n\nWe're a small law firm and we track our clients' lawsuits and court deadlines as projects in Asana. "
      "We'd like to bring all of it into Loomline, comments and due dates included. Which plan do we need to run "
      "the importer, and who can run it?\n\nKind regards,\n[NAME]\nPractice Manager, [CO]", kind=HN),
    A("f", "two-factor-authentication", "authenticator app", "Turning on 2FA",
      "After reading about a big data breach at a completely different company this week, I want to turn on two-step "
      "login for my own Loomline account. How do I do it?", kind=HN),
    A("e", "reset-password", "5 minutes", "Reset email - a bit frustrating",
      "Hi,\n\nThis is getting a bit frustrating, honestly. I clicked 'Forgot password' twice in the last 2 minutes "
      "and nothing has come yet. I sign in with email and password, no SSO. Anything I should check?\n\n[FIRST]",
      kind=HN),
    A("f", "import-from-csv", "Assignee", "Importing our HR onboarding checklist",
      "Our human resources team keeps the onboarding checklist for new hires in a spreadsheet. We want to import it "
      "as tasks. What columns does Loomline understand, and how do I put the responsible person in the file?",
      kind=HN),
]
