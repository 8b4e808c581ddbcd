"""Bounded waits on Spark: a cluster that starts no executor, a Spark Connect server that stops answering.

Left to Spark, both wait until ``itvalue run --timeout`` stops the run: a standalone cluster whose
workers cannot hold the executors asked for (``spark.executor.memory`` or ``spark.executor.cores``
larger than any worker, or every core held by another application) logs "Initial job has not
accepted any resources" and waits for ever; Spark Connect's client retries a lost server for about
ten minutes (its ``DefaultPolicy``: 15 retries, up to 60 s apart). Here each is one sentence
(:class:`~helpers.exceptions.ParameterError`, exit 2) within a bounded time, set in seconds by
``ITVALUE_SPARK_EXECUTOR_WAIT`` (default 60) and ``ITVALUE_SPARK_CONNECT_WAIT`` (default 30).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from helpers.exceptions import ParameterError

__all__ = ["EXECUTOR_WAIT", "CONNECT_WAIT", "check_waits", "wait_for_executors", "bound_connect_retries"]

#: Seconds a cluster session waits for its first executor (``ITVALUE_SPARK_EXECUTOR_WAIT``).
EXECUTOR_WAIT = 60.0
#: Seconds Spark Connect's client keeps retrying a server that stopped answering (``ITVALUE_SPARK_CONNECT_WAIT``).
CONNECT_WAIT = 30.0


def _seconds(variable: str, default: float) -> float:
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ParameterError(f"{variable} ({text}) must be a number of seconds greater than 0.")
    return value


def check_waits() -> None:
    """Raise ParameterError when ``ITVALUE_SPARK_EXECUTOR_WAIT`` or ``ITVALUE_SPARK_CONNECT_WAIT`` is not a positive number."""
    _seconds("ITVALUE_SPARK_EXECUTOR_WAIT", EXECUTOR_WAIT)
    _seconds("ITVALUE_SPARK_CONNECT_WAIT", CONNECT_WAIT)


# --- executors ---------------------------------------------------------------------------------

def _executor_count(sc: Any) -> int:
    """Executors registered with the driver (the driver itself is not one)."""
    return len(sc._jsc.sc().statusTracker().getExecutorInfos()) - 1  # PySpark's StatusTracker does not say


def _on_demand(conf: Any) -> bool:
    """Dynamic allocation from zero executors: the cluster is asked for one only when a job has tasks."""
    if conf.get("spark.dynamicAllocation.enabled", "false").lower() != "true":
        return False
    return max(int(conf.get(key, "0") or 0) for key in (
        "spark.dynamicAllocation.minExecutors", "spark.dynamicAllocation.initialExecutors", "spark.executor.instances")) == 0


_PROBE_GROUP = "itvalue-executor-probe"


def _probe(session: Any) -> threading.Thread:
    """A one-task job in the background, so that dynamic allocation asks the cluster for an executor."""
    def run() -> None:
        session.sparkContext.setJobGroup(_PROBE_GROUP, "itvalue: waiting for a first executor", interruptOnCancel=True)
        with contextlib.suppress(Exception):  # cancelled when no executor came: the sentence is the caller's
            session.range(0, 1, 1, 1).selectExpr("sum(id)").collect()

    thread = threading.Thread(target=run, name=_PROBE_GROUP, daemon=True)
    thread.start()
    return thread


def wait_for_executors(session: Any, *, seconds: float | None = None, poll: float = 0.5) -> None:
    """Raise ParameterError (and stop the session) when a cluster session has no executor after ``seconds``.

    Local mode (the driver runs the tasks) is not waited for; under dynamic allocation from zero executors a
    one-task job makes the cluster start one.
    """
    sc = session.sparkContext
    conf = sc.getConf()
    master = sc.master or ""
    if master.startswith("local"):
        return
    seconds = _seconds("ITVALUE_SPARK_EXECUTOR_WAIT", EXECUTOR_WAIT) if seconds is None else seconds
    probe = _probe(session) if _on_demand(conf) else None
    deadline = time.monotonic() + seconds
    while _executor_count(sc) < 1:
        if time.monotonic() >= deadline:
            sentence = _no_executor_sentence(conf, master, seconds)
            if probe is not None:
                sc.cancelJobGroup(_PROBE_GROUP)
                probe.join(10)
            session.stop()  # give the cluster its slot back: the run ends here
            raise ParameterError(sentence)
        time.sleep(poll)


def _no_executor_sentence(conf: Any, master: str, seconds: float) -> str:
    memory = conf.get("spark.executor.memory", "1g")
    cores = conf.get("spark.executor.cores", None)
    asked = f"{memory} of memory (spark.executor.memory)"
    asked += f" and {_cores(int(cores))} (spark.executor.cores)" if cores else " and 1 core or more"
    offered = _workers_offer(conf, master)
    return (
        f"Spark's cluster ({_redacted(master)}) started no executor for this run within {seconds:g} s: each executor asks "
        f"for {asked}, {offered}; ask for less in spark-defaults.conf, or free the workers' cores "
        "(ITVALUE_SPARK_EXECUTOR_WAIT sets the wait in seconds)."
    )


def _workers_offer(conf: Any, master: str) -> str:
    """What the standalone master's workers offer, from its JSON page, or what to compare with when it cannot be asked."""
    unknown = "more than any worker offers or than is free on them"
    parts = urlsplit(master)
    if parts.scheme != "spark" or not parts.hostname:
        return unknown
    port = conf.get("spark.master.ui.port", "8080")
    try:
        with urllib.request.urlopen(f"http://{parts.hostname}:{port}/json/", timeout=3) as answer:
            workers = [w for w in json.load(answer).get("workers", []) if w.get("state") == "ALIVE"]
    except (OSError, ValueError):
        return unknown
    if not workers:
        return "and the master has no live worker"
    memory = max(int(w.get("memory", 0)) - int(w.get("memoryused", 0)) for w in workers)
    cores = max(int(w.get("cores", 0)) - int(w.get("coresused", 0)) for w in workers)
    total_memory = max(int(w.get("memory", 0)) for w in workers)
    total_cores = max(int(w.get("cores", 0)) for w in workers)
    return (
        f"while the largest worker has {total_memory} MB and {_cores(total_cores)} "
        f"({memory} MB and {_cores(cores)} free)"
    )


def _cores(count: int) -> str:
    return f"{count} core" if count == 1 else f"{count} cores"


def _redacted(url: str) -> str:
    return url.split(";", 1)[0]


# --- Spark Connect -----------------------------------------------------------------------------

def bound_connect_retries(session: Any, remote: str, *, seconds: float | None = None) -> None:
    """Make the Spark Connect client give up on an unanswering server after about ``seconds``, with one sentence.

    The client's own policy (which errors to retry: UNAVAILABLE, a preempted cursor) is kept; only how long
    it retries is bounded, and when it gives up the error is ParameterError naming the server.
    """
    from pyspark.sql.connect.client.retries import DefaultPolicy, RetryPolicyState

    seconds = _seconds("ITVALUE_SPARK_CONNECT_WAIT", CONNECT_WAIT) if seconds is None else seconds
    shown = _redacted(remote)

    class _State(RetryPolicyState):
        _deadline: float | None = None  # counted from the first failure, not from the start of a long call

        def next_attempt(self) -> int | None:
            if self._deadline is None:
                self._deadline = time.monotonic() + seconds
            left = self._deadline - time.monotonic()
            wait = super().next_attempt() if left > 0 else None
            if wait is None:
                raise ParameterError(
                    f"The Spark Connect server at {shown} (SPARK_REMOTE) stopped answering: no answer for "
                    f"{seconds:g} s (ITVALUE_SPARK_CONNECT_WAIT sets the wait in seconds)."
                )
            return int(min(wait, max(left * 1000, 1)))

    class _Bounded(DefaultPolicy):
        def __init__(self) -> None:
            # Spark's backoff (50 ms, times 4) capped at 5 s, retried until the deadline rather than 15 times.
            super().__init__(max_retries=None, max_backoff=5000)

        def to_state(self) -> RetryPolicyState:
            return _State(self)

    session.client.set_retry_policies([_Bounded()])
