"""Input data: what a source string means (:mod:`.sources`), every input's columns and rules
(the analyses' schemas), reading files (:mod:`.reading`), typing values (:mod:`.converting`), rule
checks (:mod:`.checking`), data-quality notes (:mod:`.quality`), tables an engine holds
(databases, Spark: :mod:`.tables`) and validated loading through DuckDB/Ibis (:mod:`.loading`).

An export with its tool's own column names is read through a column map or a profile: what a
map is and how it meets a file's columns (:mod:`.maps`), the SQL expressions a map may hold
(:mod:`.expressions`), applying it where the data is read (:mod:`.mapping`), the profiles shipped
as YAML and a project's own (:mod:`.profiles`), and ``itvalue inspect`` (:mod:`.inspecting`).

Import the submodule you need: this package's own import is light, so that parameter
declarations can use :mod:`.sources` and :mod:`.maps` without loading DuckDB.
"""
