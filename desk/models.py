"""The desk's own data: canned replies (macros) staff insert into a reply."""
from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

#: What a canned reply may say about the ticket it is used on.
PLACEHOLDERS: dict[str, str] = {
    "first_name": "the customer's first name",
    "name": "the customer's full name",
    "ticket": "the ticket reference, e.g. TKT-7KQ2M4XB",
    "agent_first_name": "your first name",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def placeholders_in(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """``text`` with each known ``{placeholder}`` replaced; anything else is left as written.

    A plain substitution, not ``str.format``: a reply is text staff wrote, and format's
    attribute and index lookups (``{first_name.__class__}``) have no place in it.
    """
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _known_placeholders(text: str) -> None:
    unknown = placeholders_in(text) - PLACEHOLDERS.keys()
    if unknown:
        raise ValidationError(
            "Unknown placeholder%s %s; use %s." % (
                "s" if len(unknown) > 1 else "", ", ".join(f"{{{u}}}" for u in sorted(unknown)),
                ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)))


class CannedReply(models.Model):
    """A reply staff start from instead of a blank box (a "macro"), managed in admin."""

    title = models.CharField(max_length=120, unique=True, help_text="What staff pick it by, e.g. “Refund issued”.")
    body = models.TextField(
        max_length=5000, validators=[_known_placeholders],
        help_text="Plain text. Placeholders: " + ", ".join(f"{{{k}}} ({v})" for k, v in PLACEHOLDERS.items())
        + ". The greeting and signature are added when the reply is sent.")
    is_active = models.BooleanField(default=True, help_text="Offered on the ticket page.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   editable=False, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = "canned reply"
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return self.title

    def render(self, values: dict[str, str]) -> str:
        return fill_placeholders(self.body, values)
