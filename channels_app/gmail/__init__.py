"""Gmail: mail in through a Pub/Sub push and a mailbox sync, replies out in the customer's thread.

One module per job; import from the module that does it:

* :mod:`~channels_app.gmail.client`: the Gmail API client (credentials, a local fake, or
  the sandbox) and how its failures read.
* :mod:`~channels_app.gmail.push`: verifying a Pub/Sub push (OIDC or shared secret) and
  decoding what it says. The webhook does only this, then queues the sync.
* :mod:`~channels_app.gmail.sync`: the mailbox sync, run by the Celery task
  ``channels_app.gmail_mailbox_sync``: ``history.list`` and ``messages.get``, each mail
  stored once.
* :mod:`~channels_app.gmail.replies`: the MIME reply, threaded under the customer's mail.
* :mod:`~channels_app.gmail.watch`: registering and renewing Gmail's watch on the inbox.
* :mod:`~channels_app.gmail.sandbox`: a stand-in Gmail API answered from the database
  (``make run`` without credentials).
"""
