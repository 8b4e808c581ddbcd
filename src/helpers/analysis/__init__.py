"""What the analyses and the runner share: the parameter vocabulary, the analysis contract and its registry.

This layer sits below both: every analysis package (``helpers.nps_trends``...) declares its
:class:`Analysis` with the types here, and the runner (``helpers.running``) finds them through the
registry. Neither imports the other. Imports pydantic and the standard library only.
"""
