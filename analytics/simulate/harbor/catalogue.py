"""Harbor Health's fixed reference data: sites, units, job codes, competencies, incidents.

Conventions (deliberately unlike the demo's): units are ``<site>-<unit>`` in capitals
(``BAY-ICU``), job codes are ``JC`` plus four digits, competencies are ``HH-C`` plus three
digits, people are employee numbers ``E`` plus six digits, and activities live under the
Harbor learning host.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LEARN = "https://learn.harborhealth.example/xapi"
MAIL_DOMAIN = "harborhealth.example"
SSO_HOMEPAGE = "https://sso.harborhealth.example"
AGENCY_HOMEPAGE = "https://portal.tidewater-staffing.example"
SOURCE_SYSTEM = "harbor-safety-rl"
CROSSWALK_FILE = Path(__file__).with_name("crosswalk.csv")


@dataclass(frozen=True)
class Unit:
    """A unit; ``size`` is its default headcount, ``beds`` 0 for units without inpatients.

    ``planted`` units keep their size whatever the hospital's size knob says.
    """

    department_id: str
    name: str
    service_line: str
    unit_type: str
    site: str
    size: int
    beds: int
    planted: bool = False


UNITS = (
    Unit("BAY-MED", "Bayside General Medicine", "Medicine", "med_surg", "Bayside", 200, 64),
    Unit("BAY-SURG", "Bayside Surgical Floor", "Surgery", "med_surg", "Bayside", 120, 40),
    Unit("BAY-ICU", "Bayside Intensive Care", "Critical Care", "icu", "Bayside", 80, 18),
    Unit(
        "BAY-CARD", "Bayside Cardiac Step-Down", "Cardiology", "med_surg", "Bayside", 40, 20, True
    ),
    Unit("BAY-ED", "Bayside Emergency", "Emergency", "ed", "Bayside", 48, 24, True),
    Unit("BAY-ORTH", "Bayside Orthopaedic Ward", "Surgery", "med_surg", "Bayside", 24, 16, True),
    Unit("BAY-MAT", "Bayside Maternity", "Women and Children", "l_and_d", "Bayside", 36, 14),
    Unit("NG-REHAB", "Northgate Rehabilitation", "Medicine", "med_surg", "Northgate", 30, 22, True),
    Unit("NG-GER", "Northgate Older Adults", "Medicine", "med_surg", "Northgate", 60, 28, True),
    Unit("NG-MH", "Northgate Mental Health", "Behavioural Health", "psych", "Northgate", 22, 16),
    Unit("NG-PHARM", "Northgate Pharmacy", "Pharmacy", "pharmacy", "Northgate", 12, 0),
    Unit("RS-DAY", "Riverside Day Surgery", "Surgery", "outpatient", "Riverside", 20, 0),
    Unit("RS-IMG", "Riverside Imaging", "Imaging", "imaging", "Riverside", 8, 0),
    Unit("RS-HOSP", "Riverside Hospice Beds", "Medicine", "med_surg", "Riverside", 4, 4, True),
)

#: job code -> (role family, title, unit types it works in or "*" for all)
ROLES: dict[str, tuple[str, str]] = {
    "JC1101": ("clinical", "Staff Nurse"),
    "JC1102": ("clinical", "Charge Nurse"),
    "JC1201": ("clinical", "Healthcare Assistant"),
    "JC1301": ("clinical", "Resident Physician"),
    "JC1401": ("clinical", "Clinical Pharmacist"),
    "JC1501": ("clinical", "Radiographer"),
    "JC2101": ("admin", "Ward Clerk"),
    "JC3101": ("support", "Porter"),
    "JC4101": ("contractor", "Agency Travel Nurse"),
}

#: staffing mix per unit kind: (job code, share)
MIX = {
    "ward": (
        ("JC1101", 0.5),
        ("JC1102", 0.08),
        ("JC1201", 0.22),
        ("JC1301", 0.08),
        ("JC2101", 0.04),
        ("JC3101", 0.03),
        ("JC4101", 0.05),
    ),
    "pharmacy": (("JC1401", 0.75), ("JC2101", 0.25)),
    "imaging": (("JC1501", 0.75), ("JC2101", 0.25)),
}


def mix_of(unit: Unit) -> tuple[tuple[str, float], ...]:
    """The job-code mix of a unit."""
    return MIX.get(unit.unit_type, MIX["ward"])


@dataclass(frozen=True)
class Skill:
    """A competency. ``cohort_month`` (1-12): everyone renews in that month each year.

    ``cert_only`` competencies are evidenced by the certifications import alone; ``items`` is
    the number of item-level ``answered`` statements per attempt (0: verdict only).
    """

    competency_id: str
    name: str
    category: str
    criticality: int
    recert_days: int
    slug: str
    items: int = 0
    cohort_month: int = 0
    cert_only: bool = False
    clinical_only: bool = True


SKILLS = (
    Skill("HH-C101", "Medication Safety and Double Checks", "clinical", 3, 365, "med-safety", 4),
    Skill("HH-C102", "Falls and Mobility Safety", "clinical", 2, 365, "falls-mobility"),
    Skill(
        "HH-C103", "Infection Prevention Essentials", "safety", 2, 365, "ipc", 0, 10, False, False
    ),
    Skill(
        "HH-C104",
        "Privacy and Information Governance",
        "privacy",
        1,
        365,
        "info-gov",
        0,
        3,
        False,
        False,
    ),
    Skill("HH-C105", "Safe Moving and Handling", "safety", 2, 730, "moving-handling"),
    Skill("HH-C106", "Escalating the Deteriorating Patient", "clinical", 3, 365, "escalation", 4),
    Skill(
        "HH-C107",
        "De-escalation and Violence Prevention",
        "safety",
        2,
        365,
        "de-escalation",
        0,
        0,
        False,
        False,
    ),
    Skill("HH-C108", "Basic Life Support (BLS)", "clinical", 3, 730, "bls", 0, 0, True),
    Skill("HH-C109", "Sharps and Exposure Response", "safety", 1, 365, "sharps"),
)

SKILL = {s.competency_id: s for s in SKILLS}
CLINICAL_FAMILIES = frozenset({"clinical", "contractor"})
INITIAL_DUE_DAYS = 60


def required(role_code: str) -> tuple[Skill, ...]:
    """The competencies a job code must hold."""
    clinical = ROLES[role_code][0] in CLINICAL_FAMILIES
    return tuple(s for s in SKILLS if clinical or not s.clinical_only)


def assessment_iri(skill: Skill) -> str:
    """The assessment activity whose verdicts evidence the competency."""
    return f"{LEARN}/modules/{skill.slug}/assessment"


def module_iri(skill: Skill) -> str:
    """The learning module (grouping context of every statement about it)."""
    return f"{LEARN}/modules/{skill.slug}"


#: incident categories Harbor's reporting system uses (AHRQ + local), with base rates per
#: 1,000 patient-days for incidents and for near misses.
CATEGORIES: dict[str, tuple[float, float]] = {
    "medication": (2.2, 1.5),
    "fall": (2.0, 0.8),
    "pressure_injury": (0.8, 0.0),
    "hai": (0.6, 0.0),
    "deterioration_missed": (0.4, 0.3),
    "communication_handoff": (0.5, 1.2),
    "workplace_violence": (0.4, 0.3),
    "sharps_exposure": (0.3, 0.2),
    "elopement": (0.15, 0.1),
}
