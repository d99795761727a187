"""The report pages, their CSV exports and the daily reports. Thin: parse the range, read figures, render."""
from __future__ import annotations

import csv
from datetime import date, datetime
from typing import Any

from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from crm.models import Channel
from reporting import tables as t
from reporting.access import manager_required
from reporting.drafts import article_draft_start
from reporting.figures.cost import cost
from reporting.figures.gaps import gaps
from reporting.figures.overview import overview
from reporting.figures.people import people
from reporting.models import DailyReport
from reporting.ranges import PRESETS, ReportRange, parse_range
from reporting.selectors import gap_questions_by_ids, tickets_for_export

PAGES = [("overview", "Overview"), ("gaps", "Knowledge gaps"), ("people", "People"), ("cost", "Cost"),
         ("daily_list", "Daily reports")]


def _tables_for(page: str, rng: ReportRange) -> tuple[list[t.Table], dict[str, Any]]:
    if page == "overview":
        ov = overview(rng)
        return t.overview_tables(ov), {"ov": ov}
    if page == "gaps":
        g = gaps(rng)
        return t.gaps_tables(g), {"gaps": g}
    if page == "people":
        return t.people_tables(people(rng)), {}
    if page == "cost":
        c = cost(rng)
        return t.cost_tables(c), {"cost": c}
    raise Http404(page)


def _render_page(request: HttpRequest, page: str, title: str) -> HttpResponse:
    rng = parse_range(request.GET)
    tables, extra = _tables_for(page, rng)
    context = {
        **admin.site.each_context(request), "title": title, "page": page, "pages": PAGES, "rng": rng,
        "presets": PRESETS, "channels": Channel.choices, "tables": tables, **extra,
    }
    return render(request, f"reporting/{page}.html", context)


@manager_required
def overview_view(request: HttpRequest) -> HttpResponse:
    return _render_page(request, "overview", "Reports: overview")


@manager_required
def gaps_view(request: HttpRequest) -> HttpResponse:
    return _render_page(request, "gaps", "Reports: knowledge gaps")


@manager_required
def people_view(request: HttpRequest) -> HttpResponse:
    return _render_page(request, "people", "Reports: people")


@manager_required
def cost_view(request: HttpRequest) -> HttpResponse:
    return _render_page(request, "cost", "Reports: cost")


@manager_required
@require_POST
def draft_start_view(request: HttpRequest) -> HttpResponse:
    """Start a help-centre draft from a knowledge-gap cluster, then open it in admin for review."""
    try:
        wanted = {int(v) for v in request.POST.getlist("ticket") if v.isdigit()}
    except ValueError:
        wanted = set()
    rng = parse_range(request.POST)
    questions = gap_questions_by_ids(ticket_ids=sorted(wanted)[:200])
    if not questions:
        messages.error(request, "Those questions are no longer in the report: nothing was drafted.")
        return HttpResponseRedirect(f"{reverse('reporting:gaps')}?{rng.query()}")
    draft = article_draft_start(questions=questions, user=request.user)
    messages.success(request, f"Draft “{draft.title}” started from {len(questions)} questions: edit it, then "
                              "approve it for the knowledge base.")
    return HttpResponseRedirect(reverse("admin:reporting_articledraft_change", args=[draft.pk]))


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_response(filename: str, header: list[str], rows: Any) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():  # type: ignore[no-untyped-def]
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_csv_value(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        # A spreadsheet would run it as a formula (CSV injection): keep it text.
        return "'" + value
    return value


EXPORT_PAGE = {"messages-per-day": "overview", "conversations-per-day": "overview", "ai-resolution": "overview",
               "escalation-rate": "overview", "escalation-reasons": "overview", "response-times": "overview",
               "sla": "overview", "sentiment": "overview", "knowledge-gaps": "gaps", "people": "people",
               "cost-per-day": "cost", "cost-by-model": "cost", "cost-summary": "cost"}


@manager_required
def export_view(request: HttpRequest, name: str) -> HttpResponse:
    """Any report table as CSV, or ``tickets``: one row per ticket opened in the range."""
    rng = parse_range(request.GET)
    stamp = f"{rng.first_day:%Y%m%d}-{rng.last_day:%Y%m%d}"
    if name == "tickets":
        return _csv_response(f"tickets-{stamp}.csv", t.TICKET_COLUMNS,
                             tickets_for_export(start=rng.start, end=rng.end, channel=rng.channel).iterator())
    if name not in EXPORT_PAGE:
        raise Http404(f"No report table {name!r}.")
    tables, _extra = _tables_for(EXPORT_PAGE[name], rng)
    table = next(tb for tb in tables if tb.name == name)
    return _csv_response(f"{name}-{stamp}.csv", [c.label for c in table.columns], table.rows)


@manager_required
def daily_list_view(request: HttpRequest) -> HttpResponse:
    reports = DailyReport.objects.only("date", "created_at", "emailed_at", "unusual")[:90]
    return render(request, "reporting/daily_list.html", {
        **admin.site.each_context(request), "title": "Reports: daily reports", "page": "daily_list",
        "pages": PAGES, "reports": reports})


@manager_required
def daily_view(request: HttpRequest, day: str) -> HttpResponse:
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        raise Http404("Not a date") from None
    report = get_object_or_404(DailyReport, date=wanted)
    return render(request, "reporting/daily.html", {
        **admin.site.each_context(request), "title": f"Daily report {report.date:%d %b %Y}", "page": "daily_list",
        "pages": PAGES, "report": report})


