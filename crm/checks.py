"""Start-up checks of the CRM's settings: a bad SLA calendar fails at start, not at the first escalation."""
from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from crm import sla
from crm.models import Urgency


@register("crm")
def sla_settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    try:
        sla.parse_business_hours(settings.SLA_BUSINESS_HOURS, settings.SLA_TIME_ZONE)
    except ImproperlyConfigured as exc:
        problems.append(Error(str(exc), id="crm.E001"))
    unknown = [u for u in settings.SLA_ALWAYS_ON_URGENCIES if u not in Urgency.values]
    if unknown:
        problems.append(Error(f"SLA_ALWAYS_ON_URGENCIES names unknown urgencies: {', '.join(unknown)}; "
                              f"expected some of {', '.join(Urgency.values)}", id="crm.E002"))
    return problems
