"""Service outcomes, "you had one job" (``notebooks/service_outcomes.ipynb``): was each person's
problem solved, quickly, the first time, from an ITSM tool's own export.

The analysis contract (:mod:`helpers.analysis.contract`)::

    params = service_outcomes.Parameters.from_notebook(globals())
    inputs = service_outcomes.load_inputs(params)       # validated Ibis tables
    result = service_outcomes.analyse(inputs, params)   # ticket verdicts in the engine, statistics on counts
    service_outcomes.headline(result)                   # the opening sentences
    service_outcomes.results(result)                    # what results.json holds

Modules: :mod:`.parameters`, :mod:`.schemas` (incidents and incident events), :mod:`.loading`,
:mod:`.window` (the analysis window and the runner's check), :mod:`.queries` (latest rows, events,
repeat contacts and verdicts in the engine), :mod:`.stats` (Wilson intervals, period changes, NPS by
outcome), :mod:`.analysis`, :mod:`.result`, :mod:`.plots` and :mod:`.reporting` (headline, tables,
``results.json``). Shares are from 0 to 1 (shown as percentages), times in hours, NPS in points.
"""

from pathlib import Path
from typing import Any

from helpers.analysis.contract import Analysis, HeadlineField, MoneyField, lazy_exports
from helpers.service_outcomes.parameters import Parameters
from helpers.service_outcomes.schemas import SCHEMAS

__all__ = ["ANALYSIS", "Parameters", "load_inputs", "analyse", "headline", "results"]


def _check_data(params: Parameters, *, con: Any) -> None:
    """The check of parameters against the data made before any kernel starts (loads the query layer only)."""
    from helpers.service_outcomes.window import check_window

    check_window(params, con=con)


def _sample(out_dir: Path, *, scale: int, seed: int) -> dict[str, Any]:
    """Write this analysis's sample inputs into ``out_dir``; return the truth planted in them.

    The event log and the responses are not named after their kinds (``incident_events.parquet`` and
    nps_trends' ``responses.csv`` are), so the sample-data run's check would not find them: checked here.
    """
    from helpers.inputs.loading import check_input
    from helpers.sample_data import outcomes

    truth = outcomes.generate(out_dir, scale=scale, seed=seed)
    extension = "csv" if scale == 1 else "parquet"
    check_input(str(Path(out_dir) / "incident_log.parquet"), "incident_events")
    check_input(str(Path(out_dir) / f"incident_responses.{extension}"), "responses")
    return truth


#: This analysis, as the registry (entry point ``itvalue.analyses``) and the runner know it.
ANALYSIS = Analysis(
    name="service_outcomes",
    package=__name__,
    title="Service outcomes: you had one job",
    question=(
        "From the ITSM tool's own export: was each person's problem solved, quickly, the first time? Where does it "
        "fail (reopened, asked again, slow, bounced between teams), what does the waiting cost users, and what does "
        "it do to satisfaction?"
    ),
    Parameters=Parameters,
    schemas=SCHEMAS,
    headline_fields=(
        HeadlineField("solved quickly the first time", "one_job_rate", low="one_job_rate_low", high="one_job_rate_high"),
        HeadlineField("came back (reopened or asked again)", "failures.came_back.share",
                      low="failures.came_back.share_low", high="failures.came_back.share_high"),
        HeadlineField("bounced between teams", "failures.reassigned.share", low="failures.reassigned.share_low",
                      high="failures.reassigned.share_high"),
        HeadlineField("user hours beyond the quick target", "lost_user_hours"),
        HeadlineField("tickets judged", "tickets"),
    ),
    money_fields=(
        # The users' time, priced at the parameter hourly_cost (an assumption the report states): hours waited
        # beyond the quick target, nights and weekends included.
        MoneyField("users' time lost waiting beyond the quick target, at hourly_cost", "lost_user_cost",
                   unit_from="parameters.currency", side="at_stake"),
    ),
    data_check=_check_data,
    sample=_sample,
)

__getattr__, __dir__ = lazy_exports(__name__)
