"""aegrade: grade adverse events of cancer immunotherapy and build safety tables.

The public API: :func:`grade_labs` (CTCAE lab and vital-sign grading of a frame),
:func:`grade` (a whole study: graded observations, adverse events, subject summary),
:func:`load_study`, :func:`load_criteria` and :func:`list_criteria`.
"""

from aegrade._version import __version__
from aegrade.criteria import list_criteria, load_criteria, load_dictionary
from aegrade.errors import AegradeError, InputError
from aegrade.grading.labs import grade_labs
from aegrade.grading.pipeline import GradeResult, grade
from aegrade.study import Study, load_study

__all__ = [
    "AegradeError",
    "GradeResult",
    "InputError",
    "Study",
    "__version__",
    "grade",
    "grade_labs",
    "list_criteria",
    "load_criteria",
    "load_dictionary",
    "load_study",
]
