"""Formatting report figures: percentages, durations, dollars, and table cells by column kind."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


@register.filter
def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


@register.filter
def usd(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.2f}" if abs(value) >= 0.01 or value == 0 else f"${value:,.4f}"


def format_cell(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "pct":
        return pct(value)
    if kind == "seconds":
        return duration(value)
    if kind == "usd":
        return usd(value)
    if kind == "float":
        return f"{value:.2f}"
    if kind == "day" and isinstance(value, (date, datetime)):
        return value.strftime("%a %d %b")
    if kind == "int" and isinstance(value, int):
        return f"{value:,}"
    return str(value)


@register.simple_tag
def cell(value: Any, columns: list[Any], index: int) -> str:
    kind = columns[index].kind if index < len(columns) else "text"
    numeric = kind not in ("text", "day")
    return format_html('<td{}>{}</td>', ' class="num"' if numeric else "", format_cell(value, kind))


def _daily(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return pct(value)
    if kind == "seconds":
        return duration(value)
    if kind == "usd":
        return usd(value)
    if kind == "sentiment":
        return f"{value:.2f}"
    return f"{value:,.1f}".removesuffix(".0")


@register.simple_tag
def daily_value(value: Any, kind: str) -> str:
    return _daily(value, kind)


@register.simple_tag
def daily_figure(figures: dict[str, Any], key: str, kind: str) -> str:
    return _daily((figures or {}).get(key), kind)
