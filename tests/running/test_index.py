"""The reports index, run history pages and index.json, built from run folders on disk (no kernel)."""

from __future__ import annotations

import json

from helpers.running.index import sparkline, write_index

FIELDS = [{"label": "net lost revenue", "value": "totals.net", "low": "totals.low", "high": "totals.high",
           "unit_from": "currency"}]


def _run(out, notebook, param_set, started, *, status="ok", net=None, parameters=None, error=None):
    folder = out / notebook / param_set / "history" / started.replace(":", "")
    folder.mkdir(parents=True)
    info = {"status": status, "notebook": notebook, "title": notebook.title(), "param_set": param_set,
            "parameters": parameters or {"freq": "h", "sales_path": "data/sales.parquet"},
            "started": started, "finished": started, "duration_seconds": 12.3, "error": error,
            "headline_fields": FIELDS}
    (folder / "run.json").write_text(json.dumps(info))
    if net is not None:
        results = {"totals": {"net": net, "low": net - 100, "high": net + 100}, "currency": "EUR"}
        (folder / "results.json").write_text(json.dumps(results))


def test_index_json_history_and_the_glance_line(tmp_path):
    _run(tmp_path, "downtime", "default", "2025-03-01T10:00:00", net=1000.0)
    _run(tmp_path, "downtime", "default", "2025-03-08T10:00:00", net=1500.0)
    _run(tmp_path, "downtime", "default", "2025-03-15T10:00:00", status="failed",
         error={"where": "cell 3 of 9 raised an error", "error": "ValueError: no sales after 2025-03-10"})
    _run(tmp_path, "downtime", "hourly15", "2025-03-15T11:00:00", net=900.0,
         parameters={"freq": "15min", "sales_path": "data/sales.parquet"})
    write_index(tmp_path)

    summary = json.loads((tmp_path / "index.json").read_text())
    assert summary["status"] == "failed" and summary["failed_sets"] == 1
    default = next(s for s in summary["sets"] if s["param_set"] == "default")
    assert default["status"] == "failed" and default["error"] == "ValueError: no sales after 2025-03-10"
    assert default["last_good_run"] == "2025-03-08T10:00:00" and default["runs"] == 3
    assert default["headline"][0] == {"label": "net lost revenue", "value": 1500.0, "low": 1400.0, "high": 1600.0,
                                      "unit": "EUR", "text": "1,500 EUR (1,400 to 1,600)"}

    index = (tmp_path / "index.html").read_text()
    assert "At a glance" in index and "<svg" in index, "a trend line from the two good runs"
    assert "ValueError: no sales after 2025-03-10" in index, "failed rows say why"
    assert "freq: 15min" in index, "a set's parameters are told apart from the default set's"
    assert "— : the figure does not apply" in index and "index.json" in index

    history = (tmp_path / "downtime" / "default" / "history.html").read_text()
    assert "1,500 EUR (1,400 to 1,600)" in history and "1,000 EUR" in history
    assert "ValueError: no sales after 2025-03-10" in history and "first run" in history
    other = (tmp_path / "downtime" / "hourly15" / "history.html").read_text()
    assert "first run" in other


def test_history_names_what_changed_from_the_run_before(tmp_path):
    _run(tmp_path, "nps", "custom", "2025-03-01T10:00:00", net=1.0, parameters={"period": "M", "segments": []})
    _run(tmp_path, "nps", "custom", "2025-03-02T10:00:00", net=2.0, parameters={"period": "W", "segments": ["region"]})
    write_index(tmp_path)
    history = (tmp_path / "nps" / "custom" / "history.html").read_text()
    assert "from the run before: period: W; segments: region" in history
    assert "no parameter file (-p only)" in history


def test_history_names_what_a_run_changed_from_its_sets_file(tmp_path):
    params = tmp_path / "weekly.yml"
    params.write_text("period: W\nstart: 2025-01-01\nsegments: [region]\n")
    folder = tmp_path / "out"
    _run(folder, "nps", "weekly-custom", "2025-03-01T10:00:00", net=1.0,
         parameters={"period": "M", "start": "2025-01-01", "segments": ["region"]})
    info = json.loads(next(folder.glob("nps/weekly-custom/history/*/run.json")).read_text())
    info["params_file"] = str(params)
    next(folder.glob("nps/weekly-custom/history/*/run.json")).write_text(json.dumps(info))
    _run(folder, "nps", "weekly", "2025-03-01T11:00:00", net=1.0,
         parameters={"period": "W", "start": "2025-01-01", "segments": ["region"]})
    write_index(folder)
    assert "weekly.yml with period: M" in (folder / "nps" / "weekly-custom" / "history.html").read_text()


def test_sparkline_needs_two_runs_and_draws_the_interval():
    assert sparkline([(1.0, 0.5, 1.5)]) == ""
    svg = sparkline([(1.0, 0.5, 1.5), (2.0, 1.0, 3.0), (None, None, None)])
    assert svg.startswith("<svg") and "<polygon" in svg and "aria-label='Over the last 2 good runs" in svg
