"""``itvalue``: list, describe and run the kit's notebooks; generate sample data.

Exit status: 0 ok, 1 a notebook failed, 2 bad parameters or bad input data.
Errors the user can fix are one sentence on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from helpers import paths
from helpers.exceptions import KitError, ParameterError
from helpers.inputs.secrets import mask_secrets

__all__ = ["main"]


def _split_override(text: str) -> tuple[str, str]:
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ParameterError(f"-p takes key=value; got {text[:80]!r}.")
    return key.strip(), raw


class _Parser(argparse.ArgumentParser):
    """argparse, whose mistakes are one sentence (exit 2) like every other error of the command, not a usage block."""

    def error(self, message: str) -> NoReturn:
        print(f"itvalue: {message[:1].upper()}{message[1:].rstrip('.')}; see '{self.prog} --help'.", file=sys.stderr)
        sys.exit(2)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="itvalue",
        description="Run the IT value analyses: parameterised notebooks to self-contained HTML reports.",
    )
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser(
        "init", help="lay out a new project (notebooks, parameter sets, sample data, reports/) and register its kernel"
    )
    init.add_argument("directory", help="the new project's folder (must not exist, or be empty)")
    init.add_argument(
        "--no-kernel", action="store_true", help="do not register the Jupyter kernel (a server that only runs reports)"
    )

    _add_kernel_command(commands)

    commands.add_parser("list", help="notebooks and their parameter sets")

    describe = commands.add_parser("describe", help="a notebook's parameters: type, default, help")
    describe.add_argument("notebook", help="a name under notebooks/ (e.g. nps_trends) or a path to an .ipynb")

    inspect = commands.add_parser(
        "inspect", help="a data file's columns, the profile or column map that reads it, and what each missing column needs"
    )
    inspect.add_argument("file", help="a CSV or Parquet file (or a glob, or duckdb:FILE?table=NAME)")
    inspect.add_argument("--input", dest="kind", required=True, metavar="KIND",
                         help="the input it is for: tickets, responses, sales, outages, feature_usage, access_log...")

    run = commands.add_parser("run", help="run a notebook (or --all parameter sets) into HTML reports")
    run.add_argument(
        "notebook", nargs="?", help="a name under notebooks/ or a path to an .ipynb (with --all: only its sets)"
    )
    run.add_argument("-f", "--file", dest="params_file", help="a YAML parameter file")
    run.add_argument(
        "-p", "--param", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="set one parameter; the value is read as YAML (e.g. -p segments=[region,tier])",
    )
    run.add_argument("--out", help="output folder (default: the project's reports/)")
    run.add_argument(
        "--name",
        help="the parameter set's name in the output (default: the -f file's name; 'custom' for -p only; "
        "NAME-custom when -p changes a -f file)",
    )
    run.add_argument("--show-code", action="store_true", help="keep code cells in the HTML report")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    run.add_argument(
        "--kernel", metavar="NAME", help="a Jupyter kernel to run on (default: this Python environment's own)"
    )
    run.add_argument(
        "--all", action="store_true", help="run every parameter set under params/ (of NOTEBOOK only, if given)"
    )
    run.add_argument("-j", "--jobs", type=int, default=1, help="with --all: runs at a time (default 1)")
    run.add_argument(
        "--engine", choices=("duckdb", "pyspark"),
        help="where the queries run: duckdb on this machine, or pyspark (Spark as its own configuration says); "
             "with --all, for every set",
    )
    run.add_argument(
        "--timeout", type=float, default=1800, metavar="SECONDS",
        help="stop a run (its kernel) after this many seconds and record it as failed (default 1800; 0 = none)",
    )
    run.add_argument(
        "--notify", action="append", default=[], metavar="TARGET",
        help="on a failure, and on recovery after one: POST JSON to a webhook URL, or mail a mailto: address "
        "(SMTP from ITVALUE_SMTP_HOST...); repeatable; default: [run] notify in itvalue.toml",
    )
    run.add_argument(
        "--keep", type=int, metavar="N",
        help="keep the newest N runs of each set's history (and always its last good run); default: [run] keep "
        "in itvalue.toml, else every run",
    )

    sample = commands.add_parser("sample-data", help="generate the deterministic sample data set")
    sample.add_argument("--out", help="output folder (default: the project's data/sample/)")
    sample.add_argument("--scale", type=int, default=1, help="about N times the rows, for benchmarks")
    sample.add_argument("--seed", type=int, default=42, help="random seed")
    return parser


def _add_kernel_command(commands: Any) -> None:
    kernel = commands.add_parser("kernel", help="the Jupyter kernel the notebooks name ('Python (itvalue)')")
    kernel_commands = kernel.add_subparsers(dest="kernel_command", required=True, metavar="ACTION")
    install = kernel_commands.add_parser(
        "install", help="register this environment's Python as the kernel 'Python (itvalue)' for Jupyter"
    )
    where = install.add_mutually_exclusive_group()
    where.add_argument(
        "--sys-prefix", dest="user", action="store_false",
        help="in this environment, for a JupyterLab installed in it (the default)",
    )
    where.add_argument(
        "--user", dest="user", action="store_true",
        help="for this user, for a JupyterLab installed in another environment",
    )


def _version() -> str:
    from helpers.installation import kit_version

    return f"itvalue {kit_version() or '(not installed: helpers from ' + str(Path(__file__).parents[1]) + ')'}"


def _cmd_init(args: argparse.Namespace) -> int:
    from helpers.running.project import init_project

    root = init_project(args.directory)
    print(f"New itvalue project in {root}; next: cd {root} && itvalue run --all")
    if not args.no_kernel:
        from helpers.running.kernelspec import install_kernel

        print(install_kernel(user=None).sentence)
    return 0


def _cmd_kernel(args: argparse.Namespace) -> int:
    from helpers.running.kernelspec import install_kernel

    print(install_kernel(user=args.user).sentence)
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from helpers.running.catalog import list_notebooks

    problems: dict[Path, str] = {}
    for notebook in list_notebooks(problems):
        sets = [p.stem for p in notebook.param_sets()]
        print(f"{notebook.name:<24} {notebook.title}")
        print(f"{'':<24} parameter sets: {', '.join(sets) if sets else '(none)'}")
    for sentence in problems.values():
        print(f"itvalue: skipped {sentence}", file=sys.stderr)
    return 2 if problems else 0


def _cmd_describe(args: argparse.Namespace) -> int:
    import yaml

    from helpers.running.catalog import find_notebook

    notebook = find_notebook(args.notebook)
    print(f"{notebook.title} ({notebook.path.name})\n")
    if (notebook.params_dir / "default.yml").exists():
        print(f"  The defaults below are params/{notebook.name}/default.yml: 'itvalue run {notebook.name} -p ...'")
        print("  and JupyterLab's Run All start from them (a test keeps the notebook and the file equal).\n")
    for info in notebook.describe():
        default = yaml.safe_dump(info.default, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()
        print(f"  {info.name}: {info.type}")
        print(f"      default: {default}")
        if info.help:
            print(f"      {info.help}")
    options = notebook.parameters_class.describe_input_options() if notebook.parameters_class is not None else []
    if options:
        print("\n  Your own column names, for every input (data/README.md; 'itvalue inspect FILE --input KIND' suggests them):\n")
        for info in options:
            print(f"  {info.name}: {info.type}")
            print(f"      {info.help}")
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    from helpers.analysis.registry import get_schema
    from helpers.inputs.inspecting import report

    try:
        get_schema(args.kind)
    except ValueError as exc:
        raise ParameterError(f"--input: {exc}") from None
    print(report(args.file, args.kind))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    args.out = args.out or str(paths.REPORTS_DIR)
    if not 0 <= args.timeout < 10**7:
        raise ParameterError(f"--timeout must be a number of seconds (0 for none); got {args.timeout:g}.")
    from helpers.running.notify import check_targets
    from helpers.running.settings import read_settings

    settings = read_settings()
    args.keep = args.keep if args.keep is not None else settings.keep
    if args.keep is not None and args.keep < 1:
        raise ParameterError(f"--keep must be at least 1 run; got {args.keep}.")
    args.notify = check_targets(args.notify or settings.notify)
    if args.all:
        if args.params_file or args.overrides or args.name:
            raise ParameterError(
                "--all runs every parameter set as it is (--engine aside); give no -f, -p or --name with it."
            )
        return _run_all(args)
    return _run_one(args)


def _run_one(args: argparse.Namespace) -> int:
    if not args.notebook:
        raise ParameterError("Name a notebook to run (see 'itvalue list'), or use --all.")
    from helpers.running.catalog import find_notebook
    from helpers.running.runner import parameter_set_name, run_notebook

    notebook = find_notebook(args.notebook)
    overrides = {key: notebook.parse_override(key, raw) for key, raw in map(_split_override, args.overrides)}
    if args.params_file is None and not overrides and (notebook.params_dir / "default.yml").is_file():
        # Nothing chosen: the notebook's default story, published as its 'default' set (not 'custom').
        args.params_file = str(notebook.params_dir / "default.yml")
    if args.engine:
        overrides["engine"] = args.engine
    out = Path(args.out)
    label = f"{notebook.name}/{parameter_set_name(args.params_file, overrides, args.name)}"
    before = _last_status(out, label) if args.notify else None
    try:
        outcome = run_notebook(
            notebook,
            params_file=args.params_file,
            overrides=overrides,
            out_dir=out,
            name=args.name,
            show_code=args.show_code,
            quiet=args.quiet,
            kernel=args.kernel,
            timeout=args.timeout or None,
            keep=args.keep,
        )
    except KitError as exc:
        if args.notify:
            from helpers.running.failures import rerun_command

            rerun = rerun_command(notebook.reference, params_file=args.params_file, overrides=overrides, name=args.name)
            _notify(args.notify, label, "failed", "bad-input", str(exc), "", rerun)
        raise
    stream = sys.stdout if outcome.status == "ok" else sys.stderr
    print(outcome.message, file=stream)
    if args.notify:
        record = _read_json(outcome.run_dir / "run.json")
        error = record.get("error") or {}
        if outcome.status != "ok":
            from helpers.running.failures import explain

            sentence = explain(error, rerun=record.get("rerun"))
            _notify(args.notify, label, "failed", error.get("cause", ""), sentence, str(outcome.report), record.get("rerun", ""))
        elif before not in (None, "ok"):
            _notify(args.notify, label, "recovered", "", "", str(outcome.report), record.get("rerun", ""))
    return outcome.exit_status


def _read_json(path: Path) -> dict:
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _last_status(out: Path, label: str) -> str | None:
    from helpers.running.attempts import last_status

    notebook, _, param_set = label.partition("/")
    return last_status(out, notebook, param_set)


def _notify(targets: list[str], label: str, status: str, cause: str, sentence: str, report: str, rerun: str) -> None:
    import datetime as dt

    from helpers.running.notify import Event, send

    event = Event(label, status, cause, sentence, report, rerun, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    send(targets, [event], warn=lambda line: _say(line, stream=sys.stderr))


def _run_all(args: argparse.Namespace) -> int:
    from helpers.running.attempts import Refusal, record
    from helpers.running.batch import Job, run_jobs
    from helpers.running.catalog import find_notebook, list_notebooks

    broken: dict[Path, str] = {}
    notebooks = [find_notebook(args.notebook)] if args.notebook else list_notebooks(broken)
    jobs = [Job(nb.name, str(path), args.engine) for nb in notebooks for path in nb.param_sets()]
    if not jobs and not broken:
        where = f"params/{notebooks[0].name}/" if args.notebook else "params/"
        raise ParameterError(f"No parameter sets found under {where}.")
    if args.jobs < 1:
        raise ParameterError(f"-j must be at least 1; got {args.jobs}.")
    out = Path(args.out)
    before = {job.label: _last_status(out, job.label) for job in jobs} if args.notify else {}
    _say(f"Running {len(jobs)} parameter sets, {args.jobs} at a time, into {out}")
    if not jobs:
        _say("No notebook could be loaded; nothing to run.")
    clock = time.perf_counter()

    def ended(outcome: Any) -> None:
        if not args.notify:
            return
        label = outcome.job.label
        if outcome.status != "ok":
            _notify(args.notify, label, "failed", outcome.cause, outcome.message, outcome.report, outcome.rerun)
        elif before.get(label) not in (None, "ok"):
            _notify(args.notify, label, "recovered", "", "", outcome.report, outcome.rerun)

    outcomes = run_jobs(
        jobs,
        out_dir=out,
        workers=args.jobs,
        show_code=args.show_code,
        kernel=args.kernel,
        say=_say,
        timeout=args.timeout or None,
        keep=args.keep,
        quiet=args.quiet,
        ended=ended,
    )

    from helpers.running.index import write_index

    refused = [Refusal(o.job.label, o.message, o.rerun, o.finished) for o in outcomes if o.status == "bad-input"]
    refused += _broken_sets(broken)
    record(out, refused, [o.job.label for o in outcomes if o.status != "bad-input"])
    index = write_index(out)
    counts = {status: sum(o.exit_status == status for o in outcomes) for status in (0, 1, 2)}
    skipped = f", {len(broken)} notebook{'s' if len(broken) != 1 else ''} skipped" if broken else ""
    _say(
        f"{len(outcomes)} runs in {time.perf_counter() - clock:.1f} s: {counts[0]} ok, {counts[1]} failed, "
        f"{counts[2]} bad input{skipped}. Index: {index}"
    )
    return max([o.exit_status for o in outcomes] + [2 if broken else 0])


def _broken_sets(broken: dict[Path, str]) -> list[Any]:
    """Each parameter set of a notebook that could not be loaded, refused with its sentence (said once per notebook)."""
    import datetime as dt

    from helpers.running.attempts import Refusal

    refused = []
    for path, sentence in broken.items():
        _say(f"SKIPPED {path.name}: {sentence}")
        params_dir = paths.PARAMS_DIR / path.stem
        finished = dt.datetime.now(dt.UTC).isoformat()
        for params in sorted(params_dir.glob("*.yml")):
            rerun = f"itvalue run {path.stem} -f params/{path.stem}/{params.name}"
            refused.append(Refusal(f"{path.stem}/{params.stem}", sentence, rerun, finished))
    return refused


def _say(line: str, *, stream: Any = None) -> None:
    """A log line of ``--all``: it starts with the time (ISO 8601, local, to the second), for cron's log file."""
    import datetime as dt

    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    print(f"{stamp} {line}", file=stream or sys.stdout, flush=True)


def _cmd_sample_data(args: argparse.Namespace) -> int:
    from helpers.sample_data import generate

    if args.scale < 1:
        raise ParameterError(f"--scale must be at least 1; got {args.scale}.")
    args.out = args.out or str(paths.SAMPLE_DATA_DIR)
    clock = time.perf_counter()
    generate(Path(args.out), scale=args.scale, seed=args.seed)
    print(f"Sample data (scale {args.scale}, seed {args.seed}) written to {args.out} in {time.perf_counter() - clock:.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``itvalue`` console script (``argv`` None: the command line's own arguments).

    Called as the console script, a finished ``run`` ends the process itself (see :func:`_exit_now`);
    called with ``argv`` (tests, other Python code), it returns the exit status.
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    status = _dispatch(args)
    if argv is None and args.command == "run" and status in (0, 1, 2):
        _exit_now(status)
    return status


def _dispatch(args: argparse.Namespace) -> int:
    handlers = {
        "init": _cmd_init, "kernel": _cmd_kernel, "list": _cmd_list, "describe": _cmd_describe, "inspect": _cmd_inspect,
        "run": _cmd_run,
        "sample-data": _cmd_sample_data,
    }
    try:
        from helpers.installation import check_dependencies

        check_dependencies()  # one sentence for a missing or too old package, before anything imports it
        return handlers[args.command](args)
    except KitError as exc:
        print(f"itvalue: {mask_secrets(str(exc))}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("itvalue: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (itvalue describe ... | head): not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps Python from complaining at exit
        return 0
    except OSError as exc:
        # An output folder that is a file, a full disk, no permission: the user's to fix, not a bug.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"itvalue: {where}{exc.strerror or exc}.", file=sys.stderr)
        return 2


def _exit_now(status: int) -> None:
    """End the console script once its work is done and flushed, without the interpreter's teardown.

    After a run, Python's own teardown takes a second or more (measured 1.2-2.7 s on 2 cores): the
    Jupyter client's sockets wait up to their one-second linger for a kernel that is already gone,
    then pandas, DuckDB and nbconvert are torn down module by module. Every file of the run is
    written and synced by then, and the exit handlers (the spare kernel's shutdown among them) still run.
    """
    import atexit
    import logging

    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can reach the reader
            pass
    os._exit(status)


if __name__ == "__main__":
    sys.exit(main())
