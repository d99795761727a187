"""The cost page: model tokens per day, their estimated price, and the yearly projection."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from reporting.figures.rows import by_day, merged_map, range_rows, ratio, total
from reporting.ranges import ReportRange


def price_of(*, model: str, tokens: int) -> float:
    """Estimated US dollars for ``tokens`` of ``model`` (``MODEL_PRICES_USD_PER_MTOK``; unknown models cost 0)."""
    return tokens / 1_000_000 * settings.MODEL_PRICES_USD_PER_MTOK.get(model, 0.0)


@dataclass(frozen=True)
class Cost:
    days: list[date]
    tokens_per_day: dict[date, int]
    cost_per_day: dict[date, float]
    by_model: list[tuple[str, int, float, float]]  # model, tokens, price per Mtok, cost
    tokens: int
    cost: float
    ai_resolved: int
    cost_per_ai_resolution: float | None
    yearly_projection: float
    yearly_target: float

    @property
    def over_target(self) -> bool:
        return self.yearly_projection > self.yearly_target


def cost(rng: ReportRange) -> Cost:
    rows = range_rows(rng)
    daily = by_day(rows)
    tokens_per_day, cost_per_day = {}, {}
    for day in rng.days:
        models = merged_map(daily.get(day, []), "tokens_by_model")
        tokens_per_day[day] = sum(models.values())
        cost_per_day[day] = sum(price_of(model=m, tokens=t) for m, t in models.items())
    models = merged_map(rows, "tokens_by_model")
    by_model = sorted(((m, t, settings.MODEL_PRICES_USD_PER_MTOK.get(m, 0.0), price_of(model=m, tokens=t))
                       for m, t in models.items()), key=lambda item: -item[3])
    spent = sum(item[3] for item in by_model)
    resolved = total(rows, "ai_resolved_confirmed") + total(rows, "ai_resolved_assumed")
    # A year at the range's daily rate; a range that ends today counts today as a whole day.
    days = max(1, len(rng.days))
    return Cost(days=rng.days, tokens_per_day=tokens_per_day, cost_per_day=cost_per_day, by_model=by_model,
                tokens=sum(models.values()), cost=spent, ai_resolved=resolved,
                cost_per_ai_resolution=ratio(spent, resolved), yearly_projection=spent / days * 365,
                yearly_target=settings.COST_YEARLY_TARGET_USD)
