"""Local fake HTTP servers for the providers (Twilio, the Gmail API, Google's OIDC certificates).

Each is a real HTTP server on 127.0.0.1 with an ephemeral port, run in a thread, so the
official client libraries are exercised end to end without reaching the internet.
"""
