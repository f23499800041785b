"""The output schema: one documented table per output, applied once at the end of a run.

Every table :func:`aegrade.grade` returns, and every table ``aegrade grade`` writes, has the
columns and dtypes listed here whatever the input looked like: a study whose ``value`` column
mixes numbers and words gives the same dtypes as an all-numeric one, a study without events
the same as one with many. :func:`conform` applies a :class:`TableSchema` to a frame;
:func:`arrow_schema` gives the Parquet (Arrow) schema it is written with.

Conventions
-----------
- Grades are nullable integers (``Int64``): NA means "not graded", never 0.
- Days (``day``, ``onset``, ``end``, ...) are ``float64`` days from the first treatment.
- Text is pandas ``string`` (Arrow ``large_string``); open sets of labels that repeat over
  many rows (terms, rules, the reason text of graded observations) are categoricals, written
  as ``dictionary<int32, string>``.
- ``value`` is the number as given (``float64``; NA when the cell holds a word, a censored
  value such as ``<0.5`` or nothing) and ``value_text`` the cell as given when it is not a
  plain number (``given``, ``absent``, ``<0.5``; NA where ``value`` holds it).
- ``reason`` of graded observations stays the readable text (which rule fired, or why the row
  was not graded: rule texts are open-ended, one per criteria clause); ``reason_code`` is a
  categorical over the closed set :data:`REASON_CODES`; the rule ids are in ``rule_low`` and
  ``rule_high``.
- A column the user brought that is not listed keeps its values with a stable dtype: object
  (mixed) and ``str`` columns become ``string``; numbers, booleans and dates stay.

>>> import pandas as pd
>>> frame = pd.DataFrame({"subject_id": [1, 2], "term": ["Anemia", "Fever"], "grade": [2, None]})
>>> out = conform(frame, ADVERSE_EVENTS)
>>> str(out["grade"].dtype), str(out["subject_id"].dtype), str(out["onset"].dtype)
('Int64', 'string', 'float64')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from aegrade.errors import Reason

__all__ = [
    "ADAE",
    "ADAM_METADATA",
    "ADLB",
    "ADVERSE_EVENTS",
    "GRADED_OBSERVATIONS",
    "ISSUES",
    "OUTCOME_CODES",
    "REASON_CODES",
    "SCHEMAS",
    "SUBJECT_SUMMARY",
    "Column",
    "TableSchema",
    "arrow_schema",
    "conform",
    "reason_codes",
    "split_value",
]

Dtype = Literal[
    "string", "Int64", "int64", "float64", "bool", "category", "reason_code", "check_code"
]

#: Outcomes of a graded observation that are not input problems.
OUTCOME_CODES = ("graded", "grade_0", "missing_time", "not_graded")

#: Every ``reason_code`` of graded observations: the outcomes, then the :class:`Reason` codes
#: (an input problem, a missing value, range or baseline, no criteria for the parameter).
REASON_CODES: tuple[str, ...] = tuple(dict.fromkeys([*OUTCOME_CODES, *(r.value for r in Reason)]))

_REASON_DTYPE = pd.CategoricalDtype(list(REASON_CODES))
#: The ``check`` of the issues table: a :class:`~aegrade.errors.Reason` code, nothing else.
_CHECK_DTYPE = pd.CategoricalDtype([r.value for r in Reason])


@dataclass(frozen=True)
class Column:
    """One column of an output table.

    Attributes
    ----------
    name
        The column name.
    dtype
        ``string``, ``Int64``, ``int64``, ``float64``, ``bool``, ``category`` (an open set of
        labels), ``reason_code`` (the categorical over :data:`REASON_CODES`) or ``check_code``
        (the categorical over the :class:`~aegrade.errors.Reason` codes).
    required
        Always present (added, all NA, when a run has nothing for it); otherwise present when
        the input or the engine gives it, and then with this dtype.
    nullable
        Whether NA may occur.
    doc
        What the column holds.
    """

    name: str
    dtype: Dtype
    required: bool = True
    nullable: bool = True
    doc: str = ""


@dataclass(frozen=True)
class TableSchema:
    """The documented columns of one output table.

    ``patterns`` give the dtype of families of columns named by a regular expression (the
    ``<term> [<system>]`` worst-grade columns of the subject summary). ``ordered`` tables put
    the listed columns first, in schema order; the others keep the order they were built in
    (graded observations: the input's columns, then the grade columns).

    >>> ISSUES.names[:3]
    ('file', 'sheet', 'row')
    """

    name: str
    columns: tuple[Column, ...]
    patterns: tuple[tuple[str, Dtype], ...] = ()
    doc: str = ""
    ordered: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """The listed column names, in order."""
        return tuple(c.name for c in self.columns)

    def dtype_of(self, name: str) -> Dtype | None:
        """The documented dtype of column ``name`` (listed or matching a pattern), else None.

        >>> SUBJECT_SUMMARY.dtype_of("Anemia [ctcae-v5.0]")
        'Int64'
        """
        for c in self.columns:
            if c.name == name:
                return c.dtype
        for pattern, dtype in self.patterns:
            if re.search(pattern, name):
                return dtype
        return None


def _c(
    name: str, dtype: Dtype, doc: str, *, required: bool = True, nullable: bool = True
) -> Column:
    return Column(name, dtype, required, nullable, doc)


GRADED_OBSERVATIONS = TableSchema(
    "graded_observations",
    (
        _c("subject_id", "string", "subject identifier"),
        _c("day", "float64", "study day (given, or computed from time and treatment_start)"),
        _c("parameter", "string", "parameter code as given"),
        _c("value", "float64", "the value as a number (NA for words, censored values, blanks)"),
        _c("value_text", "string", "the cell as given when it is not a plain number"),
        _c("unit", "string", "unit as given"),
        _c("lln", "float64", "lower limit of normal", required=False),
        _c("uln", "float64", "upper limit of normal", required=False),
        _c("specimen", "string", "specimen as given (SDTM LBSPEC)", required=False),
        _c("loinc", "string", "LOINC code as given (SDTM LBLOINC)", required=False),
        _c("term_low", "category", "CTCAE term of the low direction"),
        _c("grade_low", "Int64", "grade of the low direction (NA: not graded)"),
        _c("term_high", "category", "CTCAE term of the high direction"),
        _c("grade_high", "Int64", "grade of the high direction (NA: not graded)"),
        _c("criteria", "category", "grading system id (NA: no criteria for the parameter)"),
        _c("rule_low", "category", "rule id that gave grade_low"),
        _c("rule_high", "category", "rule id that gave grade_high"),
        _c("review", "bool", "the value cannot tell two grades apart", nullable=False),
        _c(
            "censor_limit",
            "float64",
            "limit of a censored result (<0.5: 0.5), in the row's unit",
            required=False,
        ),
        _c("censor_side", "string", "side of a censored result: <, <=, > or >=", required=False),
        _c("reason", "category", "which rule fired, or why the row was not graded (text)"),
        _c("reason_code", "reason_code", "the reason as a code of REASON_CODES", nullable=False),
    ),
    doc="Every input row in input order, with its grades.",
)

ADVERSE_EVENTS = TableSchema(
    "adverse_events",
    (
        _c("subject_id", "string", "subject identifier"),
        _c("term", "string", "CTCAE term (or CRS / ICANS)"),
        _c("criteria", "string", "grading system id"),
        _c("grade", "Int64", "worst grade of the episode (NA: a clinician row not graded)"),
        _c("onset", "float64", "first day of the episode"),
        _c("end", "float64", "last abnormal day of the episode"),
        _c("resolved_day", "float64", "first day back to grade 0"),
        _c("duration", "float64", "end - onset, days"),
        _c("n_observations", "Int64", "observations in the episode"),
        _c("rule", "string", "rule id of the worst grade"),
        _c("source", "string", "derived (from values) or clinician"),
        _c("baseline_grade", "Int64", "grade at baseline"),
        _c("reason", "string", "rule id, or the clinician row's check or problem"),
        _c("time_to_onset", "float64", "days from first treatment to onset"),
        _c("soc", "string", "MedDRA system organ class"),
        _c("meddra_code", "string", "MedDRA code of the term"),
        _c("serious", "string", "clinician event: serious", required=False),
        _c("related", "string", "clinician event: related", required=False),
        _c("coding", "string", "clinician event: ctcae, meddra or uncoded", required=False),
        _c("teae", "string", "clinician event: treatment-emergent (Y/N)", required=False),
    ),
    doc="One row per subject, term, grading system and episode, plus clinician events.",
    ordered=True,
)

_HEMATOLOGY: tuple[tuple[str, Dtype], ...] = (
    *((f"{x}_worst_grade", "Int64") for x in ("neutrophils", "hemoglobin", "platelets")),
    *((f"{x}_worst_grade", "Int64") for x in ("wbc", "lymphocytes")),
    ("icaht_early_grade", "Int64"),
    ("icaht_late_grade", "Int64"),
    ("days_anc_le_500", "Int64"),
    ("days_anc_le_100", "Int64"),
    ("anc_recovery_day", "Int64"),
    ("icaht_early_rule", "string"),
    ("icaht_late_rule", "string"),
    ("icaht_early_reason", "string"),
    ("icaht_late_reason", "string"),
    ("severe_neutropenia_days", "Int64"),
    ("profound_neutropenia_days", "Int64"),
    ("anc_nadir", "float64"),
    ("anc_nadir_day", "Int64"),
    ("febrile_neutropenia_grade", "Int64"),
    ("febrile_neutropenia_onset_day", "float64"),
    ("febrile_neutropenia_reason", "string"),
    ("car_hematotox_score", "Int64"),
    ("car_hematotox_risk", "string"),
    *((f"car_hematotox_points_{x}", "Int64") for x in ("plat", "anc", "hgb", "crp", "ferritin")),
    ("car_hematotox_reason", "string"),
)

SUBJECT_SUMMARY = TableSchema(
    "subject_summary",
    (
        _c("subject_id", "string", "subject identifier", nullable=False),
        _c("arm", "string", "treatment arm", required=False),
        _c("n_observations", "int64", "observations of the subject", nullable=False),
        *(_c(n, d, "hematology (SPEC section 4)", required=False) for n, d in _HEMATOLOGY),
    ),
    patterns=(
        (r" \[[^\]]+\]$", "Int64"),  # '<term> [<system>]': worst post-baseline grade
        (r"^(crs|icans)_grade_", "Int64"),  # worst CRS / ICANS grade per system
        (r"^(il6|crp|ferritin)_(baseline|peak|peak_day|fold_change)$", "float64"),
        (r"^(il6|crp|ferritin)_range$", "string"),
        (r"^il6_peak_pre_tocilizumab(_day)?$", "float64"),  # IL-6 before IL-6R blockade
    ),
    doc="One row per subject: worst grade per term and system, hematology, biomarkers.",
)

ISSUES = TableSchema(
    "issues",
    (
        _c("file", "string", "input file"),
        _c("sheet", "string", "sheet of a workbook"),
        _c("row", "Int64", "spreadsheet row (header = 1) or DataFrame index label (integer)"),
        _c("column", "string", "input column"),
        _c("value", "string", "the cell as given"),
        _c("check", "check_code", "the check that failed (a Reason code)", nullable=False),
        _c("message", "string", "what is wrong", nullable=False),
    ),
    doc="Every input problem, one row each (errors='coerce').",
    ordered=True,
)

ADLB = TableSchema(
    "adlb",
    (
        _c("USUBJID", "string", "subject"),
        _c("PARAMCD", "string", "parameter"),
        _c("AVAL", "float64", "value"),
        _c("AVALU", "string", "unit"),
        _c("ANRLO", "float64", "lower limit of normal"),
        _c("ANRHI", "float64", "upper limit of normal"),
        _c("ADY", "float64", "study day"),
        _c("ABLFL", "string", "baseline record flag (Y)"),
        _c("ATOXDSCL", "string", "low-direction term"),
        _c("ATOXGRL", "string", "low-direction grade as text"),
        _c("ATOXDSCH", "string", "high-direction term"),
        _c("ATOXGRH", "string", "high-direction grade as text"),
        _c("ATOXGR", "Int64", "-4..4, negative = low direction"),
        _c("BTOXGRL", "string", "ATOXGRL at baseline"),
        _c("BTOXGRH", "string", "ATOXGRH at baseline"),
        _c("BTOXGR", "Int64", "ATOXGR at baseline"),
        _c("criteria", "category", "grading system id"),
        _c("reason", "category", "reason text of the graded observation"),
        _c("SRCDOM", "string", "SDTM source domain", required=False),
        _c("SRCSEQ", "Int64", "SDTM source sequence number", required=False),
    ),
    doc="ADaM-style ADLB records (``--cdisc``).",
    ordered=True,
)

ADAE = TableSchema(
    "adae",
    (
        _c("USUBJID", "string", "subject"),
        _c("AEDECOD", "string", "term"),
        _c("AEBODSYS", "string", "system organ class"),
        _c("AEPTCD", "Int64", "MedDRA preferred term code"),
        _c("AETOXGR", "string", "grade as text"),
        _c("ATOXGRN", "Int64", "grade"),
        _c("ATOXSYS", "string", "grading system"),
        _c("ASTDY", "float64", "onset day"),
        _c("AENDY", "float64", "end day"),
        _c("ADURN", "float64", "duration, days"),
        _c("AESER", "string", "serious"),
        _c("AEREL", "string", "related"),
        _c("SRCDOM", "string", "AE (clinician) or ADLB (derived)"),
        _c("reason", "string", "reason of the adverse event"),
        _c("TRTEMFL", "string", "treatment-emergent (Y/N), clinician events", required=False),
        _c("CODING", "string", "ctcae, meddra or uncoded, clinician events", required=False),
    ),
    doc="ADaM-style ADAE rows (``--cdisc``).",
    ordered=True,
)

ADAM_METADATA = TableSchema(
    "adam_metadata",
    tuple(
        _c(n, "string", doc)
        for n, doc in (
            ("dataset", "ADaM dataset"),
            ("variable", "variable"),
            ("where", "where clause"),
            ("scale", "grading scale id"),
            ("description", "grading scale"),
        )
    ),
    doc="The grading scales used (``--cdisc``).",
    ordered=True,
)

#: Every output table's schema by its name.
SCHEMAS: dict[str, TableSchema] = {
    s.name: s
    for s in (
        GRADED_OBSERVATIONS,
        ADVERSE_EVENTS,
        SUBJECT_SUMMARY,
        ISSUES,
        ADLB,
        ADAE,
        ADAM_METADATA,
    )
}


def split_value(value: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The cell as a number and, where it is not a plain number, as text.

    >>> num, text = split_value(pd.Series([36.9, "given", None, "<0.5", "150.000", "7"]))
    >>> num.tolist()
    [36.9, nan, nan, nan, nan, 7.0]
    >>> text.tolist()
    [<NA>, 'given', <NA>, '<0.5', '150.000', <NA>]
    """
    if pd.api.types.is_numeric_dtype(value.dtype) and not pd.api.types.is_bool_dtype(value):
        # a float column as it is (no copy); the text column all Arrow nulls at once, not a
        # million NA cells converted one by one
        import pyarrow as pa  # imported by pandas already (its string arrays)

        empty = pd.array(pa.nulls(len(value), pa.large_string()), dtype="string")
        number = value if value.dtype == np.float64 else value.astype("float64")
        return number, pd.Series(empty, index=value.index, copy=False)
    number = pd.to_numeric(value, errors="coerce").astype("float64")
    # a text cell read as a number is kept as text too unless it is a plain number that no
    # one reads otherwise: "150.000" (refused, ambiguous), "1e3", "inf"
    empty = value.isna().to_numpy(bool)
    raw = value.to_numpy(dtype=object, copy=True)
    shown = value.astype(str).to_numpy(dtype=object, copy=True)
    raw[empty], shown[empty] = None, ""
    is_text = pd.Series((raw == shown).astype(bool) & ~empty, index=value.index)
    spelled = value.astype("string").str.strip()
    plain = spelled.str.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", case=False).fillna(False)
    grouped = spelled.str.fullmatch(r"[+-]?[1-9]\d{0,2}[.,]\d{3}").fillna(False)
    odd = (is_text.to_numpy(bool) & ~(plain & ~grouped).to_numpy(bool)) & number.notna().to_numpy(
        bool
    )
    number[odd] = np.nan
    words = (number.isna() & value.notna()).to_numpy(bool)
    text = pd.Series(pd.NA, index=value.index, dtype="string")
    if words.any():
        text[words] = value[words].astype("string")
    return number, text


def reason_codes(
    graded: pd.DataFrame, levels: tuple[np.ndarray, np.ndarray] | None = None
) -> pd.Categorical:
    """The ``reason_code`` of each graded observation (see :data:`REASON_CODES`).

    ``graded`` when some direction reached grade 1 or more, ``grade_0`` when the row was
    graded and met no criterion; otherwise the code read from the reason text: the input
    problem's :class:`~aegrade.errors.Reason` code, ``no_criteria``, ``missing_value``,
    ``missing_reference_range``, ``missing_baseline``, ``missing_time``, or ``not_graded``.
    Only the distinct reason texts are read, never each row. ``levels``: ``grade_low`` and
    ``grade_high`` as integers with -1 for NA, when the caller has them
    (:func:`~aegrade.grading.labs.lab_levels`), so the columns are not read back.

    >>> frame = pd.DataFrame({"grade_low": pd.array([2, 0, None], dtype="Int64"),
    ...     "grade_high": pd.array([None, None, None], dtype="Int64"),
    ...     "reason": pd.Categorical(["Anemia: grade 2", "Anemia: grade 0",
    ...                               "no criteria in ctcae-v5.0 for this parameter"])})
    >>> list(reason_codes(frame))
    ['graded', 'grade_0', 'no_criteria']
    """
    n = len(graded)
    if levels is None:
        levels = (_as_levels(graded["grade_low"]), _as_levels(graded["grade_high"]))
    worst = np.maximum(*levels)
    reason = pd.Categorical(graded["reason"]) if "reason" in graded else pd.Categorical([None] * n)
    index = {code: k for k, code in enumerate(REASON_CODES)}
    by_text = np.array(
        [index[_code_of(str(t))] for t in reason.categories] + [index["not_graded"]], np.int8
    )
    codes = by_text[reason.codes]  # code -1 (no reason text) takes the last: not_graded
    # graded (worst >= 1) and grade_0 (worst == 0) replace the text's code by arithmetic on
    # 0/1 bytes: a masked assignment branches on each row (10x the time on a million)
    graded_ = (worst >= 1).view(np.int8)
    grade_0 = (worst == 0).view(np.int8)
    codes -= (graded_ | grade_0) * codes
    codes += graded_ * np.int8(index["graded"]) + grade_0 * np.int8(index["grade_0"])
    return pd.Categorical.from_codes(codes, dtype=_REASON_DTYPE)


_TEXT_CODES = (
    ("no criteria in ", Reason.NO_CRITERIA.value),
    ("not graded, value missing", Reason.MISSING_VALUE.value),
    ("reference range (LLN/ULN) missing", Reason.MISSING_REFERENCE_RANGE.value),
    ("baseline missing", Reason.MISSING_BASELINE.value),
    ("day/time missing", "missing_time"),
)


def _as_floats(grades: pd.Series) -> np.ndarray:
    """A grade column as floats (NaN: missing); a nullable integer column read straight from
    its values and mask (``pd.to_numeric`` of a million-row ``Int64`` column costs several
    times more)."""
    if isinstance(grades.array, pd.arrays.IntegerArray):
        out: np.ndarray = grades.array.to_numpy(dtype="float64", na_value=np.nan)
        return out
    return pd.to_numeric(grades, errors="coerce").to_numpy("float64", na_value=np.nan)


def _as_levels(grades: pd.Series) -> np.ndarray:
    """A grade column as numbers whose maximum with another's is the worse grade, a missing
    grade below every grade (as ``np.fmax`` ignores NaN): a nullable integer column as its own
    integers with -1 for missing (no float copy), any other column as floats with -inf."""
    array = grades.array
    if isinstance(array, pd.arrays.IntegerArray):
        kind = np.dtype(str(array.dtype).lower())  # Int8 -> int8
        if kind.kind == "i":
            out: np.ndarray = array.to_numpy(dtype=kind, na_value=-1)
            return out
    floats = _as_floats(grades)
    return np.where(np.isnan(floats), -np.inf, floats)


def _code_of(text: str) -> str:
    """The code of one reason text of an ungraded row (see :func:`reason_codes`)."""
    if text.startswith("not graded: "):
        check = text[len("not graded: ") :].split(" (", 1)[0]
        return check if check in REASON_CODES else "not_graded"
    for needle, code in _TEXT_CODES:
        if needle in text:
            return code
    return "not_graded"


def _cast(s: pd.Series, dtype: Dtype) -> pd.Series:
    if dtype == "string":
        return s if str(s.dtype) == "string" else s.astype("string")
    if dtype in ("Int64", "int64"):
        if str(s.dtype) == dtype:
            return s
        if pd.api.types.is_integer_dtype(s.dtype):  # whole numbers already: no fraction test
            return s.astype(dtype)
        number = pd.to_numeric(s, errors="coerce")
        return number.where(number % 1 == 0).astype(dtype)  # a fraction is no row: NA
    if dtype == "float64":
        if s.dtype == "float64":
            return s
        return pd.to_numeric(s, errors="coerce").astype("float64")
    if dtype == "bool":
        return s if s.dtype == bool else s.fillna(False).astype(bool)
    if dtype == "reason_code":
        return s.astype(_REASON_DTYPE)
    if dtype == "check_code":
        return s.astype(_CHECK_DTYPE)
    if isinstance(s.dtype, pd.CategoricalDtype):
        if s.cat.categories.dtype == object or str(s.cat.categories.dtype) == "str":
            return s.cat.rename_categories(list(s.cat.categories.astype("string")))
        return s
    return s.astype("string").astype("category")


def _stable(s: pd.Series) -> pd.Series:
    """An unlisted column: mixed objects and ``str`` become ``string``; the rest stays."""
    if s.dtype == object or str(s.dtype) == "str":
        return s.astype("string")
    return s


def _empty(dtype: Dtype, index: pd.Index) -> pd.Series:
    if dtype == "category":
        empty = pd.Index([], dtype="string")
        return pd.Series(pd.Categorical([None] * len(index), categories=empty), index=index)
    if dtype in ("reason_code", "check_code"):
        fixed = _REASON_DTYPE if dtype == "reason_code" else _CHECK_DTYPE
        return pd.Series(pd.Categorical([None] * len(index), dtype=fixed), index=index)
    if dtype == "bool":
        return pd.Series(False, index=index, dtype=bool)
    return pd.Series(pd.NA if dtype in ("string", "Int64") else np.nan, index=index, dtype=dtype)


def conform(frame: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """``frame`` with the columns and dtypes of ``schema``.

    Listed columns get their dtype (a required column missing from ``frame`` is added, all
    NA, after the listed column before it); columns matching a pattern get the pattern's
    dtype; other columns keep their values with a stable dtype (object and ``str`` ->
    ``string``). The input frame is not changed.

    Parameters
    ----------
    frame
        An output table.
    schema
        Its schema, e.g. :data:`ADVERSE_EVENTS`.

    Returns
    -------
    pandas.DataFrame
        A new frame, same rows and row order.

    Examples
    --------
    >>> out = conform(pd.DataFrame({"file": ["a.csv"], "row": [3], "check": ["unknown_unit"],
    ...                             "message": ["unit 'xx' unknown"]}), ISSUES)
    >>> list(out.columns) == list(ISSUES.names), str(out["row"].dtype)
    (True, 'Int64')
    """
    out = frame.copy(deep=False)  # columns are replaced, never changed in place
    for name in frame.columns:
        dtype = schema.dtype_of(str(name))
        column = frame[name]
        fixed = _stable(column) if dtype is None else _cast(column, dtype)
        if fixed is not column:
            out[name] = fixed
    for k, col in enumerate(schema.columns):
        if col.required and col.name not in out:
            before = [c.name for c in schema.columns[:k] if c.name in out]
            at = list(out.columns).index(before[-1]) + 1 if before else len(out.columns)
            out.insert(at, col.name, _empty(col.dtype, frame.index))
    if schema.ordered:
        listed = [n for n in schema.names if n in out]
        names = [*listed, *(n for n in out.columns if n not in set(listed))]
        if names != list(out.columns):
            out = out[names]
    return out


def arrow_schema(frame: pd.DataFrame) -> pa.Schema:
    """The Arrow schema a frame is written to Parquet with: categoricals as
    ``dictionary<int32, string>`` whatever their number of categories, text as
    ``large_string``, so two runs give the same schema.

    >>> str(arrow_schema(pd.DataFrame({"t": pd.Categorical(["a"])})).field("t").type)
    'dictionary<values=string, indices=int32, ordered=0>'
    """
    base = pa.Schema.from_pandas(frame, preserve_index=False)
    fields = []
    for f in base:
        t = f.type
        if pa.types.is_dictionary(t):
            values = t.value_type
            if pa.types.is_string(values) or pa.types.is_large_string(values):
                values = pa.string()  # what Parquet gives back for a dictionary of text
            t = pa.dictionary(pa.int32(), values)
        elif pa.types.is_string(t) or pa.types.is_null(t):
            t = pa.large_string()
        fields.append(pa.field(f.name, t, nullable=True))
    return pa.schema(fields, metadata=base.metadata)
