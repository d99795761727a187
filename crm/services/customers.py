"""Customers and their identifiers: who wrote in, across channels.

Every function is one business action in one transaction, keyword-only and typed.
"""
from __future__ import annotations

import hashlib

from django.db import connection, transaction

from crm.errors import InvalidInput
from crm.identity import normalise_email, normalise_phone
from crm.models import (
    Customer,
    CustomerIdentifier,
    IdentifierKind,
)
from crm.text import storable_text


def _identifier_owner(kind: str, value: str) -> Customer | None:
    # (kind, value) is unique: no ORDER BY needed (this runs on every inbound message).
    found = Customer.objects.filter(identifiers__kind=kind, identifiers__value=value).order_by()[:1]
    return found[0] if found else None


def _link_identifier(customer: Customer, kind: str, value: str) -> None:
    # ON CONFLICT DO NOTHING: a last line of defence; the advisory locks taken in
    # customer_resolve already keep two resolutions of one value from overlapping.
    CustomerIdentifier.objects.bulk_create(
        [CustomerIdentifier(customer=customer, kind=kind, value=value)], ignore_conflicts=True
    )


def _identifier_lock_key(kind: str, value: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_xact_lock`` (Python's ``hash`` is salted per process)."""
    digest = hashlib.blake2b(f"customer-identifier\n{kind}\n{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _lock_identifiers(identifiers: list[tuple[str, str]]) -> None:
    """Serialise every resolution involving one of these identifiers until our transaction ends.

    Without it two webhooks from a new sender both miss the lookup (neither sees the
    other's uncommitted rows) and create two customers, or collide on the unique email.
    Keys are taken in one global order, so two resolutions that share two identifiers
    cannot deadlock. (One-bigint keys never collide with the two-int4 keys used elsewhere.)
    """
    with connection.cursor() as cursor:
        for key in sorted({_identifier_lock_key(kind, value) for kind, value in identifiers}):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def customer_resolve(
    *, email: str | None = None, phone: str | None = None, name: str = "", claimed: bool = False
) -> Customer:
    """Find the customer behind an email and/or a phone number, or create them.

    ``claimed``: the identifiers were typed into a form, not proven by the channel (a
    WhatsApp number is proven by Twilio's signature, an address by our replies going to
    it). A claim finds a customer like any other contact, but it never adds an
    identifier, a name or an address to a customer who already existed: otherwise typing
    someone's address next to your own number would make your WhatsApp messages theirs.

    When one submission carries both and they belong to nobody yet, both are linked to
    one customer. When they already belong to two different customers we keep the
    email's owner (email is the cross-channel key) and do not merge silently: merging
    people is a decision for staff. Concurrent resolutions of one identifier are
    serialised: the lock is held until the caller's transaction commits, so the second
    finds what the first created.
    """
    norm_email = normalise_email(email) if email else None
    norm_phone = normalise_phone(phone) if phone else None
    name = storable_text(name or "")
    if not norm_email and not norm_phone:
        raise InvalidInput("An email address or a phone number is required to identify the customer.")
    # Validated before the transaction, so a caller may catch InvalidInput and go on. Inside
    # a caller's transaction (the intake) no savepoint: a database error here fails the
    # whole intake anyway, and each savepoint is two more round trips per webhook.
    with transaction.atomic(savepoint=False):
        return _customer_find_or_create(norm_email=norm_email, norm_phone=norm_phone, name=name, claimed=claimed)


def _customer_find_or_create(*, norm_email: str | None, norm_phone: str | None, name: str,
                             claimed: bool) -> Customer:
    _lock_identifiers(
        ([(IdentifierKind.EMAIL, norm_email)] if norm_email else [])
        + ([(IdentifierKind.PHONE, norm_phone)] if norm_phone else [])
    )

    by_email = _identifier_owner(IdentifierKind.EMAIL, norm_email) if norm_email else None
    email_linked = by_email is not None
    if norm_email and by_email is None:
        # Staff can type an address into a customer in the admin, which sets the field
        # but links no identifier. That customer owns the address all the same (and
        # creating another would break the unique email); rows typed by hand may differ
        # in case.
        by_email = Customer.objects.filter(email__iexact=norm_email).order_by("pk").first()
    by_phone = _identifier_owner(IdentifierKind.PHONE, norm_phone) if norm_phone else None
    customer = by_email or by_phone
    if customer is None:
        customer = Customer.objects.create(name=(name or "").strip()[:200], email=norm_email)
    elif claimed:
        if norm_email and not email_linked and by_email is not None:
            # The address is already this customer's (typed into the admin by staff).
            _link_identifier(customer, IdentifierKind.EMAIL, norm_email)
        return customer
    else:
        changed = []
        if name and not customer.name:
            customer.name = name.strip()[:200]
            changed.append("name")
        if norm_email and not customer.email and by_email is None:
            if not Customer.objects.filter(email=norm_email).exists():
                customer.email = norm_email
                changed.append("email")
        if changed:
            customer.save(update_fields=[*changed, "updated_at"])
    if norm_email and not email_linked:
        _link_identifier(customer, IdentifierKind.EMAIL, norm_email)
    if norm_phone and by_phone is None:
        _link_identifier(customer, IdentifierKind.PHONE, norm_phone)
    return customer
