"""The import kinds of ANALYTICS.md §2-3 as data: columns, types, keys and cross-field rules.

One table drives validation (:mod:`analytics.imports.validate`), the warehouse DDL and the
upsert, so a column cannot be validated one way and stored another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

SQL_TYPES = {
    "text": "VARCHAR",
    "enum": "VARCHAR",
    "iri": "VARCHAR",
    "date": "DATE",
    "month": "DATE",
    "timestamp": "TIMESTAMPTZ",
    "number": "DOUBLE",
    "bool": "BOOLEAN",
    "list": "VARCHAR[]",
}

INCIDENT_CATEGORIES = (
    "blood_product",
    "device_hit",
    "fall",
    "hai",
    "medication",
    "perinatal",
    "pressure_injury",
    "surgery_anesthesia",
    "vte",
    "other",
    "patient_identification",
    "communication_handoff",
    "diagnostic_delay",
    "deterioration_missed",
    "privacy_breach",
    "suicide_self_harm",
    "workplace_violence",
    "restraint_seclusion",
    "elopement",
    "fire_safety",
    "sharps_exposure",
    "patient_handling_injury",
    "staffing_infrastructure",
)

# Column names that identify a patient: a file carrying any of them is refused whole.
PATIENT_IDENTIFIERS = frozenset(
    {
        "mrn",
        "medical_record_number",
        "patient_mrn",
        "patient_id",
        "patient_name",
        "patient_first_name",
        "patient_last_name",
        "patient_dob",
        "dob",
        "date_of_birth",
        "birth_date",
        "nhs_number",
        "chi_number",
        "ssn",
        "social_security_number",
        "patient_address",
        "patient_phone",
        "patient_email",
    }
)

RowCheck = Callable[[Mapping[str, Any]], list[tuple[str, str]]]


@dataclass(frozen=True)
class Column:
    """One input column: its type, whether it is required, and the values it accepts."""

    name: str
    kind: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    integer: bool = False
    default: Any = None

    @property
    def sql_type(self) -> str:
        """The DuckDB type the column is stored as."""
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Kind:
    """One import kind: its table, upsert key, columns and row rules.

    ``pseudonymise`` kinds carry ``person_id``, which the warehouse stores as ``person_key``;
    ``identity`` columns are kept only in the admin-only identity map, never in the table.
    """

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    checks: tuple[RowCheck, ...] = ()
    pseudonymise: bool = False
    identity: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        """Input column names, in order."""
        return tuple(c.name for c in self.columns)

    def stored_columns(self) -> list[tuple[str, str]]:
        """(warehouse column, DuckDB type) in order, after pseudonymisation."""
        out = []
        for col in self.columns:
            if col.name in self.identity:
                continue
            name = "person_key" if self.pseudonymise and col.name == "person_id" else col.name
            out.append((name, col.sql_type))
        return out

    @property
    def stored_key(self) -> tuple[str, ...]:
        """The upsert key in warehouse column names."""
        return tuple(
            "person_key" if k == "person_id" and self.pseudonymise else k for k in self.key
        )


def _req(name: str, kind: str = "text", **extra: Any) -> Column:
    return Column(name, kind, required=True, **extra)


def _enum(name: str, values: str, required: bool = False) -> Column:
    return Column(name, "enum", required=required, choices=tuple(values.split()))


def _staff_identity(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    has_account = row.get("account_homepage") and row.get("account_name")
    if row.get("account_homepage") and not row.get("account_name"):
        return [("account_name", "required with account_homepage")]
    if row.get("account_name") and not row.get("account_homepage"):
        return [("account_homepage", "required with account_name")]
    if not row.get("mbox") and not has_account:
        return [("mbox", "at least one identity is required: mbox or account_homepage+name")]
    mbox = row.get("mbox")
    if mbox and not str(mbox).startswith("mailto:"):
        return [("mbox", "must be a mailto: IRI")]
    return []


def _harm_required(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    if row.get("event_type") == "incident" and row.get("harm_level") is None:
        return [("harm_level", "required when event_type is incident")]
    return []


def _dates_ordered(first: str, second: str) -> RowCheck:
    def check(row: Mapping[str, Any]) -> list[tuple[str, str]]:
        a, b = row.get(first), row.get(second)
        if a is not None and b is not None and b < a:
            return [(second, f"must not be before {first}")]
        return []

    return check


UNIT_TYPES = "icu med_surg ed or l_and_d peds psych pharmacy lab imaging outpatient admin support"
EVIDENCE_TYPES = "knowledge_check scenario observation course certification"

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "departments",
            ("department_id",),
            (
                _req("department_id"),
                _req("name"),
                Column("service_line"),
                _enum("unit_type", UNIT_TYPES),
                Column("site"),
            ),
        ),
        Kind(
            "staff",
            ("person_id",),
            (
                _req("person_id"),
                _req("department_id"),
                _req("role_code"),
                _req("hire_date", "date"),
                Column("end_date", "date"),
                Column("fte", "number", low=0, high=2),
                _enum("employment_type", "employee agency contractor float"),
                Column("mbox"),
                Column("account_homepage", "iri"),
                Column("account_name"),
            ),
            checks=(_staff_identity, _dates_ordered("hire_date", "end_date")),
            pseudonymise=True,
            identity=("mbox", "account_homepage", "account_name"),
        ),
        Kind(
            "roles",
            ("role_code",),
            (
                _req("role_code"),
                _enum("role_family", "clinical admin support contractor", required=True),
                Column("title"),
            ),
        ),
        Kind(
            "competencies",
            ("competency_id",),
            (
                _req("competency_id"),
                _req("name"),
                _enum("category", "regulatory clinical safety privacy"),
                Column("criticality", "number", low=1, high=3, integer=True),
                Column("half_life_days", "number", low=1, high=36500),
            ),
        ),
        Kind(
            "activity_competency",
            ("activity_id", "competency_id"),
            (
                _req("activity_id", "iri"),
                _req("competency_id"),
                _enum("evidence_type", EVIDENCE_TYPES),
                Column("weight", "number", low=0, high=1000),
                Column("mastery_threshold", "number", low=0, high=1, default=0.8),
            ),
        ),
        Kind(
            "role_requirements",
            ("role_code", "competency_id"),
            (
                _req("role_code"),
                _req("competency_id"),
                _req("recert_interval_days", "number", low=1, high=36500, integer=True),
                Column("initial_due_days", "number", low=0, high=3650, integer=True, default=30),
                Column("grace_days", "number", low=0, high=3650, integer=True, default=0),
                _enum("evidence_rule", "passed passed_or_completed"),
            ),
        ),
        Kind(
            "protocol_changes",
            ("competency_id", "change_date"),
            (
                _req("competency_id"),
                _req("change_date", "date"),
                Column("new_version"),
                Column("invalidates_prior", "bool"),
                Column("retrain_due_days", "number", low=0, high=3650, integer=True),
                Column("carryover", "number", low=0, high=1),
            ),
        ),
        Kind(
            "regulated_tasks",
            ("task_id",),
            (_req("task_id"), _req("name"), _req("competency_ids", "list")),
        ),
        Kind(
            "certifications",
            ("person_id", "competency_id", "issued"),
            (
                _req("person_id"),
                _req("competency_id"),
                _req("issued", "date"),
                _req("expires", "date"),
                Column("issuer"),
            ),
            checks=(_dates_ordered("issued", "expires"),),
            pseudonymise=True,
        ),
        Kind(
            "census",
            ("department_id", "month"),
            (
                _req("department_id"),
                _req("month", "month"),
                _req("patient_days", "number", low=0),
                Column("staff_hours_worked", "number", low=0),
                Column("fte", "number", low=0),
                Column("agency_hours", "number", low=0),
                Column("new_hire_count", "number", low=0, integer=True),
            ),
        ),
        Kind(
            "incidents",
            ("source_system", "incident_id"),
            (
                _req("incident_id"),
                _req("source_system"),
                _enum("event_type", "incident near_miss unsafe_condition", required=True),
                _req("discovered_date", "date"),
                Column("occurred_at", "timestamp"),
                Column("reported_date", "date"),
                _req("department_id"),
                Column("categories", "list", required=True, choices=INCIDENT_CATEGORIES),
                _enum("harm_level", "none mild moderate severe death unknown"),
                _enum("affected_party", "patient staff visitor other"),
                Column("involved_roles", "list"),
                Column("contributing_factors", "list"),
                Column("sentinel_event", "bool"),
                Column("osha_recordable", "bool"),
                Column("source_taxonomy"),
                Column("source_code"),
                Column("record_updated_at", "timestamp"),
            ),
            checks=(_harm_required,),
        ),
        Kind(
            "category_competency",
            ("category", "competency_id"),
            (
                Column("category", "enum", required=True, choices=INCIDENT_CATEGORIES),
                _req("competency_id"),
                _req("weight", "number", low=0, high=1),
            ),
        ),
    )
}


def ddl(kind: Kind) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for the kind's warehouse table."""
    cols = ", ".join(f'"{name}" {sql_type}' for name, sql_type in kind.stored_columns())
    return f"CREATE TABLE IF NOT EXISTS {kind.name} ({cols})"
