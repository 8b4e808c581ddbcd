"""IT value analytics kit: parameterised notebooks over the analyses in this package (``pip install itvalue``).

Imported in a Jupyter kernel, the kit first registers how its errors show (one sentence, the traceback
folded) and checks the installed dependencies against their floors (:mod:`helpers.jupyter`);
elsewhere importing it does nothing more (``itvalue`` checks the dependencies itself when it starts).
"""

import sys as _sys

if "IPython" in _sys.modules:  # a kernel or an IPython shell has loaded IPython before anything imports the kit
    from helpers.jupyter import on_import as _on_import

    _on_import()
