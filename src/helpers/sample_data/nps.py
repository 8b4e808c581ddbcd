"""NPS sample data with planted truth: survey responses linked to support tickets.

Writes, in ``out_dir``:

- ``responses.csv`` (``responses.parquet`` when ``scale > 1``, streamed one month at a
  time): ``response_id, timestamp, score, comment, ticket_id, region, tier, channel``;
- ``tickets.csv`` (``tickets.parquet`` when ``scale > 1``): ``ticket_id, opened, resolved,
  reopened, channel, service``.

Twenty months of responses (2024-01-01 to 2025-08-31, about 22,000 at scale 1), fewer at
weekends. Each response's chance of being a promoter or detractor follows an additive model
in NPS points (promoter share up by half the points, detractor share down by half):

- a baseline and a gentle upward trend;
- a **step change** of :data:`STEP_POINTS` on :data:`SUPPORT_CHANGE` (the new support desk
  goes live), the same for every respondent, with no change of slope;
- region, tier and contact-channel effects;
- for the 45% of responses about a ticket: a first-time-fix effect and a resolution-time
  effect (:data:`FIRST_TIME_FIX_POINTS`, :data:`RESOLUTION_POINTS`). The ticket mix does not
  change over time, so the step is not mediated by tickets.

Because the model is additive in points, each response's expected contribution to NPS is
its planted score ``eta`` exactly; the truth reports the planted effects and, from the
realised respondents, the expected NPS per month and per ticket group.

Also planted: a two-week survey-tool outage (2024-08-12 to 2024-08-25; weekly periods there
fall under 30 responses), a region that starts in the last month with about 20 responses (it
must be suppressed), comments in four languages, comments with quotes, semicolons and line
breaks, a few hostile strings (HTML, script, spreadsheet formulas) to prove escaping, and a
few ticket ids that are missing from ``tickets.csv``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ._parquet import write_parquet_chunks

__all__ = [
    "generate",
    "FIRST_DAY",
    "LAST_DAY",
    "SUPPORT_CHANGE",
    "SUPPORT_CHANGE_LABEL",
    "STEP_POINTS",
    "TREND_POINTS_PER_MONTH",
    "FIRST_TIME_FIX_POINTS",
    "RESOLUTION_POINTS",
    "HOSTILE_COMMENTS",
]

FIRST_DAY = dt.date(2024, 1, 1)
LAST_DAY = dt.date(2025, 8, 31)
#: The new support desk goes live: every response from this day on is STEP_POINTS better.
SUPPORT_CHANGE = dt.date(2025, 2, 3)
SUPPORT_CHANGE_LABEL = "New support desk live"
STEP_POINTS = 10.0
BASELINE_POINTS = 10.0
TREND_POINTS_PER_MONTH = 0.25
#: A ticket resolved and never reopened scores this many points more (beside its resolution time).
FIRST_TIME_FIX_POINTS = 12.0
#: Points by resolution-time bucket (hours from opened to resolved); unresolved tickets score worst.
RESOLUTION_POINTS = {
    "under 4 hours": 8.0,
    "4-24 hours": 3.0,
    "1-3 days": -3.0,
    "3-7 days": -10.0,
    "over 7 days": -18.0,
    "not resolved": -25.0,
}
_BUCKET_EDGES_HOURS = (4, 24, 72, 168)
REGIONS = {  # share of responses, points
    "North America": (0.38, 0.0),
    "Europe": (0.33, 4.0),
    "Asia Pacific": (0.20, -5.0),
    "Latin America": (0.09, -2.0),
}
#: Surveyed only from this day on, with about 20 responses at scale 1 (too few to show).
NEW_REGION = ("Middle East & Africa", dt.date(2025, 8, 1), 0.017, -8.0)
TIERS = {"enterprise": (0.25, 5.0), "mid-market": (0.40, 0.0), "small business": (0.35, -4.0)}
CHANNELS = {"phone": (0.30, 2.0), "chat": (0.30, 3.0), "email": (0.25, -6.0), "portal": (0.15, 0.0)}
SERVICES = ("email", "VPN", "laptop", "ERP", "printing", "access request", "Wi-Fi")
SURVEY_OUTAGE = (dt.date(2024, 8, 12), dt.date(2024, 8, 25))
TICKET_SHARE = 0.45

#: Hostile comment text: must show as text in every report.
HOSTILE_COMMENTS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(document.cookie)>',
    "</td></tr></table><h1>pwned</h1>",
    "[click me](javascript:alert(1)) **bold**",
    "=HYPERLINK(\"http://evil.example\",\"invoice\")",
    "'; DROP TABLE responses; --",
    "{{7*7}} ${7*7} $x^2$",
)

_PHRASES = {
    "detractor": (
        "waited days for a fix",
        "ticket was reopened twice",
        "nobody called back",
        "had to explain the problem again",
        "slow response from the service desk",
        "the fix did not last",
        "long hold times on the phone",
        "agent closed the ticket without asking",
        "escalation went nowhere",
        "still broken after the so-called fix",
        "sehr langsam, niemand ruft zurück",
        "trop lent, ticket rouvert",
    ),
    "passive": (
        "fine overall",
        "the fix worked but took a while",
        "okay experience",
        "average response time",
        "agent was polite",
        "portal is usable",
        "correcto, pero lento",
    ),
    "promoter": (
        "quick fix, thank you",
        "friendly and knowledgeable agent",
        "solved on the first call",
        "great self-service portal",
        "fast and painless",
        "resolved before I finished my coffee",
        "sehr schnelle Hilfe",
        "très rapide, merci",
    ),
}
_AFTER_CHANGE_PROMOTER = ("the new service desk is excellent", "love the new support portal")
_AWKWARD_COMMENTS = (
    'Two lines:\nfirst the laptop, then the VPN; both "fixed"',
    "Fine; thanks, \"team\"",
)


def _comment_pool() -> tuple[list[str], dict[str, np.ndarray]]:
    """All comment texts and, per kind, the indices a respondent of that kind may write."""
    texts: list[str] = []
    kinds: dict[str, list[int]] = {}

    def add(kind: str, text: str) -> None:
        kinds.setdefault(kind, []).append(len(texts))
        texts.append(text[0].upper() + text[1:])

    for kind, phrases in _PHRASES.items():
        for first in phrases:
            add(kind, first)
        for i, first in enumerate(phrases):
            # Two-phrase comments: enough variety for realistic term counts, still a fixed pool.
            add(kind, f"{first}. {phrases[(i + 3) % len(phrases)]}")
    for text in _AFTER_CHANGE_PROMOTER:
        add("promoter_after", text)
        add("promoter_after", f"{text}. {_PHRASES['promoter'][0]}")
    for text in _AWKWARD_COMMENTS:
        add("awkward", text)
    for text in HOSTILE_COMMENTS:
        add("hostile", text)
    return texts, {kind: np.array(idx) for kind, idx in kinds.items()}


def _choice(rng: np.random.Generator, table: dict[str, tuple[float, float]], size: int) -> tuple[np.ndarray, np.ndarray]:
    names = list(table)
    shares = np.array([table[n][0] for n in names])
    index = rng.choice(len(names), size=size, p=shares / shares.sum())
    points = np.array([table[n][1] for n in names])[index]
    return np.array(names, dtype=object)[index], points


def _bucket(hours: np.ndarray, resolved: np.ndarray) -> np.ndarray:
    labels = np.array(list(RESOLUTION_POINTS))
    index = np.searchsorted(np.array(_BUCKET_EDGES_HOURS, dtype=float), hours, side="right")
    return np.where(resolved, labels[np.minimum(index, 4)], "not resolved")


class _Counter:
    def __init__(self) -> None:
        self.responses = 0
        self.tickets = 0


def _month_chunk(
    rng: np.random.Generator, month_start: dt.date, scale: int, counter: _Counter, pool: dict[str, np.ndarray]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """One month of responses and their tickets, as column arrays, plus that month's truth sums."""
    month_end = min((pd.Timestamp(month_start) + pd.offsets.MonthEnd(1)).date(), LAST_DAY)
    days = pd.date_range(month_start, month_end, freq="D")
    months_in = np.array([(d.date() - FIRST_DAY).days / (365.2425 / 12) for d in days])
    weekday_rate = np.where(days.day_of_week < 5, 42.0, 15.0)
    growth = 1 + 0.01 * months_in
    outage = (days.date >= SURVEY_OUTAGE[0]) & (days.date <= SURVEY_OUTAGE[1])
    per_day = rng.poisson(weekday_rate * growth * np.where(outage, 0.05, 1.0) * scale)
    n = int(per_day.sum())
    day_index = np.repeat(np.arange(len(days)), per_day)
    # Office-hours arrival: most answers between 08:00 and 18:00.
    seconds = np.clip(rng.normal(13 * 3600, 3.2 * 3600, n), 0, 86399).astype("int64")
    in_time_order = np.lexsort((seconds, day_index))
    day_index, seconds = day_index[in_time_order], seconds[in_time_order]
    timestamp = days.values.astype("datetime64[s]")[day_index] + seconds.astype("timedelta64[s]")
    day = days.date[day_index]

    region, region_points = _choice(rng, REGIONS, n)
    name, since, share, points = NEW_REGION
    if month_start >= since.replace(day=1):
        new = (day >= since) & (rng.random(n) < share)
        region = np.where(new, name, region)
        region_points = np.where(new, points, region_points)
    tier, tier_points = _choice(rng, TIERS, n)
    channel, channel_points = _choice(rng, CHANNELS, n)

    # Tickets behind transactional responses: resolution time, reopening, first-time fix.
    has_ticket = rng.random(n) < TICKET_SHARE
    k = int(has_ticket.sum())
    hours = np.exp(rng.normal(np.log(18), 1.3, k))
    resolved = rng.random(k) >= 0.04
    reopened = rng.random(k) < np.where(hours > 72, 0.30, 0.12)
    reopened &= resolved
    first_time_fix = resolved & ~reopened
    bucket = _bucket(hours, resolved)
    ticket_points = np.zeros(n)
    ticket_points[has_ticket] = (
        np.vectorize(RESOLUTION_POINTS.get, otypes=[float])(bucket) + FIRST_TIME_FIX_POINTS * first_time_fix
    )

    after_change = day >= SUPPORT_CHANGE
    eta = (
        BASELINE_POINTS
        + TREND_POINTS_PER_MONTH * months_in[day_index]
        + STEP_POINTS * after_change
        + region_points
        + tier_points
        + channel_points
        + ticket_points
    )
    # Additive in points: at eta = 0 a third each; |eta| stays under 60, so no share leaves [0, 1].
    promoter_p = 1 / 3 + eta / 200
    detractor_p = 1 / 3 - eta / 200
    u = rng.random(n)
    kind = np.where(u < detractor_p, 0, np.where(u < 1 - promoter_p, 1, 2))
    detractor_scores = rng.choice(7, size=n, p=[0.04, 0.03, 0.05, 0.08, 0.12, 0.25, 0.43])
    score = np.select(
        [kind == 0, kind == 1], [detractor_scores, 7 + (rng.random(n) < 0.55)], 9 + (rng.random(n) < 0.5)
    ).astype("int64")

    comment_index = np.full(n, -1)
    wants = rng.random(n) < np.select([kind == 0, kind == 1], [0.45, 0.25], 0.30)
    for code, pool_name in ((0, "detractor"), (1, "passive"), (2, "promoter")):
        chosen = wants & (kind == code)
        comment_index[chosen] = rng.choice(pool[pool_name], size=int(chosen.sum()))
    late_promoters = wants & (kind == 2) & after_change & (rng.random(n) < 0.35)
    comment_index[late_promoters] = rng.choice(pool["promoter_after"], size=int(late_promoters.sum()))
    for special in ("awkward", "hostile"):
        # A handful per month at every scale keeps hostile text rare but always present.
        spots = rng.choice(n, size=min(n, max(1, len(pool[special]) // 4) * scale), replace=False)
        comment_index[spots] = rng.choice(pool[special], size=len(spots))

    response_numbers = counter.responses + np.arange(1, n + 1)
    counter.responses += n
    ticket_numbers = counter.tickets + np.arange(1, k + 1)
    counter.tickets += k
    ticket_ids = np.array([f"INC{i:08d}" for i in ticket_numbers], dtype=object)
    # A few responses name a ticket the export lacks (a data-quality note, not an error).
    missing = rng.random(k) < 0.003
    response_ticket = np.full(n, None, dtype=object)
    linked_ids = ticket_ids.copy()
    linked_ids[missing] = np.array([f"INC9{i:07d}" for i in ticket_numbers[missing]], dtype=object)
    response_ticket[has_ticket] = linked_ids

    response_ts = timestamp[has_ticket]
    survey_delay = (rng.uniform(1, 72, k) * 3600).astype("timedelta64[s]")
    resolved_ts = response_ts - survey_delay
    opened_ts = resolved_ts - (hours * 3600).astype("timedelta64[s]")
    still_open_for = (rng.uniform(1, 10, k) * 86400).astype("timedelta64[s]")
    opened_ts = np.where(resolved, opened_ts, response_ts - still_open_for)

    responses = {
        "response_id": np.array([f"R{i:08d}" for i in response_numbers], dtype=object),
        "timestamp": timestamp.astype("datetime64[s]"),
        "score": score,
        "comment": comment_index,
        "ticket_id": response_ticket,
        "region": region,
        "tier": tier,
        "channel": channel,
    }
    keep = ~missing
    tickets = {
        "ticket_id": ticket_ids[keep],
        "opened": opened_ts[keep].astype("datetime64[s]"),
        "resolved": np.where(resolved, resolved_ts, np.datetime64("NaT"))[keep].astype("datetime64[s]"),
        "reopened": reopened[keep],
        "channel": channel[has_ticket][keep],
        "service": np.array(SERVICES, dtype=object)[rng.integers(0, len(SERVICES), k)][keep],
    }
    ftf_label = np.where(first_time_fix, "first-time fix", "not fixed first time")
    truth = {
        "month": month_start.strftime("%Y-%m"),
        "n": n,
        "eta_sum": float(eta.sum()),
        # Sums and counts only: at large scales the per-ticket rows would not fit in memory.
        "tickets": pd.DataFrame({"bucket": bucket[keep], "ftf": ftf_label[keep], "eta": eta[has_ticket][keep]})
        .groupby(["bucket", "ftf"])["eta"]
        .agg(["sum", "size"])
        .reset_index(),
    }
    return responses, tickets, truth


def _unscheduled_tickets(rng: np.random.Generator, counter: _Counter, scale: int) -> dict[str, Any]:
    """Tickets nobody answered a survey about (most tickets get no response)."""
    k = int(3000 * scale)
    span = (LAST_DAY - FIRST_DAY).days * 86400
    opened = np.datetime64(FIRST_DAY, "s") + rng.integers(0, span, k).astype("timedelta64[s]")
    hours = np.exp(rng.normal(np.log(18), 1.3, k))
    resolved = rng.random(k) >= 0.04
    numbers = counter.tickets + np.arange(1, k + 1)
    counter.tickets += k
    return {
        "ticket_id": np.array([f"INC{i:08d}" for i in numbers], dtype=object),
        "opened": opened,
        "resolved": np.where(
            resolved, opened + (hours * 3600).astype("timedelta64[s]"), np.datetime64("NaT")
        ).astype("datetime64[s]"),
        "reopened": resolved & (rng.random(k) < 0.15),
        "channel": np.array(list(CHANNELS), dtype=object)[rng.integers(0, len(CHANNELS), k)],
        "service": np.array(SERVICES, dtype=object)[rng.integers(0, len(SERVICES), k)],
    }


def _response_table(columns: dict[str, Any], comments: list[str]) -> pa.Table:
    comment_index = columns["comment"]
    comment = pa.DictionaryArray.from_arrays(
        pa.array(comment_index, type=pa.int32(), mask=comment_index < 0), pa.array(comments, type=pa.string())
    ).cast(pa.string())
    return pa.table(
        {
            "response_id": pa.array(columns["response_id"], type=pa.string()),
            "timestamp": pa.array(columns["timestamp"], type=pa.timestamp("s")),
            "score": pa.array(columns["score"], type=pa.int64()),
            "comment": comment,
            "ticket_id": pa.array(columns["ticket_id"], type=pa.string()),
            "region": pa.array(columns["region"], type=pa.string()),
            "tier": pa.array(columns["tier"], type=pa.string()),
            "channel": pa.array(columns["channel"], type=pa.string()),
        }
    )


def _ticket_table(columns: dict[str, Any]) -> pa.Table:
    return pa.table(
        {
            "ticket_id": pa.array(columns["ticket_id"], type=pa.string()),
            "opened": pa.array(columns["opened"], type=pa.timestamp("s")),
            "resolved": pa.array(columns["resolved"], type=pa.timestamp("s")),
            "reopened": pa.array(columns["reopened"], type=pa.bool_()),
            "channel": pa.array(columns["channel"], type=pa.string()),
            "service": pa.array(columns["service"], type=pa.string()),
        }
    )


def _write_csv(tables: list[pa.Table], path: Path) -> None:
    frame = pa.concat_tables(tables).to_pandas()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%dT%H:%M:%S")
    if "reopened" in frame:
        frame["reopened"] = frame["reopened"].map({True: "true", False: "false"})
    frame.to_csv(path, index=False, lineterminator="\n")


class _TicketSink:
    """Tickets appended month by month beside the responses; the file appears only once complete."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._partial = path.with_name(path.name + ".partial")
        self._writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._partial, table.schema, compression="zstd")
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._partial.replace(self._path)


def generate(out_dir: Path, *, scale: int = 1, seed: int = 42) -> dict[str, Any]:
    """Write the NPS sample inputs and return the planted truth.

    Parameters
    ----------
    out_dir : Path
        Folder to write into (created if missing).
    scale : int
        About ``scale`` times the default 22,000 responses; above 1 the files are Parquet,
        written one month at a time.
    seed : int
        Seed of the random generator; the same seed gives the same files.

    Returns
    -------
    dict
        The truth: the event (date, label, step in points), the underlying trend (points per
        month), the planted ticket effects (points), the expected NPS per month and per ticket
        group for the realised respondents, the hostile comments, file names and row counts.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    scale = int(scale)
    if scale < 1:
        raise ValueError(f"scale must be a whole number >= 1, got {scale!r}")
    rng = np.random.default_rng(seed)
    comments, pool = _comment_pool()
    counter = _Counter()
    as_parquet = scale > 1
    suffix = "parquet" if as_parquet else "csv"
    for stale in ("responses", "tickets"):
        (out_dir / f"{stale}.{'csv' if as_parquet else 'parquet'}").unlink(missing_ok=True)

    monthly: list[dict[str, Any]] = []
    ticket_truth: list[pd.DataFrame] = []
    ticket_sink = _TicketSink(out_dir / "tickets.parquet") if as_parquet else None
    ticket_tables: list[pa.Table] = []

    def response_chunks():
        # One month in memory at a time; its tickets go out beside it.
        for month_start in pd.date_range(FIRST_DAY, LAST_DAY, freq="MS").date:
            responses, tickets, truth = _month_chunk(rng, month_start, scale, counter, pool)
            monthly.append({"month": truth["month"], "n": truth["n"], "nps": truth["eta_sum"] / truth["n"]})
            ticket_truth.append(truth["tickets"])
            if ticket_sink is not None:
                ticket_sink.write(_ticket_table(tickets))
            else:
                ticket_tables.append(_ticket_table(tickets))
            yield _response_table(responses, comments)

    if as_parquet:
        write_parquet_chunks(out_dir / "responses.parquet", response_chunks())
        ticket_sink.write(_ticket_table(_unscheduled_tickets(rng, counter, scale)))
        ticket_sink.close()
    else:
        _write_csv(list(response_chunks()), out_dir / "responses.csv")
        _write_csv([*ticket_tables, _ticket_table(_unscheduled_tickets(rng, counter, scale))], out_dir / "tickets.csv")

    linked = pd.concat(ticket_truth, ignore_index=True)
    by_bucket = linked.groupby("bucket")[["sum", "size"]].sum()
    by_ftf = linked.groupby("ftf")[["sum", "size"]].sum()
    return {
        "files": {"responses": f"responses.{suffix}", "tickets": f"tickets.{suffix}"},
        "rows": {"responses": counter.responses, "tickets": counter.tickets},
        "first_day": FIRST_DAY.isoformat(),
        "last_day": LAST_DAY.isoformat(),
        "event": {"date": SUPPORT_CHANGE.isoformat(), "label": SUPPORT_CHANGE_LABEL, "step_points": STEP_POINTS},
        "trend_points_per_month": TREND_POINTS_PER_MONTH,
        "trend_change_at_event_points_per_month": 0.0,
        "effects_points": {
            "first_time_fix": FIRST_TIME_FIX_POINTS,
            "resolution_time": dict(RESOLUTION_POINTS),
            "region": {name: pts for name, (_, pts) in REGIONS.items()} | {NEW_REGION[0]: NEW_REGION[3]},
            "tier": {name: pts for name, (_, pts) in TIERS.items()},
            "channel": {name: pts for name, (_, pts) in CHANNELS.items()},
        },
        "expected_nps_by_month": monthly,
        "expected_nps_by_resolution_time": {
            bucket: {"nps": row["sum"] / row["size"], "n": int(row["size"])} for bucket, row in by_bucket.iterrows()
        },
        "expected_nps_by_first_time_fix": {
            group: {"nps": row["sum"] / row["size"], "n": int(row["size"])} for group, row in by_ftf.iterrows()
        },
        "suppressed_region": NEW_REGION[0],
        "survey_outage": [SURVEY_OUTAGE[0].isoformat(), SURVEY_OUTAGE[1].isoformat()],
        "hostile_comments": list(HOSTILE_COMMENTS),
    }
