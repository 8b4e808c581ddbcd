"""No person in any output: identities planted in a copy of the sample never reach a file a run writes.

The copy adds what real survey and access-log exports hold: an e-mail per respondent, a
customer number, distinctive response ids, comments with a token only a few people wrote,
a team of three people, and e-mail addresses as access-log consumers. Whatever the segments,
a run either refuses them before the kernel (nothing written) or writes reports, results,
notebooks, run records, history and index pages that contain none of these strings.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import duckdb
import pandas as pd
import pytest
from conftest import TESTS_DIR

from helpers.privacy import complementary_suppression

PROJECT_ROOT = TESTS_DIR.parent

SAMPLE = TESTS_DIR.parent / "data" / "sample"
TOKEN = "Zyxquorblat"  # a word that appears in four comments only
PLANTED_ROWS = range(0, 22_000, 11)


def _identities() -> list[str]:
    planted = [TOKEN, "Team Xenolith"]
    planted += [f"person{i:05d}@example.org" for i in PLANTED_ROWS]
    planted += [f"CUST-{i:06d}" for i in PLANTED_ROWS]
    planted += [f"RSP-PLANTED-{i:06d}" for i in PLANTED_ROWS]
    planted += [f"analyst{i:03d}@corp.example" for i in range(40)]
    return planted


def _plant(folder):
    shutil.copytree(SAMPLE, folder)
    responses = pd.read_csv(folder / "responses.csv", dtype=str, keep_default_na=False)
    rows = list(PLANTED_ROWS)
    responses["email"] = ""
    responses["customer"] = ""
    responses.loc[rows, "email"] = [f"person{i:05d}@example.org" for i in rows]
    responses.loc[rows, "customer"] = [f"CUST-{i:06d}" for i in rows]
    responses.loc[rows, "response_id"] = [f"RSP-PLANTED-{i:06d}" for i in rows]
    responses.loc[rows[:4], "comment"] = [f"{TOKEN} called me back, ask for desk 12" for _ in range(4)]
    responses["team"] = "Team Alpha"
    responses.loc[1::2, "team"] = "Team Beta"
    responses.loc[[5, 9, 13], "team"] = "Team Xenolith"  # three people: a group far under min_n
    responses.to_csv(folder / "responses.csv", index=False)
    con = duckdb.connect()
    log = folder / "access_log.parquet"
    con.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN row_number() OVER () % 997 = 0 "
        f"THEN 'analyst' || lpad(CAST(row_number() OVER () % 40 AS VARCHAR), 3, '0') || '@corp.example' "
        f"ELSE consumer END AS consumer) FROM read_parquet('{log}')) TO '{folder / 'planted_log.parquet'}' (FORMAT parquet)"
    )
    con.close()


def _run(args, cwd):
    # Run from a folder outside the project, naming the project as a scheduler would.
    env = {**os.environ, "ITVALUE_PROJECT": str(PROJECT_ROOT)}
    return subprocess.run([sys.executable, "-m", "helpers.running.cli", "run", *map(str, args), "--quiet"],
                          capture_output=True, text=True, timeout=900, cwd=cwd, env=env)


def _found(out_dir, identities):
    found = []
    for path in sorted(p for p in out_dir.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        found += [f"{path.relative_to(out_dir)}: {who}" for who in identities if who in text]
    return found


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted") / "data"
    _plant(folder)
    return folder


@pytest.mark.parametrize("segments", ["[email]", "[customer]", "[comment]", "[response_id]", "[region, email]"])
def test_a_segment_that_identifies_people_is_refused_before_the_kernel(planted, tmp_path, segments):
    done = _run(["nps_trends", "-p", f"responses_path={planted / 'responses.csv'}", "-p", "tickets_path=",
                 "-p", f"segments={segments}", "--out", tmp_path / "out"], cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("itvalue: Parameter 'segments': column '"), done.stderr
    assert not (tmp_path / "out").exists()
    assert not any(who in done.stderr for who in _identities())


@pytest.mark.notebook
def test_no_planted_identity_reaches_any_output_file(planted, tmp_path):
    out = tmp_path / "out"
    nps = _run(["nps_trends", "-p", f"responses_path={planted / 'responses.csv'}", "-p",
                f"tickets_path={planted / 'tickets.csv'}", "-p", "segments=[region, tier, channel, team]",
                "--name", "planted", "--out", out], cwd=tmp_path)
    assert nps.returncode == 0, nps.stderr[-2000:]
    audit = _run(["config_usage_audit", "-f", SAMPLE.parent.parent / "params" / "config_usage_audit" / "default.yml",
                  "-p", f"access_log_path={planted / 'planted_log.parquet'}", "--name", "planted", "--out", out],
                 cwd=tmp_path)
    assert audit.returncode == 0, audit.stderr[-2000:]
    assert _found(out, _identities()) == []

    results = json.loads((out / "nps_trends" / "planted" / "results.json").read_text())
    assert {"segment": "team", "groups": 1, "responses": 3} in results["hidden_segments"] or any(
        h["segment"] == "team" and h["groups"] >= 1 for h in results["hidden_segments"]
    )
    assert "team" in {row["segment"] for row in results["by_segment"]}  # the two large teams are shown
    assert "smaller group" in (out / "nps_trends" / "planted" / "report.html").read_text()


# --- complementary suppression ------------------------------------------------------------------

def test_one_small_group_hides_the_next_smallest_so_it_cannot_be_derived():
    frame = pd.DataFrame({"segment": "team", "value": ["a", "b", "c", "d"], "n": [500, 120, 60, 4]})
    frame["suppressed"] = frame["n"] < 30
    hidden = complementary_suppression(frame, lines=[["segment"]], min_n=30)
    assert hidden.tolist() == [False, False, True, True]


def test_every_line_of_a_two_way_table_hides_nothing_or_at_least_min_n():
    cells = pd.DataFrame(
        [(value, period, n) for value, sizes in {"a": [40, 35, 3], "b": [50, 2, 45], "c": [31, 33, 60]}.items()
         for period, n in zip(["p1", "p2", "p3"], sizes)],
        columns=["value", "period", "n"],
    )
    cells["suppressed"] = cells["n"] < 30
    hidden = complementary_suppression(cells, lines=[["period"], ["value"]], min_n=30)
    cells["hidden"] = hidden
    for column in ("period", "value"):
        for _, line in cells.groupby(column):
            hidden_n = line.loc[line["hidden"], "n"].sum()
            assert hidden_n == 0 or hidden_n >= 30, (column, line)
    assert cells.loc[cells["n"] < 30, "hidden"].all()


def test_a_column_of_many_small_groups_is_refused_but_a_few_large_ones_are_not(tmp_path):
    from helpers.exceptions import ParameterError
    from helpers.privacy import check_groupings

    path = tmp_path / "responses.csv"
    rows = [f"R{i},2025-01-01T10:00:00,9,,,team{i // 4},{['north', 'south'][i % 2]}" for i in range(400)]
    path.write_text("response_id,timestamp,score,comment,ticket_id,team,region\n" + "\n".join(rows) + "\n")
    with pytest.raises(ParameterError) as caught:
        check_groupings("segments", ["team"], spec=str(path), kind="responses", min_n=30)
    assert "puts 400 of 400 rows in groups of fewer than 30" in str(caught.value)
    check_groupings("segments", ["region"], spec=str(path), kind="responses", min_n=1000)


def test_a_two_group_breakdown_with_one_small_group_hides_both():
    from helpers.nps_trends.analysis import _hide_complements, nps_table

    groups = pd.DataFrame({"group": ["first-time fix", "not fixed first time"], "detractors": [40, 2],
                           "passives": [30, 1], "promoters": [60, 2], "n": [130, 5]})
    shown = _hide_complements(nps_table(groups, min_n=30, confidence=0.95), 30)
    assert shown["suppressed"].tolist() == [True, True]
    assert shown["nps"].isna().all() and shown["promoters"].isna().all() and pd.isna(shown["n"].iloc[0])
