"""The cell-key method: consistent perturbation of published counts (ABS, Eurostat).

Suppressing small cells protects one report, but two reports of the same data with other
parameters can be differenced: the overall counts of a window ending on 12 August minus the
weeks another run shows give the one hidden response back exactly. Statistics offices publish
such tables with the *cell-key method* (Fraser and Wooton 2005; Thompson, Broadfoot and Elazar
2013; Eurostat's SDC handbook): every record carries a key, a cell's key is the sum of its
records' keys modulo a fixed number, and the cell's count is published with a small noise that
the cell key picks from a probability table. The same records always make the same cell key, so
a cell shows the same count in every run; different record sets get independent noise, so a
difference of two published counts is the true difference plus noise of variance
:data:`VARIANCE` per count, never the exact figure.

Record keys here are a deterministic hash of each record's own fields, computed with integer
arithmetic only (no engine hash function: DuckDB, PostgreSQL and Spark hash differently), so
every engine gives every record the same key and :func:`record_key_value` is its oracle in
Python. Cell keys are summed in the engine with the counts (:func:`key_sum`); counts regrouped
in Python add their key columns and :func:`perturb` takes them modulo :data:`MODULUS`.

Record keys are public arithmetic, so someone who knew every record of a cell but one could work
out its key for each value the last one might have, and see which key picks the noise published.
A project that publishes widely sets a secret, ``ITVALUE_CELL_KEY_SECRET`` (:data:`SECRET_VARIABLE`):
a cell's noise is then picked by a keyed hash of its cell key (:func:`uniform`), which nobody
without the secret can compute. It salts the cell keys in Python, after the engine, so the secret
never travels in a query (a database's statement log would keep it). The same secret gives the
same figures in every run; without one, the figures are those of the public method.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence

import ibis
import numpy as np
import pandas as pd

from helpers.exceptions import ParameterError

__all__ = [
    "MODULUS",
    "KEY_SUFFIX",
    "SECRET_VARIABLE",
    "SECRET_MIN_LENGTH",
    "secret",
    "uniform",
    "NOISE",
    "PROBABILITIES",
    "VARIANCE",
    "day_code",
    "time_code",
    "record_key",
    "record_key_value",
    "frame_record_keys",
    "key_sum",
    "noise",
    "perturb",
    "perturb_counts",
    "key_columns",
    "AMOUNT_SHARE",
    "AMOUNT_NOISE",
    "AMOUNT_VARIANCE",
    "amount_noise",
    "perturb_amounts",
]

#: Record and cell keys lie in ``[0, MODULUS)``; a Mersenne prime, so products of two keys fit in int64.
MODULUS = 2**31 - 1

#: A count column ``c`` travels with its cell key in column ``c + KEY_SUFFIX``.
KEY_SUFFIX = "_key"

#: The noise a cell key can pick, in counts, and the probability of each (the perturbation table).
NOISE = np.array([-2, -1, 0, 1, 2])
PROBABILITIES = np.array([0.1, 0.2, 0.4, 0.2, 0.1])

#: Variance of the noise added to one count (counts squared): mean zero, 2 x (0.1 x 4 + 0.2 x 1).
VARIANCE = round(float(PROBABILITIES @ NOISE**2), 12)

#: The environment variable holding the project's secret for picking noise (see the module's notes).
SECRET_VARIABLE = "ITVALUE_CELL_KEY_SECRET"
#: A shorter secret could be found by trying them all against the published figures.
SECRET_MIN_LENGTH = 16

_CUMULATIVE = np.cumsum(PROBABILITIES)
# Horner step and finishing multipliers, all below 2**31 so each product stays under 2**62.
_START = 1_234_567
_STEP = 1_000_003
_MIX = 1_664_525
_OFFSET = 1_013_904_223
# The affine step that makes a further uniform of a cell key (:func:`uniform`'s ``stream``): a figure
# other than the count (an amount) gets noise independent of the count's. 48,271 is the MINSTD multiplier,
# a primitive root modulo 2**31 - 1, so the step is a bijection that scatters neighbouring keys.
_REMIX = 48_271
_REMIX_OFFSET = 907_633_385


def day_code(timestamp: ibis.ir.TimestampValue) -> ibis.ir.IntegerValue:
    """A day as one integer, ``year x 512 + month x 32 + day`` (distinct for distinct days, on every engine)."""
    return (timestamp.year().cast("int64") * 512 + timestamp.month().cast("int64") * 32
            + timestamp.day().cast("int64"))


def time_code(timestamp: ibis.ir.TimestampValue) -> ibis.ir.IntegerValue:
    """The second of the day, 0 to 86,399 (fractions of a second left out: engines round them differently)."""
    return (timestamp.hour().cast("int64") * 3600 + timestamp.minute().cast("int64") * 60
            + timestamp.second().cast("int64"))


def _finish(value):
    """A squaring round so that records a field apart get unrelated keys (one only: the SQL doubles with each)."""
    return ((value * value) % MODULUS * _MIX + _OFFSET) % MODULUS


def record_key(*fields: ibis.ir.IntegerValue) -> ibis.ir.IntegerValue:
    """A record's key in ``[0, MODULUS)``, hashed from its own non-negative integer fields in the engine.

    Parameters
    ----------
    *fields : Ibis integer expressions
        Stable facts of the record (its day with :func:`day_code`, its second with
        :func:`time_code`, a score...); a missing value counts as 0.

    Returns
    -------
    Ibis int64 expression
        Equal to :func:`record_key_value` of the same values, on every engine.
    """
    value = ibis.literal(_START).cast("int64")
    for field in fields:
        value = (value * _STEP + field.cast("int64").fill_null(0) % MODULUS) % MODULUS
    return _finish(value).cast("int64")


def record_key_value(*values: int) -> int:
    """:func:`record_key` in plain Python: the oracle the engines are tested against."""
    value = _START
    for field in values:
        value = (value * _STEP + (field or 0) % MODULUS) % MODULUS
    return _finish(value)


def frame_record_keys(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Record keys of rows built in pandas, hashed from the ``columns`` that identify each row.

    For records that exist only after pandas has built them (a user's eligibility for a feature
    is worked out in pandas, so every engine gives the same rows). The values are hashed as
    strings with ``pandas.util.hash_pandas_object`` (SipHash with a fixed key), so a row keeps its
    key from run to run and machine to machine, whatever its index or the other rows.

    Parameters
    ----------
    frame : DataFrame
    columns : sequence of str
        Identify a record (``["user_id", "feature_id"]``); a missing value hashes as ``"nan"``.

    Returns
    -------
    ndarray of int64
        One key per row, in ``[0, MODULUS)``.
    """
    hashed = pd.util.hash_pandas_object(frame[list(columns)].astype(str), index=False).to_numpy(dtype="uint64")
    return (hashed % np.uint64(MODULUS)).astype("int64")


def key_sum(key: ibis.ir.IntegerValue, where: ibis.ir.BooleanValue | None = None) -> ibis.ir.IntegerValue:
    """The cell key of the records an aggregation counts: their keys summed, modulo :data:`MODULUS`.

    Use beside the count, ``detractors=(_.score <= 6).sum()``,
    ``detractors_key=key_sum(_.record_key, _.score <= 6)``.
    """
    counted = key if where is None else ibis.ifelse(where, key, 0)
    return (counted.sum().fill_null(0) % MODULUS).cast("int64")


def secret() -> bytes | None:
    """The project's secret from :data:`SECRET_VARIABLE` (None when unset or empty).

    Raises
    ------
    ParameterError
        A secret shorter than :data:`SECRET_MIN_LENGTH` characters (never quoted).
    """
    value = os.environ.get(SECRET_VARIABLE, "")
    if not value:
        return None
    if len(value) < SECRET_MIN_LENGTH:
        raise ParameterError(
            f"{SECRET_VARIABLE} is set but shorter than {SECRET_MIN_LENGTH} characters, short enough to be found by "
            "trying every value against the published counts; use a long random value (python -c "
            "'import secrets; print(secrets.token_urlsafe(32))')."
        )
    return value.encode("utf-8")


def uniform(key_sums: np.ndarray | Sequence[int], stream: int = 0) -> np.ndarray:
    """A number in [0, 1) per cell key, the same for the same key: what picks the cell's noise.

    Without a secret it is ``key / MODULUS`` (the public method; ``stream`` remixes the key, so one
    cell can pick independent noises for different figures). With one, a keyed BLAKE2b hash of the
    stream and the key, so the noise cannot be worked out from the records alone.
    """
    keys = np.asarray(key_sums, dtype="int64") % MODULUS
    key = secret()
    if key is None:
        if stream:
            keys = (keys * _REMIX + stream * _REMIX_OFFSET) % MODULUS
        return keys / MODULUS
    # A hash per distinct cell key: tables have thousands of cells, not millions.
    distinct, positions = np.unique(keys, return_inverse=True)
    hashed = np.array([
        int.from_bytes(hashlib.blake2b(f"{stream}:{value}".encode(), key=key[:64], digest_size=8).digest(), "big")
        for value in distinct.tolist()
    ], dtype="float64")
    return (hashed / 2.0**64)[positions.reshape(keys.shape)] if keys.ndim else hashed[0] / 2.0**64


def noise(key_sums: np.ndarray | Sequence[int]) -> np.ndarray:
    """The noise each cell key picks: :func:`uniform` of the key falls in one band of the table."""
    position = uniform(key_sums)
    index = np.minimum(np.searchsorted(_CUMULATIVE, position, side="right"), len(NOISE) - 1)
    return NOISE[index]


def perturb(counts: np.ndarray | Sequence[int], key_sums: np.ndarray | Sequence[int]) -> np.ndarray:
    """Counts plus the noise of their cell keys, never below 0; a count of 0 stays 0 (an empty cell has no records).

    Parameters
    ----------
    counts : array-like of int
        Exact counts.
    key_sums : array-like of int
        The cell key of each count (sums of record keys; taken modulo :data:`MODULUS` here).
    """
    exact = np.asarray(counts, dtype="int64")
    perturbed = np.maximum(exact + noise(key_sums), 0)
    return np.where(exact == 0, 0, perturbed)


def key_columns(columns: Iterable[str]) -> list[str]:
    """The key column of each count column."""
    return [f"{column}{KEY_SUFFIX}" for column in columns]


def perturb_counts(frame: pd.DataFrame, columns: Sequence[str], *, floor: int = 0) -> pd.DataFrame:
    """Perturb the count ``columns`` of a frame by their ``<column>_key`` columns, and drop the keys.

    Parameters
    ----------
    frame : DataFrame
        With each count column and its key column.
    columns : sequence of str
        The counts to publish.
    floor : int
        A count that is at least ``floor`` stays at least ``floor`` (the smallest group shown is
        ``min_n``: noise must not make a shown group look smaller than the rule allows).

    Returns
    -------
    DataFrame
        A copy with perturbed int64 counts and no key columns.
    """
    out = frame.copy()
    for column, key in zip(columns, key_columns(columns)):
        exact = out[column].fillna(0).to_numpy(dtype="int64")
        perturbed = perturb(exact, out[key].fillna(0).to_numpy(dtype="int64"))
        if floor:
            perturbed = np.where(exact >= floor, np.maximum(perturbed, floor), perturbed)
        out[column] = perturbed
    return out.drop(columns=[k for k in key_columns(columns) if k in out])


# --- magnitudes: sums of amounts (hours, money) -------------------------------------------------------------

#: The noise of a published amount is ``D x AMOUNT_SHARE x`` the cell's largest single contribution. With
#: the noise ``D`` of :data:`AMOUNT_NOISE` (mean-square :data:`AMOUNT_VARIANCE`) its standard deviation is
#: about 0.52 of that contribution: the difference of two published cells estimates one contribution no
#: better than plus or minus about its own size (Giessing and Tent 2019, the cell-key method for magnitudes).
AMOUNT_SHARE = 0.5

#: ``|D|`` is uniform on this range and its sign is equally likely either way. Continuous, unlike the count
#: table: two windows that share their largest contribution would otherwise draw the same ``D`` a quarter of
#: the time (0.4 x 0.4 + 2 x 0.2 x 0.2 + 2 x 0.1 x 0.1) and their difference would be exact; and bounded
#: away from 0, so no cell is published with almost no noise.
AMOUNT_NOISE = (0.5, 1.5)

#: Mean-square of ``D`` (``(a^2 + ab + b^2) / 3`` for ``|D|`` uniform on ``[a, b]``): 1.083.
AMOUNT_VARIANCE = round((AMOUNT_NOISE[0] ** 2 + AMOUNT_NOISE[0] * AMOUNT_NOISE[1] + AMOUNT_NOISE[1] ** 2) / 3, 12)


def amount_noise(key_sums: np.ndarray | Sequence[int]) -> np.ndarray:
    """The ``D`` each cell key picks for an amount: from ``-1.5`` to ``-0.5`` or ``0.5`` to ``1.5``, mean 0.

    The key gives a second uniform ``u`` on [0, 1) (:func:`uniform`'s stream 1: a fixed affine step of
    the key, or the project secret's keyed hash), so the amount's noise is not the count's; ``D`` is
    its quantile, so ``u`` below one half gives a negative ``D``.
    """
    position = uniform(key_sums, stream=1)
    low, high = AMOUNT_NOISE
    size = low + (high - low) * np.abs(2 * position - 1)
    return np.where(position < 0.5, -size, size)


def perturb_amounts(
    amounts: np.ndarray | Sequence[float], key_sums: np.ndarray | Sequence[int], largest: np.ndarray | Sequence[float]
) -> np.ndarray:
    """Sums of amounts plus noise scaled to each cell's largest contribution, never below 0; 0 stays 0.

    Parameters
    ----------
    amounts : array-like of float
        Exact sums of non-negative amounts (hours, money), one per cell.
    key_sums : array-like of int
        The cell key of each sum (the key of the cell's records, as for its count).
    largest : array-like of float
        The largest single contribution to each sum, in the amounts' unit; where it is 0 the sum is 0
        too and gets no noise.

    Returns
    -------
    ndarray of float
        ``amount + D x AMOUNT_SHARE x largest`` (:func:`amount_noise`), the same for the same key in every run.
    """
    exact = np.asarray(amounts, dtype="float64")
    top = np.asarray(largest, dtype="float64")
    perturbed = np.maximum(exact + amount_noise(key_sums) * AMOUNT_SHARE * top, 0.0)
    return np.where(exact == 0, 0.0, perturbed)
