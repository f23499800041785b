"""aegrade: grade adverse events of cancer immunotherapy and build safety tables.

The public API: :func:`grade_labs` (CTCAE lab and vital-sign grading of a frame),
:func:`grade` (a whole study: graded observations, adverse events, subject summary),
:func:`load_study`, :func:`load_criteria` and :func:`list_criteria`; :func:`compare_versions`
(what grading a study by another CTCAE version changes); CRS/ICANS
(:func:`grade_crs_icans`, bedside :func:`ice_score`, :func:`capd_score`) and hematologic
toxicity (:func:`summarize_hematology`, :func:`grade_icaht`, :func:`score_car_hematotox`);
:class:`Reason` lists every code a failure table's ``check`` column can hold.
"""

from typing import TYPE_CHECKING

from aegrade.lazy import lazy_exports

if TYPE_CHECKING:
    from aegrade._version import __version__
    from aegrade.compare import VersionComparison, compare_versions
    from aegrade.criteria import list_criteria, load_criteria, load_dictionary
    from aegrade.dask import DaskResult, grade_dask
    from aegrade.errors import AegradeError, InputError, Reason
    from aegrade.grading.bedside import (
        capd_score,
        grade_crs_timepoint,
        grade_icans_timepoint,
        ice_score,
    )
    from aegrade.grading.hematology import HematologyResult, summarize_hematology
    from aegrade.grading.hematotox import score_car_hematotox
    from aegrade.grading.icaht import grade_icaht
    from aegrade.grading.labs import grade_labs
    from aegrade.grading.syndromes import CrsIcansResult, grade_crs_icans
    from aegrade.partition import grade_partitions
    from aegrade.pipeline import GradeResult, grade
    from aegrade.read.study import Study, load_study

__all__ = [
    "AegradeError",
    "CrsIcansResult",
    "DaskResult",
    "GradeResult",
    "HematologyResult",
    "InputError",
    "Reason",
    "Study",
    "VersionComparison",
    "__version__",
    "capd_score",
    "compare_versions",
    "grade",
    "grade_crs_icans",
    "grade_crs_timepoint",
    "grade_dask",
    "grade_icaht",
    "grade_icans_timepoint",
    "grade_labs",
    "grade_partitions",
    "ice_score",
    "list_criteria",
    "load_criteria",
    "load_dictionary",
    "load_study",
    "score_car_hematotox",
    "summarize_hematology",
]

#: Where each public name lives: imported on first use (PEP 562), so that ``import aegrade.cli``
#: and ``aegrade --help`` do not load pandas, numpy and pydantic (issue 15 point 5).
_LAZY: dict[str, str] = {
    "AegradeError": "aegrade.errors",
    "CrsIcansResult": "aegrade.grading.syndromes",
    "DaskResult": "aegrade.dask",
    "GradeResult": "aegrade.pipeline",
    "HematologyResult": "aegrade.grading.hematology",
    "InputError": "aegrade.errors",
    "Reason": "aegrade.errors",
    "Study": "aegrade.read.study",
    "VersionComparison": "aegrade.compare",
    "__version__": "aegrade._version",
    "capd_score": "aegrade.grading.bedside",
    "compare_versions": "aegrade.compare",
    "grade": "aegrade.pipeline",
    "grade_crs_icans": "aegrade.grading.syndromes",
    "grade_crs_timepoint": "aegrade.grading.bedside",
    "grade_dask": "aegrade.dask",
    "grade_icaht": "aegrade.grading.icaht",
    "grade_icans_timepoint": "aegrade.grading.bedside",
    "grade_labs": "aegrade.grading.labs",
    "grade_partitions": "aegrade.partition",
    "ice_score": "aegrade.grading.bedside",
    "list_criteria": "aegrade.criteria",
    "load_criteria": "aegrade.criteria",
    "load_dictionary": "aegrade.criteria",
    "load_study": "aegrade.read.study",
    "score_car_hematotox": "aegrade.grading.hematotox",
    "summarize_hematology": "aegrade.grading.hematology",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), submodules=False)
