"""Input data: what a source string means (:mod:`.sources`), every input's columns and rules
(:mod:`.schemas`), reading files (:mod:`.reading`), typing values (:mod:`.converting`), rule
checks (:mod:`.checking`), data-quality notes (:mod:`.quality`), tables an engine holds
(databases, Spark: :mod:`.tables`) and validated loading through DuckDB/Ibis (:mod:`.loading`).

Import the submodule you need: this package's own import is light, so that parameter
declarations can use :mod:`.sources` without loading DuckDB.
"""
