"""How laboratories write their results: test names, LOINC codes, specimens, no-result words.

Read once from ``data/inputs/`` (``test_names.yaml``, ``loinc.yaml``, ``specimens.yaml``,
``no_result.yaml``); each file cites its sources. Nothing clinical is written here: this
module only folds spellings and looks them up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["LabVocabulary", "LoincCode", "fold_name", "fold_word", "lab_vocabulary"]

#: Punctuation ignored when a test name is compared ("ALT (SGPT)" = "alt-sgpt"); "%" and "#"
#: are kept so that a percentage is never read as an absolute count.
_PUNCT = re.compile(r"[\s,()\-_./:;'\[\]]+")


def fold_name(text: object) -> str:
    """A test or specimen name folded for lookup: upper case, blanks and punctuation removed.

    >>> fold_name("ALT (SGPT)"), fold_name("Neutrophils, absolute"), fold_name("Neutrophils %")
    ('ALTSGPT', 'NEUTROPHILSABSOLUTE', 'NEUTROPHILS%')
    """
    return _PUNCT.sub("", str(text)).upper()


@dataclass(frozen=True)
class LoincCode:
    """What one LOINC code says: the parameter, the specimen (None: no specimen) and the
    LOINC property (``MCnc``, ``SCnc``, ``NCnc``, ...)."""

    parameter: str
    specimen: str | None
    property: str


@dataclass(frozen=True)
class LabVocabulary:
    """The lookups of ``data/inputs/``.

    Attributes
    ----------
    names
        Folded test name -> parameter code.
    loinc
        LOINC code (``"751-8"``) -> :class:`LoincCode`.
    specimens
        Folded specimen spelling -> canonical specimen (``"SER"`` -> ``"SERUM"``).
    blood
        The canonical specimens CTCAE blood terms grade.
    no_result
        Folded no-result words (lower case, single blanks).
    property_units
        LOINC property -> the canonical units of that property.
    """

    names: dict[str, str]
    loinc: dict[str, LoincCode]
    specimens: dict[str, str]
    blood: frozenset[str]
    no_result: frozenset[str]
    property_units: dict[str, frozenset[str]]

    def specimen(self, text: object) -> str | None:
        """The canonical specimen of a spelling (unknown spellings: upper case as given).

        >>> vocab = lab_vocabulary()
        >>> vocab.specimen("ser"), vocab.specimen("Urine"), vocab.specimen(" sweat ")
        ('SERUM', 'URINE', 'SWEAT')
        """
        key = fold_name(text)
        return self.specimens.get(key, " ".join(str(text).split()).upper())


def _read(name: str) -> dict[str, Any]:
    text = resources.files("aegrade.criteria.data").joinpath("inputs", name).read_text("utf-8")
    out: dict[str, Any] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return out


def fold_word(text: object) -> str:
    """A no-result word folded: lower case, single blanks.

    >>> fold_word("  Not   DONE ")
    'not done'
    """
    return " ".join(str(text).split()).lower()


@lru_cache(maxsize=1)
def lab_vocabulary() -> LabVocabulary:
    """The packaged lookups (read once).

    Raises
    ------
    ValueError
        A name that folds to two parameters, or a LOINC code of an unknown specimen.

    Examples
    --------
    >>> vocab = lab_vocabulary()
    >>> vocab.names[fold_name("Absolute Neutrophil Count")], vocab.loinc["2756-5"].specimen
    ('NEUT', 'URINE')
    >>> "not done" in vocab.no_result, "SERUM" in vocab.blood
    (True, True)
    """
    names: dict[str, str] = {}
    for code, spellings in _read("test_names.yaml")["names"].items():
        for spelling in spellings:
            key = fold_name(spelling)
            if names.get(key, code) != code:
                raise ValueError(f"test_names.yaml: {spelling!r} names {names[key]} and {code}")
            names[key] = code
    spec = _read("specimens.yaml")
    specimens: dict[str, str] = {}
    for group in ("blood", "other"):
        for canonical, spellings in spec[group].items():
            for spelling in [canonical, *spellings]:
                specimens[fold_name(spelling)] = canonical
    blood = frozenset(spec["blood"])
    raw_loinc = _read("loinc.yaml")
    loinc = {}
    for code, item in raw_loinc["codes"].items():
        specimen = item.get("specimen")
        if specimen is not None and specimen not in specimens.values():
            raise ValueError(f"loinc.yaml: {code}: unknown specimen {specimen!r}")
        loinc[str(code)] = LoincCode(str(item["parameter"]), specimen, str(item["property"]))
    words = frozenset(fold_word(w["word"]) for w in _read("no_result.yaml")["words"])
    props = {k: frozenset(v) for k, v in raw_loinc["property_units"].items()}
    return LabVocabulary(names, loinc, specimens, blood, words, props)
