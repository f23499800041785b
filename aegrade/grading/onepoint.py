"""One CRS or ICANS time point in plain Python: the bedside scorers' instant path.

``aegrade crs --temp 39 ...`` and ``aegrade icans --ice 5 ...`` grade one time point from a
nurse's findings. Going through the whole-study engines (:func:`~aegrade.grading.crs.
grade_crs`, :func:`~aegrade.grading.icans.grade_icans`) costs pandas, numpy and pydantic, half
a second before the first line is printed (issue 15 point 5). :func:`crs_one_time_point` and
:func:`icans_one_time_point` give the same grade and the same audit text for one time point,
with every number and word read from the packaged criteria files
(:func:`~aegrade.criteria.plain.plain_criteria`), and nothing else imported.

They answer only what they are sure of: a finding they do not recognise exactly (an unknown
word, a unit other than ``degC``/``degF``, a value outside what is physiologically possible,
a number where a word belongs, an unknown system) gives ``None``, and the caller
(:mod:`aegrade.grading.bedside`) grades the time point with the whole engine, which reports the
problem as it always has. ``tests/grading/test_onepoint.py`` checks, on generated time points
for every system, that this path and the engine agree on grade, criteria and text.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec

from aegrade.criteria.plain import crs_file_id, plain_criteria, plain_parameters

__all__ = ["TimepointGrade", "crs_one_time_point", "icans_one_time_point", "review_note"]

#: The file whose vocabulary, devices and ICANS domains every CRS/ICANS file uses (as
#: :data:`aegrade.criteria.vocabulary.VOCABULARY_SOURCE`).
_WORDS_FROM = "astct-2019"
_WORD = re.compile(r"[\s\-/]+")
_DAY = "0"  # a bedside time point is day 0


_P = ParamSpec("_P")


@dataclass(frozen=True)
class TimepointGrade:
    """Grade of one time point and the audit text that explains it."""

    grade: int
    criteria: str
    text: str


def _declines_on_error(
    func: Callable[_P, TimepointGrade | None],
) -> Callable[_P, TimepointGrade | None]:
    """None (the engine decides, and reports what it finds) also where the plain path meets
    something it was not written for, rather than an error of its own."""

    @functools.wraps(func)
    def plain(*args: _P.args, **kwargs: _P.kwargs) -> TimepointGrade | None:
        try:
            return func(*args, **kwargs)
        except Exception:  # not written for it: the engine answers instead
            return None

    return plain


def _fmt(x: float) -> str:
    """A number as the engines print it (``fmt_numbers``: rounded to 3 decimals as numpy
    rounds, then ``:g``); NaN as ''."""
    if math.isnan(x):
        return ""
    y = x * 1000.0  # numpy: multiply, rint (half to even, as round), divide
    if math.isfinite(y):
        y = float(round(y))
    return f"{y / 1000.0 + 0.0:g}"


def _word(value: object) -> str | None:
    """A finding word folded as :func:`~aegrade.criteria.vocabulary.read_values` folds it
    (aliases applied); None for anything that is not plainly a word."""
    if not isinstance(value, str):
        return None
    try:
        float(value)
    except ValueError:
        pass
    else:
        return None  # a number where a word belongs: the engine says so
    folded = _WORD.sub("_", value.strip().lower())
    aliases: Mapping[str, str] = _vocabulary()["aliases"]
    return aliases.get(folded, folded)


def _vocabulary() -> dict[str, Any]:
    vocab: dict[str, Any] = plain_criteria(_WORDS_FROM)["vocabulary"]
    return vocab


def _vital(code: str, value: object, unit: str) -> float | None:
    """A vital sign in its canonical unit, or None when the engine would refuse or convert it
    otherwise (not a finite number, a unit other than the canonical one or its listed
    conversions, outside the plausible limits)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    x = float(value)
    if not math.isfinite(x):
        return None
    spec = plain_parameters()[code]
    if unit != spec["unit"]:
        how = (spec.get("convert") or {}).get(unit)
        if how is None or "affine" not in how:
            return None
        scale, offset = how["affine"]
        x = (x + float(offset)) * float(scale)
    lo, hi = spec["limits"]
    return x if lo <= x <= hi else None


def _flow(flow: object) -> tuple[bool, float | None]:
    """Whether the engine reads the flow as given, and the flow in L/min (None: not given)."""
    if flow is None:
        return True, None
    if isinstance(flow, bool) or not isinstance(flow, int | float):
        return False, None
    x = float(flow)
    return math.isfinite(x) and x >= 0, x


@dataclass
class _Row:
    """One finding of the time point, with what the CRS engine derives per row."""

    code: str
    hox: int = 0  # hypoxia tier
    lower: int = 0  # the tier when FiO2 decides
    desc: str | None = None
    mask: bool = False  # the tier is the worse reading of a mask without FiO2
    fio2: bool = False


def _device_row(dev: Mapping[str, Any], flow: float | None) -> _Row:
    """A device's tiers, as ``_hypoxia_rows`` of the CRS engine derives them."""
    grade = int(dev["grade"])
    g = grade
    txt = "" if flow is None else f" {_fmt(flow)} L/min"
    if dev.get("flow_le") is not None and dev.get("grade_above_flow") is not None:
        missing = grade if dev.get("grade_missing_flow") is None else int(dev["grade_missing_flow"])
        limit = f"{_fmt(float(dev['flow_le']))} L/min"
        if flow is None:
            g = missing
            txt = (
                f" (flow not recorded, read as <= {limit})"
                if missing <= grade
                else f" (flow not recorded, read as > {limit} from the device name)"
            )
        else:
            g = grade if flow <= float(dev["flow_le"]) else int(dev["grade_above_flow"])
            if g < missing:
                txt += f" (<= {limit}: low flow, the flow decides)"
    mask = False
    if dev.get("grade_without_fio2") is not None:
        mask = g < int(dev["grade_without_fio2"])
        g = max(g, int(dev["grade_without_fio2"]))
    lower = min(g, grade) if dev.get("fio2_decides") else g
    return _Row("OXYGEN", hox=g, lower=lower, desc=str(dev["label"]) + txt, mask=mask)


def _fio2_row(x: float, tiers: Sequence[Mapping[str, Any]]) -> _Row:
    tier = 0
    for t in reversed(tiers):  # least severe first, so the most severe wins
        hit = x >= float(t["ge"]) if t.get("ge") is not None else x > float(t["gt"])
        if hit:
            tier = max(tier, int(t["grade"]))
    return _Row("FIO2", hox=tier, lower=tier, desc=f"FiO2 {_fmt(x)}%", fio2=True)


def _best(rows: list[_Row], score: Any, mask: Any) -> tuple[int, int]:
    """The highest ``score`` among the ``mask`` rows and the row giving it (ties: the later
    row, as the engine's stable sort), or (0, -1)."""
    best, at = 0, -1
    for i, r in enumerate(rows):
        if mask(r) and (at < 0 or score(r) >= best):
            best, at = score(r), i
    return best, at


def review_note(fio2: Sequence[Mapping[str, Any]], ambiguous: str, mask: bool) -> str:
    """Why a device without FiO2 was graded as it was: a high-flow delivery cannot show FiO2
    below the file's top FiO2 tier; a ``mask`` (``grade_without_fio2``: simple facemask,
    Venturi) may deliver FiO2 on either side of it. The CRS engine words it the same way.

    Parameters
    ----------
    fio2
        The file's ``crs.hypoxia.fio2`` tiers, most severe first (``ge`` or ``gt``, ``grade``).
    ambiguous
        ``"worse"`` or ``"lower"``: the grade taken.
    mask
        The worse reading is a mask's.

    Examples
    --------
    >>> review_note([{"ge": 40, "grade": 3}], "lower", mask=True)
    ' (no FiO2 charted: read as below 40%, option ambiguous=lower; clinical review)'
    """
    top = fio2[0] if fio2 else None
    at = "" if top is None else f"{top['ge'] if top.get('ge') is not None else top['gt']:g}%"
    sign = ">=" if top is not None and top.get("ge") is not None else ">"
    if ambiguous == "worse" and mask:
        return (
            f" (no FiO2 charted: this mask may deliver FiO2 {sign} {at} or below it, read as "
            f"{sign} {at}; clinical review)"
        )
    if ambiguous == "worse":
        return (
            f" (no FiO2 charted: this delivery cannot show FiO2 below {at}, read as {sign} {at}; "
            "clinical review)"
        )
    return f" (no FiO2 charted: read as below {at}, option ambiguous=lower; clinical review)"


@dataclass
class _Point:
    """The findings of one CRS time point, read and checked as the engine reads them."""

    rows: list[_Row]
    temp_c: float | None  # degC
    agents: set[str]  # vasopressor agents running
    hypotension: bool
    sys_low: bool  # SYSBP below the threshold
    sys_mmhg: float
    thr: float


def _crs_point(
    hx: Mapping[str, Any],
    temp: object,
    temp_unit: object,
    pressors: object,
    oxygen: object,
    flow: object,
    fio2: object,
    hypotension: object,
    sysbp: object,
    thr: object,
) -> _Point | None:
    """The rows ``grade_crs_timepoint`` would chart, or None when the engine must decide."""
    vocab = _vocabulary()
    if isinstance(thr, bool) or not isinstance(thr, int | float) or math.isnan(thr):
        return None
    vitals = {
        "TEMP": (temp, str(temp_unit)),
        "FIO2": (fio2, "%"),
        "SYSBP": (sysbp, "mmHg"),
    }
    read_or_none = {k: _vital(k, v, u) for k, (v, u) in vitals.items() if v is not None}
    words = _pressor_words(pressors)
    device = _device(hx, oxygen, flow) if oxygen is not None else _Row("none")
    if None in read_or_none.values() or words is None or device is None:
        return None
    read = {k: float(v) for k, v in read_or_none.items() if v is not None}
    if not isinstance(hypotension, bool):
        return None
    rows = [_Row("TEMP")] if "TEMP" in read else []
    rows += [_Row("VASOPRESSOR") for _ in words]
    rows += [device] if oxygen is not None else []
    if "FIO2" in read:
        rows.append(_fio2_row(read["FIO2"], hx.get("fio2") or []))
    rows += [_Row("HYPOTENSION")] if hypotension else []
    rows += [_Row("SYSBP")] if "SYSBP" in read else []
    sys_mmhg = read.get("SYSBP", math.nan)
    sys_low = float(thr) > 0 and sys_mmhg < float(thr)
    agents = set(words) & set(vocab["vasopressors"])
    return _Point(rows, read.get("TEMP"), agents, hypotension, sys_low, sys_mmhg, float(thr))


def _pressor_words(pressors: object) -> list[str] | None:
    """The folded agents given (words the engine accepts), or None."""
    if isinstance(pressors, str) or not isinstance(pressors, Sequence):
        return None
    vocab = _vocabulary()
    allowed = {*vocab["vasopressors"], *vocab["not_vasopressors"], *vocab["false_words"]}
    words = [_word(p) for p in pressors]
    if any(w is None or w not in allowed for w in words):
        return None
    return [w for w in words if w is not None]


def _device(hx: Mapping[str, Any], oxygen: object, flow: object) -> _Row | None:
    """The oxygen device's row, or None when the engine would refuse the word or the flow."""
    w, (ok, f) = _word(oxygen), _flow(flow)
    if not ok or w is None or w not in plain_criteria(_WORDS_FROM)["crs"]["hypoxia"]["devices"]:
        return None
    dev = hx["devices"].get(w)
    return _device_row(dev, f) if dev is not None else _Row("OXYGEN")


def _hypotension_tier(h: Mapping[str, Any], pt: _Point) -> tuple[int, int, int]:
    """Tier, agents running and agents counted toward 'multiple' (``_tp_tiers``)."""
    n_all = len(pt.agents)
    n_counted = len(pt.agents - set(h.get("not_counted_toward_multiple") or ()))
    if n_counted >= int(h["multiple_means_at_least"]):
        return int(h["multiple_vasopressors"]), n_all, n_counted
    if n_all >= 1:
        return int(h["one_vasopressor"]), n_all, n_counted
    if pt.hypotension or pt.sys_low:
        return int(h["no_vasopressor"]), n_all, n_counted
    return 0, n_all, n_counted


def _hypoxia_tier(rows: list[_Row], ambiguous: str) -> tuple[int, int, bool, bool]:
    """Tier, the row giving it, review, and whether the worse reading is a mask's
    (``_hypoxia_tier`` of the engine)."""
    worse, worse_row = _best(rows, lambda r: r.hox, lambda r: r.hox > 0)
    best, lower_row = _best(
        rows, lambda r: r.lower * 2 + int(r.fio2), lambda r: r.hox > 0 or r.fio2
    )
    lower = best // 2
    review = worse > lower and not any(r.fio2 for r in rows)
    mask = review and worse_row >= 0 and rows[worse_row].mask
    if review and ambiguous == "worse":
        return worse, worse_row, review, mask
    return lower, lower_row, review, mask


def _hypotension_text(h: Mapping[str, Any], pt: _Point, n_all: int, n_counted: int) -> str:
    """As the hypotension part of ``_component_texts``."""
    if n_all == 0:
        if pt.sys_low:
            return (
                f"SYSBP {_fmt(pt.sys_mmhg)} mmHg (below the {_fmt(pt.thr)} mmHg "
                "sysbp_threshold option), no vasopressor"
            )
        return "hypotension, no vasopressor"
    if n_counted >= int(h["multiple_means_at_least"]):
        n_txt = f" ({_fmt(n_counted)} vasopressors counted)"
    elif n_counted == 0:
        n_txt = " (alone: read as one vasopressor)"
    elif n_all > n_counted:
        n_txt = " (vasopressin not counted toward two or more)"
    else:
        n_txt = ""
    # no dose at the bedside: a high-dose rule (Lee 2014) reads the agent as low dose
    dose = ", dose not recorded: read as low dose" if h.get("high_dose") is not None else ""
    return " + ".join(sorted(pt.agents)) + n_txt + dose


@_declines_on_error
def crs_one_time_point(
    *,
    temp: float | None = None,
    temp_unit: str = "degC",
    pressors: Sequence[str] = (),
    oxygen: str | None = None,
    flow: float | None = None,
    fio2: float | None = None,
    hypotension: bool = False,
    sysbp: float | None = None,
    episode_ongoing: bool = False,
    criteria: str = "astct-2019",
    sysbp_threshold: float | None = None,
    ambiguous: str = "worse",
) -> TimepointGrade | None:
    """CRS grade of one time point in plain Python, or None when the whole engine must decide.

    Same arguments and result as :func:`~aegrade.grading.bedside.grade_crs_timepoint`, which
    calls it first.

    Examples
    --------
    >>> crs_one_time_point(temp=38.5, oxygen="nasal_cannula", flow=8).grade
    3
    >>> crs_one_time_point(temp=38.5, oxygen="ventilator?") is None  # the engine says why
    True
    """
    cid = crs_file_id(criteria) if isinstance(criteria, str) else None
    if cid is None or ambiguous not in ("worse", "lower") or not isinstance(episode_ongoing, bool):
        return None
    file = plain_criteria(cid)
    r = file["crs"]
    h, hx = r["hypotension"], r["hypoxia"]
    out_id = str(file.get("grades_as") or file["id"])
    thr = h["default_sysbp_below"] if sysbp_threshold is None else sysbp_threshold
    pt = _crs_point(hx, temp, temp_unit, pressors, oxygen, flow, fio2, hypotension, sysbp, thr)
    if pt is None:
        return None
    if not pt.rows:
        return TimepointGrade(0, "", "no CRS finding given")
    fever = pt.temp_c is not None and pt.temp_c >= float(r["onset"]["fever_ge_celsius"])
    hyp, n_all, n_counted = _hypotension_tier(h, pt)
    hox, hox_row, review, mask = _hypoxia_tier(pt.rows, ambiguous)
    signal = fever or hyp > 0 or hox > 0
    inside = fever or (episode_ongoing and signal)
    grade = max(int(r["floor_grade"]["grade"]), hyp, hox) if inside else 0
    if not signal and not inside:
        return TimepointGrade(0, out_id, f"grade 0: no CRS finding at this time point ({out_id})")
    hyp_txt = _hypotension_text(h, pt, n_all, n_counted)
    hox_txt = (pt.rows[hox_row].desc or "") if hox_row >= 0 else ""
    if review:
        hox_txt += review_note(hx.get("fio2") or [], ambiguous, mask)
    if not inside:
        what = hyp_txt if hyp >= hox else hox_txt
        return TimepointGrade(
            0,
            out_id,
            f"not CRS: {what} at day {_DAY} outside any CRS episode (no fever before it, {out_id})",
        )
    return TimepointGrade(
        grade,
        out_id,
        _in_episode_text(r, pt, fever, grade, hyp, hox, hyp_txt, hox_txt, episode_ongoing, out_id),
    )


def _in_episode_text(
    r: Mapping[str, Any],
    pt: _Point,
    fever: bool,
    grade: int,
    hyp: int,
    hox: int,
    hyp_txt: str,
    hox_txt: str,
    episode_ongoing: bool,
    out_id: str,
) -> str:
    """The audit text of a time point in an episode (``_trace``)."""
    g = _fmt(grade)
    cause = 0  # 0 floor, 1 hypotension, 2 hypoxia: on ties hypotension names the grade
    if hox > 0 and hox == grade:
        cause = 2
    if hyp > 0 and hyp == grade:
        cause = 1
    settled = cause == 0 and not fever
    fever_txt = f"temperature {_fmt(pt.temp_c if pt.temp_c is not None else math.nan)} degC"
    floor_txt = fever_txt if fever else "no fever, hypotension or hypoxia"
    finding = {1: hyp_txt, 2: hox_txt}.get(cause, floor_txt)
    names = {1: "hypotension", 2: "hypoxia"}
    tier = ("episode active" if settled else "fever") if cause == 0 else f"{names[cause]} tier {g}"
    suffix = (
        "; fever settled (no antipyretic, tocilizumab or corticosteroid recorded)"
        if settled
        else ""
    )
    at = _fmt(float(r["onset"]["fever_ge_celsius"]))
    onset = "" if episode_ongoing else f"; episode onset (fever >= {at} degC)"
    return f"grade {g}: {finding} at day {_DAY}{suffix} ({tier}, {out_id}){onset}"


def _score(value: object, limits: Sequence[float]) -> float | str | None:
    """An ICE or CAPD total: a number within its limits, 'unable', else None (the engine
    decides)."""
    if isinstance(value, str):
        return "unable" if _WORD.sub("_", value.strip().lower()) == "unable" else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    x = float(value)
    return x if float(limits[0]) <= x <= float(limits[1]) else None


def _score_domains(
    ic: Mapping[str, Any],
    scores: Mapping[str, float | str | None],
    age: float,
    cutoff: float,
    dom: dict[str, int],
    desc: dict[str, str],
) -> None:
    """ICE (age >= cutoff or unknown) and CAPD (below it or unknown) grades and texts."""
    ice_v = scores["ICE"]
    if ice_v is not None and not age < cutoff:  # unknown age: whichever tool was recorded
        total = float(ic["ice"]["unable_score"]) if ice_v == "unable" else float(ice_v)
        dom["ICE"], desc["ICE"] = _band(total, ic["ice"]["bands"]), f"ICE {_fmt(total)}"
    capd_v = scores["CAPD"]
    if capd_v is not None and not age >= cutoff:
        if capd_v == "unable":
            dom["CAPD"], desc["CAPD"] = int(ic["capd"]["unable_grade"]), "CAPD unable"
        else:
            dom["CAPD"] = _band(float(capd_v), ic["capd"]["bands"])
            desc["CAPD"] = f"CAPD {_fmt(float(capd_v))}"


def _band(x: float, bands: Sequence[Mapping[str, Any]]) -> int:
    g = 0
    for b in bands:
        if float(b["min"]) <= x <= float(b["max"]):
            g = int(b["grade"])
    return g


@_declines_on_error
def icans_one_time_point(
    *,
    ice: float | str | None = None,
    capd: float | str | None = None,
    loc: str | None = None,
    seizure: str | None = None,
    motor: str | None = None,
    icp: str | None = None,
    age: float | None = None,
    capd_age_cutoff: float | None = None,
) -> TimepointGrade | None:
    """ICANS grade (ASTCT 2019) of one time point in plain Python, or None when the whole
    engine must decide.

    Same arguments and result as :func:`~aegrade.grading.bedside.grade_icans_timepoint`,
    which calls it first.

    Examples
    --------
    >>> icans_one_time_point(ice=5, loc="awakens_to_voice").text
    'grade 2: ICE 5 at day 0 (ICE domain, astct-2019); episode onset'
    """
    file = plain_criteria(_WORDS_FROM)
    ic = file["icans"]
    cid = str(file["id"])
    cutoff = ic["default_age_cutoff"] if capd_age_cutoff is None else capd_age_cutoff
    for x in (age, cutoff):
        if x is not None and (isinstance(x, bool) or not isinstance(x, int | float)):
            return None
    age_f = math.nan if age is None else float(age)
    cutoff_f = float(cutoff)
    limits = plain_parameters()
    given = {"ICE": ice, "CAPD": capd}
    scores = {k: _score(v, limits[k]["limits"]) for k, v in given.items()}
    if any(v is not None and scores[k] is None for k, v in given.items()):
        return None
    words = {"LOC": loc, "SEIZURE": seizure, "MOTOR": motor, "ICP": icp}
    folded = {k: _word(v) for k, v in words.items() if v is not None}
    domains = ic["domains"]
    if any(w is None or w not in domains[k]["grades"] for k, w in folded.items()):
        return None
    if all(v is None for v in (*given.values(), *words.values())):
        return TimepointGrade(0, "", "no ICANS finding given")
    order = ["ICE", "CAPD", *domains]
    dom = dict.fromkeys(order, -1)
    desc = dict.fromkeys(order, "")
    _score_domains(ic, scores, age_f, cutoff_f, dom, desc)
    for k, w in folded.items():
        assert w is not None
        dom[k] = int(domains[k]["grades"][w])
        desc[k] = f"{domains[k]['label']} {w.replace('_', ' ')}"
    grade = max(dom.values())
    if grade < 0:
        return None  # no domain could be scored: the engine says why
    if grade < 1:
        return TimepointGrade(0, cid, f"grade 0: no ICANS finding at this time point ({cid})")
    top = next(k for k in order if dom[k] == grade)  # the first domain on ties
    label = top if top in ("ICE", "CAPD") else str(domains[top]["label"])
    text = f"grade {_fmt(grade)}: {desc[top]} at day {_DAY} ({label} domain, {cid})"
    if dom["ICE"] == 3 and dom.get("LOC") == 4:
        text += "; ICE 0 with the patient unarousable is grade 4"
    return TimepointGrade(grade, cid, text + "; episode onset")
