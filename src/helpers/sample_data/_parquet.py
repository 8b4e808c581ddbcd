"""Stream chunks of rows into one Parquet file, never holding the whole file in memory."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["write_parquet_chunks"]


def write_parquet_chunks(
    path: str | Path,
    chunks: Iterable[pd.DataFrame | pa.Table | pa.RecordBatch],
    *,
    schema: pa.Schema | None = None,
    compression: str = "zstd",
    row_group_size: int | None = None,
) -> int:
    """Write an iterator of chunks to one Parquet file, one chunk in memory at a time.

    The file appears only once complete (it is written beside the target and renamed),
    so an interrupted run leaves no half-written file behind.

    Parameters
    ----------
    path : str or Path
        The Parquet file to write (replaced if it exists; its folder is created).
    chunks : iterable of pandas.DataFrame, pyarrow.Table or pyarrow.RecordBatch
        The rows, in order; a generator keeps memory to one chunk. DataFrame indexes
        are dropped.
    schema : pyarrow.Schema, optional
        The file's schema; by default the first chunk's. Every chunk must have the same
        columns and is cast to it (so a chunk whose column happens to be all-null or
        integer-valued still matches).
    compression : str
        Parquet codec.
    row_group_size : int, optional
        Most rows per row group; by default each chunk is one row group (up to pyarrow's limit).

    Returns
    -------
    int
        The number of rows written.

    Examples
    --------
    >>> def months():  # doctest: +SKIP
    ...     for month in range(12):
    ...         yield make_orders(month)          # a DataFrame of one month's orders
    >>> write_parquet_chunks("data/sample/sales.parquet", months())  # doctest: +SKIP
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for chunk in chunks:
            table = _as_table(chunk)
            if writer is None:
                schema = (schema or table.schema).remove_metadata()
                writer = pq.ParquetWriter(partial, schema, compression=compression)
            if set(table.column_names) != set(schema.names):
                raise ValueError(
                    f"chunk columns {table.column_names} differ from the file's {schema.names} ({path.name})"
                )
            table = table.select(schema.names).cast(schema)
            writer.write_table(table, row_group_size=row_group_size)
            rows += table.num_rows
        if writer is None:
            if schema is None:
                raise ValueError(f"no chunks and no schema: nothing to write to {path.name}")
            writer = pq.ParquetWriter(partial, schema.remove_metadata(), compression=compression)
        writer.close()
        writer = None
        partial.replace(path)
    finally:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
    return rows


def _as_table(chunk: pd.DataFrame | pa.Table | pa.RecordBatch) -> pa.Table:
    if isinstance(chunk, pa.Table):
        return chunk
    if isinstance(chunk, pa.RecordBatch):
        return pa.Table.from_batches([chunk])
    if isinstance(chunk, pd.DataFrame):
        return pa.Table.from_pandas(chunk, preserve_index=False)
    raise TypeError(f"a chunk must be a pandas DataFrame or a pyarrow Table/RecordBatch, not {type(chunk).__name__}")
