"""Clinician events checked against the CTCAE dictionary of the study's version.

A CTCAE term (or its MedDRA code) is checked in full: the term must be in the dictionary and
the grade one the term has. A MedDRA-coded event whose preferred term is not a CTCAE term
(AEDECOD "Pneumonia", "Pyrexia", the norm in trials) is accepted when the row shows it is
MedDRA-coded (a ``soc`` (AEBODSYS) or ``meddra_code`` (AEPTCD) is given) and carries a whole
grade 1-5: it is checked for its grade range only, keeps its own SOC and code, and is marked
``coding = "meddra"`` (CTCAE terms ``"ctcae"``, an empty term ``"uncoded"``). Without a SOC or
a code there is no telling a MedDRA term from a misspelt CTCAE term, so such a row stays an
unknown term with its closest CTCAE matches.

A CTCAE term keeps a given SOC that is a system organ class (AEBODSYS: a PT coded under a
secondary SOC is filed there), else takes CTCAE's.

An empty term (AEDECOD not yet coded) and a blank grade (AETOXGR not yet entered) are not input
errors: the AE tables count such a record under 'No coding available' and in their
grade-independent rows and columns (issue 14 point 1, as the NEST AET02/AET04 tables do). An
uncoded event's grade, when given, must be 1-5.

Each event is marked treatment-emergent or not in ``teae`` (``"Y"``/``"N"``): the given flag
(SDTM/ADaM ``TRTEMFL``) where there is one, else ``"N"`` for an onset before treatment start
(study day < 0) and ``"Y"`` from day 0 on.

The onset and end days are checked: a day that is not finite or lies beyond
:data:`MAX_STUDY_DAYS` from treatment start is an implausible value naming the cell, and an end
before the onset is ``end_before_onset`` naming the row (under ``errors="coerce"`` the event
keeps its grade and has no duration).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aegrade.criteria import load_dictionary
from aegrade.dates import MAX_STUDY_DAYS
from aegrade.errors import Failures, Reason, close_matches_hint
from aegrade.prepare.subjects import missing_columns, table_failures
from aegrade.study import Table

__all__ = ["MAX_STUDY_DAYS", "validate_events"]


#: Words of a treatment-emergent flag (TRTEMFL is "Y" or empty in ADaM; yes/no and true/false
#: as sites write them).
_FLAG_WORDS = {"y": "Y", "yes": "Y", "true": "Y", "1": "Y", "n": "N", "no": "N", "false": "N"}
_FLAG_WORDS["0"] = "N"

#: A clinician ICANS grade (ASTCT 2019, Lee et al. 2019: grades 1-4, 5 = death due to ICANS):
#: no CTCAE version has the term, so it is accepted by name (or "ICANS") with a grade 1-5 and
#: marked ``coding = "astct"``.
ICANS_EVENT_TERM = "Immune effector cell-associated neurotoxicity syndrome"


def _grades_of(dictionary: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """For each row's dictionary term, the grades CTCAE gives it, e.g. '3, 4, 5'."""
    cells = dictionary[[f"grade{k}" for k in range(1, 6)]].to_numpy(dtype=object)[rows]
    return [", ".join(str(k + 1) for k in range(5) if c[k] != "-") for c in cells]


def _given(df: pd.DataFrame, name: str) -> pd.Series:
    """A text column of the events as given (trimmed, empty -> missing; all missing if absent)."""
    if name not in df:
        return pd.Series(pd.NA, index=df.index, dtype="string")
    text = df[name].astype("string").str.strip()
    return text.mask(text == "")


def _shown(grades: pd.Series) -> list[str]:
    return [
        f"{gv:g}" if isinstance(gv, float) and gv == gv else str(gv)
        for gv in grades.to_numpy(dtype=object)
    ]


def validate_events(table: Table, criteria: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check clinician events against the CTCAE dictionary of ``criteria``.

    Returns the events with the NCI term name, MedDRA code, SOC, ``coding`` and ``teae`` filled
    in, and the problems: an unknown term (with close matches), a grade the term does not have
    in that version (a MedDRA-coded term: a grade outside 1-5), an implausible onset or end
    day, an end before the onset.

    Parameters
    ----------
    table
        The events table (``subject_id``, ``term``, ``grade``; optional ``onset``, ``end``,
        ``soc``, ``meddra_code``, ``teae``).
    criteria
        A CTCAE criteria id, e.g. ``"ctcae-v5.0"``.

    Returns
    -------
    tuple of pandas.DataFrame
        The checked events and the failure table.

    Examples
    --------
    >>> import pandas as pd
    >>> from aegrade.study import Table
    >>> events = Table(pd.DataFrame({"subject_id": ["01", "02", "03"],
    ...                              "term": ["Nausea", "Nausia", "Pneumonia"],
    ...                              "soc": [None, None, "Infections and infestations"],
    ...                              "grade": [2, 1, 3], "onset": [4.0, 2.0, -3.0]}))
    >>> checked, problems = validate_events(events, "ctcae-v5.0")
    >>> checked[["coding", "teae"]].values.tolist()
    [['ctcae', 'Y'], [nan, 'Y'], ['meddra', 'N']]
    >>> checked.loc[2, "soc"]
    'Infections and infestations'
    >>> problems["message"].tolist()
    ["'Nausia' is not a ctcae-v5.0 term; did you mean 'Nausea'?"]
    """
    head = missing_columns(table, ("subject_id", "term", "grade"), "events")
    if len(head):
        return table.frame, head.frame()
    dictionary = load_dictionary(criteria)
    df = table.frame.copy()
    by_term = {t.lower(): i for i, t in enumerate(dictionary["term"])}
    by_code = {c: i for i, c in enumerate(dictionary["meddra_code"])}
    raw = df["term"].astype("string").str.strip()
    raw = raw.mask(raw == "")
    key = raw.str.lower()
    pos = key.map(by_term)
    pos = pos.fillna(raw.str.replace(r"\.0$", "", regex=True).map(by_code))
    present = raw.notna().to_numpy(bool)
    not_ctcae = pos.isna().to_numpy(bool) & present
    grade = pd.to_numeric(df["grade"], errors="coerce")
    g = grade.to_numpy(float)
    whole = np.isin(g, [1.0, 2.0, 3.0, 4.0, 5.0])
    # A blank grade (AETOXGR not yet entered) is an ungraded AE, not an input error: the tables
    # count it in their grade-independent rows and columns (issue 14 point 1).
    blank = _given(df, "grade").isna().to_numpy(bool)
    soc_given = _given(df, "soc")
    code_given = _given(df, "meddra_code").str.replace(r"\.0$", "", regex=True)
    coded = (soc_given.notna() | code_given.notna()).to_numpy(bool)
    icans = not_ctcae & key.isin([ICANS_EVENT_TERM.lower(), "icans"]).to_numpy(bool) & whole
    not_ctcae &= ~icans
    meddra = not_ctcae & coded & (whole | blank)
    unknown = not_ctcae & ~meddra
    terms = list(dictionary["term"])
    messages = np.full(len(df), None, dtype=object)
    shown = _shown(df["grade"]) if unknown.any() else []
    for i in np.flatnonzero(unknown):  # only the failing rows: suggestions need fuzzy matching
        hint = close_matches_hint(str(raw.iloc[i]), terms)
        messages[i] = f"{raw.iloc[i]!r} is not a {criteria} term{hint}"
        if coded[i]:
            messages[i] += f"; as a MedDRA-coded event it needs a grade 1-5, not {shown[i]!r}"
    found = table_failures(table)
    found.add_rows(unknown, Reason.UNKNOWN_TERM, messages, column="term")
    # An empty term (AEDECOD not yet coded) is an uncoded AE, counted under the tables'
    # 'No coding available' row; only its grade is checked (1-5 or blank).
    found.add_rows(
        ~present & ~(whole | blank),
        Reason.INVALID_GRADE,
        "an uncoded event (empty term) takes a grade 1-5 or none",
        column="grade",
    )
    known = ~not_ctcae & ~icans & present
    rows = pos.fillna(0).astype(int).to_numpy()
    allowed = np.zeros(len(df), bool)
    for k in range(1, 6):
        cells = dictionary[f"grade{k}"].to_numpy(dtype=object)[rows]
        allowed |= (g == k) & (cells != "-")
    bad_grade = known & ~allowed & ~blank
    if bad_grade.any():
        gmsg = np.array(
            [
                f"grade {gv} is not a grade of {term!r} in {criteria} (its grades: {grades})"
                for gv, term, grades in zip(
                    _shown(df["grade"]), df["term"], _grades_of(dictionary, rows), strict=True
                )
            ],
            dtype=object,
        )
        found.add_rows(bad_grade, Reason.INVALID_GRADE, gmsg, column="grade")
    column = {c: dictionary[c].to_numpy(dtype=object)[rows] for c in ("term", "meddra_code")}
    df["term"] = np.where(
        known, column["term"], np.where(icans, ICANS_EVENT_TERM, raw.to_numpy(dtype=object))
    )
    none = np.full(len(df), None, dtype=object)
    own_code = code_given.astype(object).where(code_given.notna(), None).to_numpy(dtype=object)
    own_soc = soc_given.astype(object).where(soc_given.notna(), None).to_numpy(dtype=object)
    df["meddra_code"] = np.where(known, column["meddra_code"], np.where(meddra, own_code, none))
    # The record's own SOC (AEBODSYS) where it is one: a CTCAE term keeps a given SOC that is
    # a system organ class name (a MedDRA PT may sit under a secondary SOC, and the tables file
    # each record under its own), else takes CTCAE's; MedDRA and uncoded events keep theirs.
    soc_names = set(dictionary["soc"].astype(str).str.lower())
    a_soc = soc_given.str.lower().isin(soc_names).fillna(False).to_numpy(bool)
    df["soc"] = np.where(
        known & ~a_soc,
        dictionary["soc"].to_numpy(dtype=object)[rows],
        np.where(meddra | ~present | (known & a_soc), own_soc, none),
    )
    df["coding"] = np.where(
        known,
        "ctcae",
        np.where(meddra, "meddra", np.where(icans, "astct", np.where(present, none, "uncoded"))),
    )
    _check_days(df, found)
    df["teae"] = _teae(df)
    df.attrs["row_labels"] = table.labels()
    return df, found.frame()


def _check_days(df: pd.DataFrame, found: Failures) -> None:
    """Implausible onset/end days (named by cell) and an end before the onset (named by row);
    the checked frame keeps a finite, plausible day only, and no end before its onset."""
    days = {}
    for col in ("onset", "end"):
        if col not in df:
            continue
        day = pd.to_numeric(df[col], errors="coerce").to_numpy(float)
        with np.errstate(invalid="ignore"):
            wild = np.isinf(day) | (np.abs(day) > MAX_STUDY_DAYS)
        found.add_rows(
            wild,
            Reason.IMPLAUSIBLE,
            f"{col} is not a plausible study day (more than {MAX_STUDY_DAYS:g} days, 100 years, "
            "from treatment start)",
            column=col,
        )
        day = np.where(wild, np.nan, day)
        df[col] = day
        days[col] = day
    if len(days) == 2:
        backwards = days["end"] < days["onset"]
        found.add_rows(
            backwards,
            Reason.END_BEFORE_ONSET,
            "end is before onset: the event's duration cannot be computed",
            column="end",
        )
        df["end"] = np.where(backwards, np.nan, days["end"])


def _teae(df: pd.DataFrame) -> pd.Series:
    """``"Y"``/``"N"``: the given flag where there is one, else from the onset (day < 0: N)."""
    given = _given(df, "teae").str.lower().map(_FLAG_WORDS)
    if "onset" in df:
        onset = pd.to_numeric(df["onset"], errors="coerce")
        derived = pd.Series(
            np.select([onset < 0, onset >= 0], ["N", "Y"], default=""), index=df.index
        )
        given = given.where(given.notna(), derived.mask(derived == ""))
    return given.astype(object).where(given.notna(), None)
