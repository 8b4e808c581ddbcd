"""The same figures however a run is started: every analysis computes with one BLAS thread.

OpenBLAS (NumPy's and SciPy's linear algebra) splits a product or a factorisation among its
threads, and the split decides the order in which a sum is added up: the last bits of the result
depend on how many threads there were. The downtime analysis on the sample gave 40,794 EUR with one
thread and 40,772 EUR with two, so a scheduled report (``--all -j 2``, one thread per kernel) and an
analyst's notebook (one thread per core) disagreed. Pinning the analyses to one thread makes the
figures independent of the machine's cores, the pool size and the environment variables that size
BLAS; it costs nothing measurable here (the analyses work on aggregates, small matrices, where
threads mostly wait: two spinning threads made the downtime analysis slower, not faster).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["one_blas_thread"]

F = TypeVar("F", bound=Callable[..., Any])


def one_blas_thread(function: F) -> F:
    """Run ``function`` with the BLAS libraries limited to one thread (restored afterwards)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits  # loaded when an analysis first runs, not by the runner

        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
