"""Versioned grading systems: one family of frozen models, one loader, one vocabulary.

Modules
-------
base
    The frozen base model, the header every file carries and :data:`Grade`.
ctcae, syndromes, hematology
    The file formats: CTCAE value thresholds; CRS/ICANS (ASTCT 2019, Lee 2014, CTCAE CRS);
    ICAHT, CAR-HEMATOTOX and neutropenia.
loader
    :func:`load_criteria` (any kind, by id), :func:`load_criteria_file` (by path),
    :func:`list_criteria`, :func:`provenance` and the one alias table.
systems
    Which file grades a CRS or ICANS system name; Lee 2014's organ-toxicity parameters.
problems
    A broken file described one line per problem (file, entry, key).
vocabulary
    The words findings are written in (yes/no words, agents, devices, ICANS domain words).
units, ctcae_map
    The parameter and unit registry; the CTCAE v4.03 -> v5.0 term map.
labnames
    Test names, LOINC codes, specimens and no-result words as laboratories write them.

Every function and class in its modules' ``__all__`` is re-exported here; constants stay
in their modules.
"""

from __future__ import annotations

from aegrade.criteria.base import CriteriaHeader, Erratum, Frozen, Grade
from aegrade.criteria.ctcae import (
    Anticoagulation,
    BaselineStatus,
    Clause,
    Compare,
    CtcaeCriteria,
    Entry,
    GradeDefinition,
    unit_gaps,
    unit_problems,
)
from aegrade.criteria.ctcae_map import load_mapping, map_terms, version_term_map
from aegrade.criteria.hematology import (
    Cut,
    Depth,
    DurationBand,
    Early,
    Febrile,
    HematotoxCriteria,
    IcahtCriteria,
    Late,
    Level,
    Marker,
    NeutropeniaCriteria,
    Option,
    Points,
    RiskClass,
    Track,
    to_canonical,
)
from aegrade.criteria.labnames import (
    LabVocabulary,
    LoincCode,
    fold_name,
    fold_word,
    lab_vocabulary,
)
from aegrade.criteria.loader import (
    ALIASES,
    KINDS,
    SAFE_LOADER,
    Criteria,
    criteria_token,
    is_criteria_path,
    list_criteria,
    load_criteria,
    load_criteria_as,
    load_criteria_file,
    load_crs_icans_criteria,
    load_ctcae,
    load_dictionary,
    load_hematology_criteria,
    load_raw,
    packaged_ids,
    provenance,
    provenance_fields,
    register_criteria_file,
    resolve_criteria_id,
)
from aegrade.criteria.problems import describe_problems, keys_of
from aegrade.criteria.syndromes import (
    Band,
    CapdRules,
    CrsIcansCriteria,
    CrsRules,
    Device,
    DoseLimit,
    EpisodeRule,
    Fio2Tier,
    FloorGrade,
    Grade5,
    HighDose,
    Hypotension,
    Hypoxia,
    IcansRules,
    IceRules,
    Onset,
    OrganToxicity,
    Vocabulary,
    WordDomain,
)
from aegrade.criteria.systems import (
    organ_toxicity_parameters,
    resolve_crs_system,
    resolve_icans_system,
)
from aegrade.criteria.terms import fold_terms, term_match_keys, term_socs
from aegrade.criteria.units import (
    Conversion,
    Parameter,
    UnitRegistry,
    convert_columns,
    convert_indexed,
    factorize,
    parameter_index,
    registry,
    resolve_codes,
)
from aegrade.criteria.vocabulary import (
    allowed_words,
    default_vocabulary,
    false_words,
    normalize_word,
    not_given,
    read_values,
    true_words,
    vocabulary_of,
)

__all__ = [
    "ALIASES",
    "KINDS",
    "SAFE_LOADER",
    "SYSTEMS",
    "Anticoagulation",
    "Band",
    "BaselineStatus",
    "CapdRules",
    "Clause",
    "Compare",
    "Conversion",
    "Criteria",
    "CriteriaHeader",
    "CrsIcansCriteria",
    "CrsRules",
    "CtcaeCriteria",
    "Cut",
    "Depth",
    "Device",
    "DoseLimit",
    "DurationBand",
    "Early",
    "Entry",
    "EpisodeRule",
    "Erratum",
    "Febrile",
    "Fio2Tier",
    "FloorGrade",
    "Frozen",
    "Grade",
    "Grade5",
    "GradeDefinition",
    "HematotoxCriteria",
    "HighDose",
    "Hypotension",
    "Hypoxia",
    "IcahtCriteria",
    "IcansRules",
    "IceRules",
    "LabVocabulary",
    "Late",
    "Level",
    "LoincCode",
    "Marker",
    "NeutropeniaCriteria",
    "Onset",
    "Option",
    "OrganToxicity",
    "Parameter",
    "Points",
    "RiskClass",
    "Track",
    "UnitRegistry",
    "Vocabulary",
    "WordDomain",
    "allowed_words",
    "convert_columns",
    "convert_indexed",
    "criteria_token",
    "default_vocabulary",
    "describe_problems",
    "factorize",
    "false_words",
    "fold_name",
    "fold_terms",
    "fold_word",
    "is_criteria_path",
    "keys_of",
    "lab_vocabulary",
    "list_criteria",
    "load_criteria",
    "load_criteria_as",
    "load_criteria_file",
    "load_crs_icans_criteria",
    "load_ctcae",
    "load_dictionary",
    "load_hematology_criteria",
    "load_mapping",
    "load_raw",
    "map_terms",
    "normalize_word",
    "not_given",
    "organ_toxicity_parameters",
    "packaged_ids",
    "parameter_index",
    "provenance",
    "provenance_fields",
    "read_values",
    "register_criteria_file",
    "registry",
    "resolve_codes",
    "resolve_criteria_id",
    "resolve_crs_system",
    "resolve_icans_system",
    "term_match_keys",
    "term_socs",
    "to_canonical",
    "true_words",
    "unit_gaps",
    "unit_problems",
    "version_term_map",
    "vocabulary_of",
]

#: Every grading-system id of SPEC section 1 with what it grades and where aegrade implements it.
SYSTEMS: dict[str, str] = {
    "ctcae-v5.0": "CTCAE v5.0: lab and vital-sign terms from values; "
    "other terms as clinician grades",
    "ctcae-v4.03": "CTCAE v4.03: the same for version 4.03 (its CRS term only as a clinician "
    "grade: v4.03 writes it in infusion-reaction terms)",
    "astct-2019": "ASTCT consensus CRS and ICANS (Lee et al., BBMT 2019)",
    "lee-2014": "CRS, Lee et al., Blood 2014",
    "ctcae-v5.0-crs": "CTCAE v5.0 CRS from time series: operational readings (outputs carry "
    "ctcae-v5.0)",
    "icaht-2023": "EHA/EBMT immune effector cell-associated hematotoxicity, early and late",
    "car-hematotox": "CAR-HEMATOTOX baseline score (Rejeski et al., Blood 2021)",
    "asco-idsa-neutropenia": "ASCO/IDSA neutropenia depth and duration",
}
