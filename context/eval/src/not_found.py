"""Escalate as knowledge_not_found:
- "unanswerable": polite questions the Help Centre does not answer, many of them near-misses
  of a real article (the closest article is noted in a comment);
- "bug": problems that persist after the relevant troubleshooting, or look like a defect;
- "staff_only": actions only Loomline staff can perform.
"""

from common import X

KNF = "knowledge_not_found"
U, BUG, STAFF = "unanswerable", "bug", "staff_only"

CASES = [
    # ---------------- unanswerable ----------------
    # near export-to-pdf (Timeline) — colours not documented
    X("e", KNF, "Timeline bar colours",
      "Hi,\n\nIs it possible to colour the bars in Timeline view by label? We'd like design work in one colour and "
      "dev work in another so the client can read the chart at a glance.\n\nThanks,\n[FIRST]", U),
    X("w", KNF, None, "hi, is there a microsoft teams integration? we dont use slack", U),
    X("f", KNF, "Dark mode", "Does Loomline have a dark mode? My eyes would be grateful.", U),
    X("e", KNF, "Hosting Loomline ourselves",
      "Hello,\n\nOur group IT policy prefers tools that run inside our own AWS account. Is there a version of "
      "Loomline we can deploy in our own cloud environment?\n\nBest regards,\n[NAME]\nEnterprise Architecture, [CO]", U),
    X("f", KNF, "Time tracking", "Can team members log the hours they spend on a task? We bill clients by the hour.", U),
    # near plan-limits/company: recurring tasks exist but are not documented in the Help Centre
    X("e", KNF, "Recurring task every second Tuesday",
      "Hi there,\n\nHow do I set up a task that repeats every second Tuesday of the month? I can't find the "
      "option.\n\nCheers,\n[FIRST]", U),
    X("w", KNF, None, "can i change the app language to german? some of my team dont read english well", U),
    # near notification-settings: digest time is stated (08:00) but not whether it can be changed
    X("f", KNF, "Digest at a different time",
      "The daily digest arrives at 8 in the morning. Could it arrive at 6:30 instead? I start early.", U),
    X("e", KNF, "Column colours",
      "Hello,\n\nCan each status column on a board have its own colour? Our old tool had red for Blocked and "
      "it helped a lot.\n\nThanks\n[NAME]", U),
    # near api-tokens / api-rate-limits
    X("f", KNF, "GraphQL?", "Does the Loomline API offer a GraphQL endpoint, or only REST?", U),
    X("w", KNF, None, "is there an official python sdk for the api or do we write our own wrapper", U),
    # near webhooks-setup: payload fields not documented
    X("e", KNF, "Previous values in task.updated",
      "Hi,\n\nDoes the task.updated webhook payload include the previous values of the fields that changed? "
      "We need to know what the status was before the change, not only after.\n\nThanks,\n[FIRST]\n[CO] Engineering", U),
    # near single-sign-on-setup
    X("e", KNF, "Two identity providers in one workspace",
      "Dear Loomline team,\n\nOur group has two subsidiaries, one on Okta and one on Entra ID. Can one Loomline "
      "workspace accept SSO from both identity providers at the same time?\n\nKind regards,\n[NAME]", U),
    # near export-to-pdf
    X("f", KNF, "Scheduled PDF", "Can Loomline email a PDF of our project every Friday automatically?", U),
    X("w", KNF, None, "can i put a password on the pdf export? has client budget stuff in it", U),
    # near trash-and-restore / sync-conflicts: doc version history not documented
    X("e", KNF, "Older version of a doc",
      "Hello,\n\nSomeone overwrote large parts of our onboarding doc last week (not deleted, just edited). Is "
      "there a version history where I can get an earlier version of the doc back?\n\n[NAME]", U),
    X("f", KNF, "Merge two projects",
      "We have two projects for the same client by accident. Can I merge them into one project?", U),
    X("e", KNF, "Moving many tasks at once",
      "Hi,\n\nHow can I move 150 tasks from one project to another in one go? Doing it one by one would take "
      "all afternoon.\n\nThanks,\n[FIRST]", U),
    X("w", KNF, None, "is there a list of keyboard shortcuts somewhere?", U),
    X("f", KNF, "Embed a board in Confluence",
      "Can we embed a live Loomline board inside a Confluence or Notion page?", U),
    X("w", KNF, None, "do you have an apple watch app?", U),
    # near export-to-pdf (Timeline dependencies)
    X("e", KNF, "Working days in Timeline",
      "Hello,\n\nWhen a task with a dependency moves, do the following tasks skip weekends and public holidays? "
      "Can we define working days for Timeline?\n\nBest,\n[NAME]\nPMO, [CO]", U),
    X("f", KNF, "WIP limits", "Can I set a work-in-progress limit on a board column, e.g. max 5 cards in Review?", U),
    # near data-encryption (region)
    X("e", KNF, "Moving our data region",
      "Hi,\n\nOur workspace shows Data region: US, but we are now mostly a European company. Can the workspace be "
      "moved to the EU region?\n\nRegards,\n[NAME]", U),
    # near import-from-other-tools
    X("f", KNF, "Ongoing sync with Jira",
      "We don't want a one-off import. Can Loomline and Jira Cloud stay in sync continuously, so changes on "
      "either side show up in the other?", U),
    X("e", KNF, "Automation emailing an external address",
      "Hello,\n\nCan an automation send an email to someone outside the workspace, for example our client, "
      "when a task is moved to Done?\n\nThanks,\n[FIRST]", U),
    X("w", KNF, None, "is there an email address i can forward emails to so they become tasks?", U),
    # near session-management / single-sign-on-setup
    X("e", KNF, "SAML single logout",
      "Hi,\n\nDo you support SAML Single Logout, so that when a user signs out of Okta they're also signed "
      "out of Loomline?\n\nThanks\n[NAME]\nIAM team, [CO]", U),
    X("f", KNF, "Task templates", "How do I create a task template with a fixed checklist that I can reuse?", U),
    X("w", KNF, None, "can i share a board with a public read only link? for people without an account", U),
    X("e", KNF, "Workload capacity",
      "Hello,\n\nIn the workload view, can I set how many hours per week each person is available, so "
      "over-allocation is highlighted?\n\nThanks,\n[NAME]", U),
    X("f", KNF, "Right-to-left text in docs",
      "Do Loomline docs support right-to-left languages? Our Tel Aviv office writes in Hebrew.", U),
    X("w", KNF, None, "is there a chrome extension for loomline to clip web pages into tasks?", U),
    # near install-mobile-apps (widget is "My tasks today")
    X("f", KNF, "Widget for one project",
      "Can the home-screen widget on iPhone show a specific project instead of my tasks for today?", U),
    X("e", KNF, "Week start in Calendar",
      "Hi,\n\nHow do I make the Calendar view start weeks on Monday instead of Sunday?\n\n[FIRST]", U),
    X("f", KNF, "Custom email templates",
      "Can we add our company logo and colours to the notification emails Loomline sends to our guests?", U),
    X("e", KNF, "Custom domain",
      "Hello,\n\nCan we reach our workspace at projects.[DOMAIN] instead of app.loomline.example? It would "
      "help our clients trust the links.\n\nThanks,\n[NAME]", U),
    # near two-factor-authentication ("Trust this device for 30 days" is fixed in the article)
    X("e", KNF, "Shorter trusted-device period",
      "Hi,\n\nOur security officer would like the 'trust this device' period to be 7 days instead of 30 for our "
      "workspace. Is that configurable?\n\nBest regards,\n[NAME]", U),
    X("w", KNF, None, "can i rename 'tasks' to 'tickets' everywhere in the app? our team calls them tickets", U),
    X("f", KNF, "Cycle time report", "Is there a report that shows how long tasks spend in each status?", U),
    X("e", KNF, "Required custom fields",
      "Hello,\n\nCan a custom field be made mandatory, so a task can't be created without a value?\n\n[FIRST]", U),
    # near api-rate-limits (file uploads have a rate limit, the endpoint isn't documented)
    X("f", KNF, "Uploading attachments via API",
      "Which API endpoint do I use to upload an attachment to a task, and what does the request look like?", U),
    X("e", KNF, "Cursor pagination",
      "Hi,\n\nDoes the API support cursor-based pagination? With page numbers we sometimes skip tasks when "
      "new ones are created during the sync.\n\nThanks\n[NAME]", U),
    # near webhook-signatures
    X("f", KNF, "mTLS for webhooks",
      "Can Loomline present a client certificate (mutual TLS) when it calls our webhook endpoint? HMAC is "
      "fine but our gateway requires mTLS.", U),
    X("w", KNF, None, "does the trello importer bring over the cover images of cards?", U),
    X("e", KNF, "Jira Service Management",
      "Hello,\n\nDoes the Jira Cloud importer also work for Jira Service Management projects, including the "
      "customer request types?\n\nKind regards,\n[NAME]", U),
    X("f", KNF, "SCIM groups to Teams",
      "We're on Enterprise with SCIM from Entra ID. Do our IdP groups get pushed into Loomline Teams "
      "automatically?", U),
    X("w", KNF, None, "how many docs can one project have? is there a limit", U),
    X("e", KNF, "Uptime history",
      "Hi,\n\nFor our vendor review I need your actual uptime percentage for the last 12 months. Where can I "
      "find that?\n\nThanks,\n[NAME]", U),
    X("f", KNF, "Pinning comments", "Can I pin an important comment to the top of a task?", U),
    X("w", KNF, None, "can 2 people be assignee on the same subtask? and does it show for both in my tasks", U),
    X("e", KNF, "Critical path",
      "Hello,\n\nCan the Timeline highlight the critical path of a project automatically?\n\nBest,\n[FIRST]", U),
    X("f", KNF, "Access from China",
      "Part of our team works from Shenzhen. Is Loomline accessible from mainland China without a VPN?", U),
    X("e", KNF, "Portfolio dashboards",
      "Hi,\n\nHow do we set up portfolio reporting across all our client projects? I can't find any article on "
      "it.\n\nThanks\n[NAME]", U),
    X("w", KNF, None, "can i be signed in with 2 different loomline accounts in the phone app at the same time? work + personal", U),
    X("f", KNF, "Guests in many projects",
      "Is there a maximum number of projects a single guest can be invited to?", U),
    X("e", KNF, "Voice notes transcription",
      "Hi,\n\nWe record voice notes on the mobile app. Does Loomline transcribe them into text automatically?\n\n"
      "[FIRST]", U),
    X("f", KNF, "Default assignee per column", "Can a board column have a default assignee, so tasks moved into Review get assigned to our reviewer automatically?", U),
    X("w", KNF, None, "do you have a figma plugin? not just embed, like creating tasks from figma", U),
    # near notification-settings (reminders: 24 hours before and on the due date)
    X("e", KNF, "Reminders to the whole project",
      "Hi,\n\nCan due date reminders also go to everyone following the project, not only to the assignee? Our "
      "account managers want to know when client tasks are due.\n\nThanks,\n[NAME]", U),

    # ---------------- staff-only actions ----------------
    X("e", KNF, "Lost phone and recovery codes - only admin",
      "Hello,\n\nI lost my phone on the train yesterday, and with it my authenticator app. I can't find the "
      "recovery codes either. I'm the Owner and the only admin of our workspace, which is on the Team plan. "
      "I'm writing from the email address of my account. What do you need from me to remove 2FA?\n\n"
      "[NAME]\n[CO]", STAFF),
    X("w", KNF, None,
      "my phone got stolen, had the authenticator on it, no backup codes. im on a free workspace by myself. "
      "how do i get back in", STAFF),
    X("e", KNF, "Owner left the company",
      "Dear support,\n\nThe Owner of our workspace left [CO] in March and doesn't respond to any messages. "
      "I'm an Admin and I'd like to become the Owner so I can manage billing. Our managing director can confirm "
      "on letterhead. What else do you need?\n\nKind regards,\n[NAME]", STAFF),
    X("f", KNF, "Restore our deleted workspace",
      "Our Owner deleted our workspace 10 days ago by mistake and the 'Restore workspace' email seems to have "
      "been deleted in a mailbox clean-up. I'm writing from the Owner's address. Please restore it.", STAFF),
    X("e", KNF, "Locked out by IP allowlist",
      "Hi,\n\nWe changed internet providers on Friday and now nobody can reach our Enterprise workspace: everyone "
      "gets 'Access from your network is not allowed'. The Owner exemption was switched off. I'm the Owner "
      "and I'm writing from my account address.\n\n[NAME]\nIT Director, [CO]", STAFF),
    X("f", KNF, "Ownership - Owner on long leave",
      "Our workspace Owner is on extended medical leave for six months and can't be contacted. I'm an Admin. "
      "We need someone else to be Owner to handle the renewal. How do we arrange the transfer with you?", STAFF),
    X("e", KNF, "2FA removal - sole admin on Business",
      "Hello,\n\nWe're on Business, but I am both the Owner and the only Admin, so nobody can reset my two-factor "
      "in the workspace. Factory-reset my phone by accident and the recovery codes were in a note on the same "
      "phone. Please help me regain access.\n\n[NAME]", STAFF),
    X("f", KNF, "Check your email delivery logs",
      "Our finance mailbox hasn't received the last two invoice emails from billing@loomline.example. We checked "
      "spam and our Proofpoint quarantine. Can you check your delivery logs for invoices sent to us in the last "
      "3 weeks?", STAFF),
    X("e", KNF, "Enterprise ownership change - please speed up",
      "Hi,\n\nOur former Owner left last week without transferring the workspace. We're an Enterprise customer. "
      "I'm an Admin; the CFO has signed a letter on company letterhead confirming I should be the new Owner. "
      "Please start the transfer.\n\n[NAME]\nHead of PMO, [CO]", STAFF),
    X("w", KNF, None,
      "owner of our workspace deleted it 2 weeks ago in a rage before quitting 🙃 we need it back, 30 people "
      "work in there. im an admin", STAFF),

    # ---------------- bugs / persistent problems ----------------
    X("e", KNF, "Timeline view blank in every browser",
      "Hi,\n\nTimeline view shows an empty grid for all our projects since Tuesday. I've hard-reloaded, cleared "
      "Loomline's site data, tried a private window, and tried Chrome, Firefox and Edge. The status page is "
      "green and other views work fine.\n\n[FIRST]\n[CO]", BUG),
    X("f", KNF, "CSV import shifts dates by one day",
      "Every date in my CSV import ends up one day earlier in Loomline. The file uses YYYY-MM-DD as your article "
      "says, saved as CSV UTF-8, and my profile time zone is Europe/Lisbon. The preview shows the right "
      "dates, the imported tasks don't.", BUG),
    X("e", KNF, "Slack posts still missing after all checks",
      "Hello,\n\nNothing from project MKT has posted to #marketing for three days. I followed the whole Slack "
      "troubleshooting article: there's no Reconnect banner, the channel is public and not archived, all "
      "events are ticked, no label filters. Other projects post fine to other channels.\n\nThanks,\n[NAME]", BUG),
    X("w", KNF, None,
      "push still not working. checked all phone settings, battery unrestricted, signed out and in again, the "
      "test notification never arrives. pixel 8, android 14, app 6.12", BUG),
    X("f", KNF, "502 errors for over an hour",
      "We've been getting 'Something went wrong (code 502)' on every project page for over an hour. "
      "status.loomline.example shows all green. Ref: 7c21e9f0, on /projects/OPS at 10:42 CET.", BUG),
    X("e", KNF, "Zapier trigger fires twice",
      "Hi,\n\nOur 'New task' Zap in Zapier runs twice for every task created in Loomline, so we get two rows in "
      "Google Sheets each time. The Zap has only one trigger and we checked there's only one Zap.\n\n[FIRST]", BUG),
    X("f", KNF, "Google Calendar events duplicated",
      "Since Monday, two-way Google Calendar sync creates a duplicate event for each task every time it syncs. "
      "I've reconnected under Settings → Integrations → Google Calendar twice, no change.", BUG),
    X("e", KNF, "Signature mismatch, everything checked",
      "Hello,\n\nOur webhook signature check fails for about 1 in 20 deliveries. We hash the raw bytes, keep the "
      "whsec_ prefix, use the right endpoint's secret, the clock is synced with NTP, and there's no proxy in "
      "front. The failing ones all contain emoji in task titles, if that helps.\n\n[NAME]", BUG),
    X("w", KNF, None,
      "ios app crashes every time i open one specific doc (launch plan). other docs open fine. iphone 13, "
      "latest app version, already reinstalled", BUG),
    X("f", KNF, "Timeline PDF arrows wrong",
      "In Timeline PDF exports the dependency arrows point to the wrong tasks, they're shifted by one row. "
      "On screen they are correct. Tried A3 and A4, Fit to one page on and off.", BUG),
    X("e", KNF, "Search doesn't find new tasks",
      "Hi,\n\nTasks created today don't show up in search, even when I type the exact title or the task key. "
      "I did Settings → Advanced → Reset local data and tried another browser.\n\nThanks,\n[FIRST]", BUG),
    X("f", KNF, "Audit log export is empty",
      "When I filter the audit log to last month and click Export CSV, the downloaded file has only the header "
      "row, even though the screen shows 300+ events. Business plan, Chrome.", BUG),
    X("w", KNF, None,
      "custom field values vanish after i edit them on android offline. activity doesnt show any sync conflict, "
      "the value is just empty afterwards. happened 4 times this week", BUG),
    X("e", KNF, "Email delivery keeps pausing",
      "Hello,\n\n'Email delivery paused' keeps coming back every couple of days. I click Resume email delivery, "
      "our IT confirmed the mailbox is fine and loomline.example is allow-listed. Can you look at why our mails "
      "bounce?\n\n[NAME]", BUG),
    X("f", KNF, "Drag and drop broken in Firefox",
      "Dragging cards between columns doesn't work in Firefox ESR 128 (which you support) - the card snaps back. "
      "Works in Chrome. Private window and extensions off, same thing.", BUG),
]
