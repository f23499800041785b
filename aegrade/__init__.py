"""aegrade: grade adverse events of cancer immunotherapy and build safety tables.

The public API: :func:`grade_labs` (CTCAE lab and vital-sign grading of a frame),
:func:`grade` (a whole study: graded observations, adverse events, subject summary),
:func:`load_study`, :func:`load_criteria` and :func:`list_criteria`.
"""

from importlib.metadata import PackageNotFoundError, version

from aegrade.criteria import list_criteria, load_criteria, load_dictionary
from aegrade.errors import AegradeError, InputError
from aegrade.grading.labs import grade_labs

try:
    __version__ = version("aegrade")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "AegradeError",
    "InputError",
    "__version__",
    "grade_labs",
    "list_criteria",
    "load_criteria",
    "load_dictionary",
]
