"""Google-style OIDC for Pub/Sub push tests: a local RSA key, its X.509 certificate served
at a local certs URL (the format of https://www.googleapis.com/oauth2/v1/certs), and
tokens signed with it by google-auth itself."""
from __future__ import annotations

import datetime as dt
import time
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

from channels_app.tests.fakes.server import FakeHTTPServer, FakeRequest, FakeResponse, ServedFake


class FakeGoogleCerts(ServedFake):
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-google-oidc")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(self.key, hashes.SHA256())
        )
        self.kid = "fake-kid-1"
        self.cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        key_pem = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()).decode()
        self.signer = crypt.RSASigner.from_string(key_pem, key_id=self.kid)
        self.server: FakeHTTPServer | None = None

    @property
    def certs_url(self) -> str:
        assert self.server
        return self.server.url + "/oauth2/v1/certs"

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.path == "/oauth2/v1/certs":
            return FakeResponse(200, {self.kid: self.cert_pem}, {"Cache-Control": "public, max-age=60"})
        return FakeResponse(404, {})

    def token(self, *, audience: str, email: str, email_verified: bool = True, issuer: str = "https://accounts.google.com",
              lifetime: int = 3600, issued_at: float | None = None, signer: Any = None) -> str:
        iat = int(issued_at if issued_at is not None else time.time())
        payload = {"iss": issuer, "aud": audience, "email": email, "email_verified": email_verified,
                   "sub": "1234567890", "azp": "1234567890", "iat": iat, "exp": iat + lifetime}
        return jwt.encode(signer or self.signer, payload, key_id=self.kid).decode()
