"""Running notebooks: the ``itvalue`` command, the catalog of notebooks and parameter sets,
typed parameters, the runner (validate, execute with papermill, publish), HTML export,
the reports index, provenance and safe file writes.

Nothing here imports pandas, matplotlib, DuckDB or an analysis at import time.
"""
