"""No person in any output, for every analysis whose inputs name people (issue 24).

Each analysis's own sample is generated, and every column naming a person (the schemas' person keys,
``user_id`` and ``caller_id``, and the user ids of a licence's last-active log) is replaced by an
e-mail address made for that person; a few rows name people missing from the reference list (the
ones a data-quality note counts), and the expense claimants' notes carry a token. The run must
succeed, and no file it writes (report, results, notebook, run record, history, index) may hold any
planted address or the token; from the files, and from the same inputs as tables of a DuckDB file.
``tests/running/test_privacy.py`` does the same for NPS responses and the configuration audit's access
log; the engine tests give the same ``results.json`` on PostgreSQL and Spark as on DuckDB.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import sample_parameters

from helpers.analysis import registry

pytestmark = pytest.mark.notebook

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "Qwyxzzlebrot"  # in a few expense notes only

#: Per analysis: ``{file: [columns naming people]}``; one person's id maps to the same address in every file.
PEOPLE = {
    "feature_adoption": {"users.csv": ["user_id"], "feature_usage.parquet": ["user_id"]},
    "service_outcomes": {"incidents.csv": ["caller_id"]},
    "it_costs": {"users.csv": ["user_id"], "last_active.csv": ["user_id"]},
}
#: Files where some rows name people the reference list does not know (counted in a note, never named).
STRANGERS = {"feature_adoption": "feature_usage.parquet", "it_costs": "last_active.csv"}


def _address(person: str) -> str:
    return f"{person.lower().replace('-', '.')}.planted@example.org"


def _plant(name: str, folder: Path) -> set[str]:
    """Replace every person in the sample by an address; add strangers and the token. Returns what was planted."""
    planted: set[str] = set()
    for file, columns in PEOPLE[name].items():
        path = folder / file
        parquet = path.suffix == ".parquet"
        frame = pd.read_parquet(path) if parquet else pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in columns:
            filled = frame[column].notna() & (frame[column].astype(str) != "")
            frame.loc[filled, column] = frame.loc[filled, column].astype(str).map(_address)
            planted |= set(frame.loc[filled, column])
        if STRANGERS.get(name) == file:
            strangers = frame.head(5).copy()
            for column in columns:
                strangers[column] = [f"stranger{i}.planted@example.org" for i in range(len(strangers))]
            planted |= set(strangers[columns[0]])
            frame = pd.concat([frame, strangers], ignore_index=True)
        frame.to_parquet(path, index=False) if parquet else frame.to_csv(path, index=False)
    expenses = folder / "expenses.csv"
    if expenses.is_file():
        frame = pd.read_csv(expenses, dtype=str, keep_default_na=False)
        frame.loc[:3, "memo"] = f"{TOKEN} dinner with a client"
        frame.to_csv(expenses, index=False)
        planted.add(TOKEN)
    return planted


def _as_database(options: list[str], folder: Path) -> list[str]:
    """The same inputs as tables of one DuckDB file (``duckdb:///...?table=``): another source kind, same people."""
    import duckdb

    database = folder / "warehouse.duckdb"
    con = duckdb.connect(str(database))
    moved = []
    for option in options:
        if option == "-p":
            moved.append(option)
            continue
        field, _, path = option.partition("=")
        table = Path(path).stem
        reader = "read_parquet" if path.endswith(".parquet") else "read_csv"
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM {reader}('{path}')")
        moved.append(f"{field}=duckdb://{database}?table={table}")
    con.close()
    return moved


@pytest.mark.parametrize("source", ["files", "duckdb"])
@pytest.mark.parametrize("name", sorted(PEOPLE))
def test_no_planted_person_reaches_any_output_file(name, source, tmp_path):
    kinds = {kind for analysis in registry.analyses().values()
             for kind, _ in analysis.Parameters.validate_values({}, check_inputs=False).inputs().values()}
    assert {kind for kind in kinds if registry.get_schema(kind).person} == {"feature_usage", "users", "incidents"}, (
        "every schema's person key is planted here")
    folder = tmp_path / "sample"
    folder.mkdir()
    registry.analyses()[name].sample(folder, scale=1, seed=7)
    planted = _plant(name, folder)
    assert len(planted) > 100
    options = sample_parameters(name, folder)
    if source == "duckdb":
        options = _as_database(options, folder)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "helpers.running.cli", "run", name, *options,
                           "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    written = sorted(path for path in out.rglob("*") if path.is_file())
    assert any(path.name == "report.html" for path in written)
    found = []
    for path in written:
        text = path.read_bytes().decode("utf-8", errors="replace")
        found += [f"{path.relative_to(out)}: {who}" for who in planted if who in text]
    assert found == []
    assert "planted@example.org" not in done.stdout + done.stderr
