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

from typing import TYPE_CHECKING

if TYPE_CHECKING:
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
    from aegrade.criteria.plain import criteria_rows, crs_file_id, plain_criteria, plain_parameters
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
    "criteria_rows",
    "criteria_token",
    "crs_file_id",
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
    "plain_criteria",
    "plain_parameters",
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


#: Where each re-exported name lives: imported on first use (PEP 562), so that importing one
#: light module of this package (the bedside scorers, ``aegrade criteria list``) does not load
#: pandas, numpy and pydantic through the others (issue 15 point 5).
_LAZY: dict[str, str] = {
    "CriteriaHeader": "aegrade.criteria.base",
    "Erratum": "aegrade.criteria.base",
    "Frozen": "aegrade.criteria.base",
    "Grade": "aegrade.criteria.base",
    "Anticoagulation": "aegrade.criteria.ctcae",
    "BaselineStatus": "aegrade.criteria.ctcae",
    "Clause": "aegrade.criteria.ctcae",
    "Compare": "aegrade.criteria.ctcae",
    "CtcaeCriteria": "aegrade.criteria.ctcae",
    "Entry": "aegrade.criteria.ctcae",
    "GradeDefinition": "aegrade.criteria.ctcae",
    "unit_gaps": "aegrade.criteria.ctcae",
    "unit_problems": "aegrade.criteria.ctcae",
    "load_mapping": "aegrade.criteria.ctcae_map",
    "map_terms": "aegrade.criteria.ctcae_map",
    "version_term_map": "aegrade.criteria.ctcae_map",
    "Cut": "aegrade.criteria.hematology",
    "Depth": "aegrade.criteria.hematology",
    "DurationBand": "aegrade.criteria.hematology",
    "Early": "aegrade.criteria.hematology",
    "Febrile": "aegrade.criteria.hematology",
    "HematotoxCriteria": "aegrade.criteria.hematology",
    "IcahtCriteria": "aegrade.criteria.hematology",
    "Late": "aegrade.criteria.hematology",
    "Level": "aegrade.criteria.hematology",
    "Marker": "aegrade.criteria.hematology",
    "NeutropeniaCriteria": "aegrade.criteria.hematology",
    "Option": "aegrade.criteria.hematology",
    "Points": "aegrade.criteria.hematology",
    "RiskClass": "aegrade.criteria.hematology",
    "Track": "aegrade.criteria.hematology",
    "to_canonical": "aegrade.criteria.hematology",
    "LabVocabulary": "aegrade.criteria.labnames",
    "LoincCode": "aegrade.criteria.labnames",
    "fold_name": "aegrade.criteria.labnames",
    "fold_word": "aegrade.criteria.labnames",
    "lab_vocabulary": "aegrade.criteria.labnames",
    "ALIASES": "aegrade.criteria.loader",
    "KINDS": "aegrade.criteria.loader",
    "SAFE_LOADER": "aegrade.criteria.loader",
    "Criteria": "aegrade.criteria.loader",
    "criteria_token": "aegrade.criteria.loader",
    "is_criteria_path": "aegrade.criteria.loader",
    "list_criteria": "aegrade.criteria.loader",
    "load_criteria": "aegrade.criteria.loader",
    "load_criteria_as": "aegrade.criteria.loader",
    "load_criteria_file": "aegrade.criteria.loader",
    "load_crs_icans_criteria": "aegrade.criteria.loader",
    "load_ctcae": "aegrade.criteria.loader",
    "load_dictionary": "aegrade.criteria.loader",
    "load_hematology_criteria": "aegrade.criteria.loader",
    "load_raw": "aegrade.criteria.loader",
    "packaged_ids": "aegrade.criteria.loader",
    "provenance": "aegrade.criteria.loader",
    "provenance_fields": "aegrade.criteria.loader",
    "register_criteria_file": "aegrade.criteria.loader",
    "resolve_criteria_id": "aegrade.criteria.loader",
    "criteria_rows": "aegrade.criteria.plain",
    "crs_file_id": "aegrade.criteria.plain",
    "plain_criteria": "aegrade.criteria.plain",
    "plain_parameters": "aegrade.criteria.plain",
    "describe_problems": "aegrade.criteria.problems",
    "keys_of": "aegrade.criteria.problems",
    "Band": "aegrade.criteria.syndromes",
    "CapdRules": "aegrade.criteria.syndromes",
    "CrsIcansCriteria": "aegrade.criteria.syndromes",
    "CrsRules": "aegrade.criteria.syndromes",
    "Device": "aegrade.criteria.syndromes",
    "DoseLimit": "aegrade.criteria.syndromes",
    "EpisodeRule": "aegrade.criteria.syndromes",
    "Fio2Tier": "aegrade.criteria.syndromes",
    "FloorGrade": "aegrade.criteria.syndromes",
    "Grade5": "aegrade.criteria.syndromes",
    "HighDose": "aegrade.criteria.syndromes",
    "Hypotension": "aegrade.criteria.syndromes",
    "Hypoxia": "aegrade.criteria.syndromes",
    "IcansRules": "aegrade.criteria.syndromes",
    "IceRules": "aegrade.criteria.syndromes",
    "Onset": "aegrade.criteria.syndromes",
    "OrganToxicity": "aegrade.criteria.syndromes",
    "Vocabulary": "aegrade.criteria.syndromes",
    "WordDomain": "aegrade.criteria.syndromes",
    "organ_toxicity_parameters": "aegrade.criteria.systems",
    "resolve_crs_system": "aegrade.criteria.systems",
    "resolve_icans_system": "aegrade.criteria.systems",
    "fold_terms": "aegrade.criteria.terms",
    "term_match_keys": "aegrade.criteria.terms",
    "term_socs": "aegrade.criteria.terms",
    "Conversion": "aegrade.criteria.units",
    "Parameter": "aegrade.criteria.units",
    "UnitRegistry": "aegrade.criteria.units",
    "convert_columns": "aegrade.criteria.units",
    "convert_indexed": "aegrade.criteria.units",
    "factorize": "aegrade.criteria.units",
    "parameter_index": "aegrade.criteria.units",
    "registry": "aegrade.criteria.units",
    "resolve_codes": "aegrade.criteria.units",
    "allowed_words": "aegrade.criteria.vocabulary",
    "default_vocabulary": "aegrade.criteria.vocabulary",
    "false_words": "aegrade.criteria.vocabulary",
    "normalize_word": "aegrade.criteria.vocabulary",
    "not_given": "aegrade.criteria.vocabulary",
    "read_values": "aegrade.criteria.vocabulary",
    "true_words": "aegrade.criteria.vocabulary",
    "vocabulary_of": "aegrade.criteria.vocabulary",
}


def __getattr__(name: str) -> object:
    import importlib

    module = _LAZY.get(name)
    if module is None:
        try:  # a submodule by attribute (``aegrade.criteria.x`` after ``import aegrade.criteria``)
            value: object = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    else:
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
