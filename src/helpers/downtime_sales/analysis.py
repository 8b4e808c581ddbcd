"""Campaign downtime to sales: measure every outage in the window against its baseline.

The steps, each in its own module: the model the sales call for (:mod:`.sales_shape`), the sales on
a grid of buckets (:mod:`.buckets`), each incident's windows (:mod:`.windows`), the baselines
(:mod:`.fitting`, :mod:`.baseline`, :mod:`.order_model`), per-incident draws and figures
(:mod:`.incidents`), campaigns (:mod:`.campaigns`), the charts' data (:mod:`.timeline`), and the two
checks on the user's own data: placebo windows (:mod:`.placebo`) and planted outages
(:mod:`.self_check`). All money is in the sales currency; durations are in minutes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.downtime_sales.baseline import TooFewSales
from helpers.downtime_sales.buckets import sales_grid
from helpers.downtime_sales.campaigns import campaign_table, prepare_campaigns
from helpers.downtime_sales.fitting import fit_baselines
from helpers.downtime_sales.incidents import incident_draws, incident_table, minute_costs, totals_of
from helpers.downtime_sales.loading import Inputs
from helpers.downtime_sales.parameters import Parameters
from helpers.downtime_sales.placebo import placebo_check
from helpers.downtime_sales.result import Result
from helpers.downtime_sales.sales_shape import choose_model
from helpers.downtime_sales.self_check import planted_check
from helpers.downtime_sales.timeline import timeline, zoom
from helpers.downtime_sales.windows import covered, incident_windows, prepare_outages
from helpers.exceptions import ParameterError
from helpers.inputs.quality import QualityNote

__all__ = ["DRAWS", "PLACEBO_WINDOWS", "SELF_CHECK_WINDOWS", "analyse"]

#: Counterfactual paths drawn per channel; enough for stable 95 % intervals.
DRAWS = 1000
#: Outage-free windows the report measures as a placebo check (see :mod:`.placebo`).
PLACEBO_WINDOWS = 200
#: Clean windows in which the report plants outages with a known loss (see :mod:`.self_check`).
SELF_CHECK_WINDOWS = 100


def analyse(data: Inputs, params: Parameters, *, draws: int = DRAWS, seed: int = 0) -> Result:
    """Measure every incident that starts in the window and hits a measured channel.

    Point estimates are medians (order-level sales) or means (bucket totals) of ``draws``
    counterfactual paths per channel, intervals their quantiles at ``params.confidence``; ``seed``
    seeds the draws, so a run is repeatable.

    Raises
    ------
    helpers.exceptions.ParameterError
        A measured channel has too few sales in and around the window to fit its baseline.
    """
    try:
        return _measure(data, params, draws=draws, seed=seed)
    except TooFewSales as exc:
        raise ParameterError(
            f"The window {data.start:%Y-%m-%d} to {data.end - pd.Timedelta(days=1):%Y-%m-%d} is too short to "
            f"measure: {exc}; widen it with 'start' and 'end'."
        ) from None


def _measure(data: Inputs, params: Parameters, *, draws: int, seed: int) -> Result:
    if data.buckets.empty:
        raise TooFewSales("there are no sales to measure outages against")
    rng = np.random.default_rng(seed)
    model = choose_model(data.buckets)
    notes: list[QualityNote] = [*data.notes, *model.notes]
    sales = sales_grid(data.buckets, freq=params.freq, span=data.span, with_orders=model.uses_orders, notes=notes)
    grid, step, channels = sales.grid, sales.step, sales.channels
    start = data.start if data.start is not None else grid[0]
    end = data.end if data.end is not None else grid[-1] + step
    analysed = [c for c in (params.channels or channels) if c in channels]
    missing = [c for c in params.channels if c not in channels]
    if missing:
        notes.append(QualityNote("sales", "channels asked for but absent from the sales: " + ", ".join(missing),
                                 len(missing), unit="channels"))
    outages = prepare_outages(data.outages, channels, grid[0], grid[-1] + step, notes)
    campaigns = prepare_campaigns(data.campaigns)
    windows = incident_windows(outages, channels, pd.Timedelta(hours=params.recovery_hours))
    blanked = {c: covered(grid, step, windows[windows["channel"] == c]) for c in channels}
    in_window = ((outages["start"] >= start) & (outages["start"] < end)).to_numpy()
    hit = {c for a in outages.loc[in_window, "affected"] for c in a} & set(analysed)
    baselines, special_days = fit_baselines(
        sales, blanked, campaigns, freq=params.freq, analysed=analysed, with_incidents=hit,
        holidays=[pd.Timestamp(d) for d in params.holidays],
    )
    measured = np.array([bool(set(a) & set(analysed)) for a in outages["affected"]], dtype=bool)
    reported = outages[in_window & measured].reset_index(drop=True)
    reported["affected"] = [[c for c in a if c in analysed] for a in reported["affected"]]
    level = (1 - params.confidence) / 2
    point = model.point_estimate
    found = incident_draws(reported, windows, baselines, grid, step, draws, rng)
    incidents = incident_table(reported, found, campaigns, level, point)
    net = found["net"]
    totals = totals_of(incidents, net, level, point)
    minutes, (ratio, ratio_low, ratio_high) = minute_costs(incidents, net, level, rng, point)
    totals.update(campaign_minute_cost_ratio=ratio, campaign_minute_cost_ratio_low=ratio_low,
                  campaign_minute_cost_ratio_high=ratio_high)
    campaign_figures = campaign_table(campaigns, incidents, net, baselines=baselines, start=start, end=end,
                                      draws=draws, level=level, rng=rng, point=point)
    recovery = pd.Timedelta(hours=params.recovery_hours)
    clean = {c: ~blanked[c] & ~sales.gap for c in channels}
    own = windows[windows["incident_id"].isin(reported["incident_id"])]
    checks = {"grid": grid, "step": step, "draws": draws, "level": level, "point": point}
    placebo = placebo_check(baselines, own, clean, n=PLACEBO_WINDOWS, rng=rng, **checks)
    # Its own stream: the planted check must not change the draws of any figure above.
    planted = planted_check(baselines, own, clean, n=SELF_CHECK_WINDOWS, rng=np.random.default_rng([seed, 1]),
                            **checks)
    return Result(
        incidents=incidents, totals=totals, minute_costs=minutes, campaigns=campaign_figures,
        timeline=timeline(baselines, analysed, start, end, level),
        windows=zoom(reported, found, baselines, level, step, recovery),
        baselines=baselines, special_days=special_days, net_lost_draws=net, model=model, placebo=placebo,
        self_check=planted, start=start, end=end, channels=analysed, params=params, quality_notes=notes,
    )
