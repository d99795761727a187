"""The request class of our WSGI application: no charset breaks a request before it reaches us."""
from __future__ import annotations

import pytest
from werkzeug.test import Client

from fte_project.requests import text_encoding
from fte_project.wsgi import application


@pytest.mark.parametrize("charset", ["base64", "rot13", "zip", "hex", "uu"])
def test_a_charset_that_is_no_text_encoding_is_ignored_not_a_500(charset: str) -> None:
    client = Client(application)
    # Django re-decoded the query string with it inside the request's constructor: a 500 on any URL.
    schema = client.get("/api/schema/?format=json", headers={"Content-Type": f"text/plain; charset={charset}"})
    assert schema.status_code == 200

    webhook = client.post("/webhooks/whatsapp?x=1", data=b"Body=hi",
                          headers={"Content-Type": f"application/x-www-form-urlencoded; charset={charset}"})
    assert webhook.status_code == 400
    assert "UTF-8" in webhook.json["detail"]


def test_text_encoding() -> None:
    assert text_encoding("utf-8") and text_encoding("latin-1") and text_encoding("UTF8")
    assert not text_encoding("base64") and not text_encoding("0") and not text_encoding("nonsense")
