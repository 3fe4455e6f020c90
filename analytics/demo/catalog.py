"""The synthetic hospital's fixed reference data: departments, roles, competencies, requirements.

Everything here is static; the seeded parts (people, learning, incidents) live in the other
modules of :mod:`analytics.demo`.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

LMS = "https://lms.hospital.example"
MBOX_DOMAIN = "hospital.example"
AGENCY_HOMEPAGE = "https://staffing-agency.example"


@dataclass(frozen=True)
class Department:
    """A unit: ``beds`` drive patient-days (0 = no inpatients); ``weight`` its share of staff."""

    department_id: str
    name: str
    service_line: str
    unit_type: str
    site: str
    beds: int
    weight: float


@dataclass(frozen=True)
class Competency:
    """A competency; ``cert`` ones are evidenced by imported certifications, not statements."""

    competency_id: str
    name: str
    category: str
    criticality: int
    half_life_days: int
    _: KW_ONLY
    cert: bool = False
    items: int = 5
    difficulty: float = 0.0


DEPARTMENTS = (
    Department("D01", "Medical ICU", "Critical Care", "icu", "Main", 20, 7),
    Department("D02", "Surgical ICU", "Critical Care", "icu", "Main", 16, 6),
    Department("D03", "4 West Medical-Surgical", "Medicine", "med_surg", "Main", 32, 10),
    Department("D04", "5 East Medical-Surgical", "Medicine", "med_surg", "Main", 32, 10),
    Department("D05", "6 North Telemetry", "Cardiology", "med_surg", "Main", 28, 8),
    Department("D06", "Emergency Department", "Emergency", "ed", "Main", 40, 10),
    Department("D07", "Main Operating Rooms", "Surgery", "or", "Main", 12, 6),
    Department("D08", "Labor and Delivery", "Women's Health", "l_and_d", "Main", 14, 5),
    Department("D09", "Pediatrics", "Children's Health", "peds", "Main", 18, 5),
    Department("D10", "Behavioral Health", "Behavioral Health", "psych", "Main", 20, 5),
    Department("D11", "Inpatient Pharmacy", "Pharmacy", "pharmacy", "Main", 0, 4),
    Department("D12", "Clinical Laboratory", "Laboratory", "lab", "Main", 0, 4),
    Department("D13", "Diagnostic Imaging", "Imaging", "imaging", "Main", 0, 4),
    Department("D14", "North Campus Primary Care", "Ambulatory", "outpatient", "North", 0, 4),
    Department("D15", "Administration", "Administration", "admin", "Main", 0, 3),
    Department("D16", "Environmental Services", "Support Services", "support", "Main", 0, 4),
    Department("D17", "North Campus Medical-Surgical", "Medicine", "med_surg", "North", 24, 7),
    Department("D18", "Sleep Lab", "Ambulatory", "outpatient", "North", 0, 0),
)

ROLES = {
    "RN": ("clinical", "Registered Nurse"),
    "RN_CC": ("clinical", "Registered Nurse, Critical Care"),
    "RN_OB": ("clinical", "Registered Nurse, Obstetrics"),
    "RN_PEDS": ("clinical", "Registered Nurse, Pediatrics"),
    "RN_AGENCY": ("contractor", "Agency Registered Nurse"),
    "LPN": ("clinical", "Licensed Practical Nurse"),
    "CNA": ("clinical", "Certified Nursing Assistant"),
    "MD": ("clinical", "Physician"),
    "RT": ("clinical", "Respiratory Therapist"),
    "PHARMD": ("clinical", "Pharmacist"),
    "PHARMTECH": ("support", "Pharmacy Technician"),
    "LABTECH": ("support", "Medical Laboratory Technician"),
    "RADTECH": ("clinical", "Radiologic Technologist"),
    "CLERK": ("admin", "Unit Clerk"),
    "EVS": ("support", "Environmental Services Associate"),
    "ADMIN": ("admin", "Administrative Staff"),
}

COMPETENCIES = (
    Competency("bls", "Basic Life Support", "clinical", 3, 120, cert=True),
    Competency("acls", "Advanced Cardiac Life Support", "clinical", 3, 120, cert=True),
    Competency("pals", "Pediatric Advanced Life Support", "clinical", 3, 120, cert=True),
    Competency("nrp", "Neonatal Resuscitation Program", "clinical", 3, 120, cert=True),
    Competency("hand-hygiene", "Hand Hygiene", "safety", 2, 365),
    Competency("infection-control", "Isolation and Infection Control", "safety", 2, 365),
    Competency("bloodborne-pathogens", "Bloodborne Pathogens", "safety", 2, 365),
    Competency("hipaa-privacy", "HIPAA Privacy and Security", "privacy", 1, 365),
    Competency("fire-safety", "Fire and Life Safety", "safety", 1, 365),
    Competency("code-of-conduct", "Code of Conduct", "regulatory", 1, 365),
    Competency("workplace-violence", "Workplace Violence Prevention", "safety", 2, 365),
    Competency("emtala", "EMTALA Obligations", "regulatory", 2, 365),
    Competency("falls-prevention", "Falls Prevention", "clinical", 2, 180, items=6),
    Competency("pressure-injury", "Pressure Injury Prevention", "clinical", 2, 180),
    Competency(
        "medication-administration", "Medication Administration", "clinical", 3, 180, items=8
    ),
    Competency(
        "high-alert-medications",
        "High-Alert Medications",
        "clinical",
        3,
        180,
        items=8,
        difficulty=0.2,
    ),
    Competency("blood-transfusion", "Blood Transfusion", "clinical", 3, 180, items=6),
    Competency(
        "sepsis-recognition", "Sepsis Recognition", "clinical", 3, 180, items=8, difficulty=0.1
    ),
    Competency("rapid-response", "Rapid Response and Deterioration", "clinical", 3, 180, items=6),
    Competency("patient-identification", "Patient Identification", "safety", 2, 365),
    Competency("sbar-handoff", "SBAR Handoff Communication", "safety", 2, 365),
    Competency("restraint-seclusion", "Restraint and Seclusion", "regulatory", 3, 180, items=6),
    Competency("suicide-risk", "Suicide Risk Screening", "clinical", 3, 180, items=6),
    Competency("safe-patient-handling", "Safe Patient Handling", "safety", 2, 365),
    Competency("vte-prophylaxis", "VTE Prophylaxis", "clinical", 2, 180),
    Competency("clabsi-bundle", "Central Line Care (CLABSI Bundle)", "clinical", 2, 180, items=6),
    Competency("cauti-bundle", "Urinary Catheter Care (CAUTI Bundle)", "clinical", 2, 180),
    Competency(
        "moderate-sedation", "Moderate Sedation", "clinical", 3, 180, items=8, difficulty=0.3
    ),
    Competency(
        "fetal-monitoring",
        "Electronic Fetal Monitoring",
        "clinical",
        3,
        180,
        items=8,
        difficulty=0.3,
    ),
    Competency("mri-safety", "MRI Safety", "safety", 3, 365, items=6),
    Competency("radiation-safety", "Radiation Safety", "safety", 2, 365),
    Competency("chemo-safety", "Hazardous Drug Handling", "clinical", 3, 180, items=6),
    Competency("specimen-handling", "Specimen Labelling and Handling", "safety", 2, 365),
    Competency("hazmat", "Hazardous Materials", "safety", 1, 365),
    Competency("stroke-recognition", "Stroke Recognition (BE-FAST)", "clinical", 3, 180, items=6),
    Competency("delirium-screening", "Delirium Screening (CAM)", "clinical", 2, 365),
    Competency("opioid-safety", "Opioid Safety and PCA", "clinical", 3, 180, items=6),
    Competency("dysphagia-screening", "Dysphagia Screening", "clinical", 2, 365),
    Competency("emergency-preparedness", "Emergency Preparedness and Codes", "safety", 1, 365),
    Competency("cybersecurity", "Cybersecurity and Phishing Awareness", "privacy", 1, 365),
)

_ALL = {
    "hand-hygiene": 365,
    "hipaa-privacy": 365,
    "fire-safety": 365,
    "code-of-conduct": 365,
    "workplace-violence": 730,
    "emergency-preparedness": 365,
    "cybersecurity": 730,
}
_CLINICAL = {
    "bls": 730,
    "infection-control": 365,
    "bloodborne-pathogens": 365,
    "patient-identification": 365,
}
_NURSING = {
    "medication-administration": 365,
    "falls-prevention": 365,
    "pressure-injury": 365,
    "sbar-handoff": 730,
    "sepsis-recognition": 365,
    "restraint-seclusion": 365,
    "suicide-risk": 730,
    "stroke-recognition": 365,
    "delirium-screening": 730,
}
_RN = {
    **_CLINICAL,
    **_NURSING,
    "high-alert-medications": 365,
    "blood-transfusion": 365,
    "rapid-response": 365,
    "vte-prophylaxis": 730,
    "safe-patient-handling": 730,
    "cauti-bundle": 730,
    "opioid-safety": 365,
    "dysphagia-screening": 730,
}

REQUIREMENTS: dict[str, dict[str, int]] = {
    "RN": _RN,
    "RN_AGENCY": _RN,
    "RN_CC": {**_RN, "acls": 730, "clabsi-bundle": 365, "moderate-sedation": 730},
    "RN_OB": {**_RN, "nrp": 730, "fetal-monitoring": 365},
    "RN_PEDS": {**_RN, "pals": 730},
    "LPN": {**_CLINICAL, **_NURSING},
    "CNA": {
        **_CLINICAL,
        "falls-prevention": 365,
        "pressure-injury": 365,
        "safe-patient-handling": 365,
    },
    "MD": {
        **_CLINICAL,
        "acls": 730,
        "sepsis-recognition": 365,
        "sbar-handoff": 730,
        "moderate-sedation": 730,
        "emtala": 730,
        "vte-prophylaxis": 730,
        "high-alert-medications": 365,
        "opioid-safety": 365,
        "stroke-recognition": 365,
    },
    "RT": {**_CLINICAL, "acls": 730, "rapid-response": 365, "sbar-handoff": 730},
    "PHARMD": {
        "high-alert-medications": 365,
        "chemo-safety": 365,
        "medication-administration": 365,
        "hazmat": 365,
    },
    "PHARMTECH": {"chemo-safety": 365, "hazmat": 365},
    "LABTECH": {
        "specimen-handling": 365,
        "bloodborne-pathogens": 365,
        "hazmat": 365,
        "blood-transfusion": 365,
    },
    "RADTECH": {
        "mri-safety": 365,
        "radiation-safety": 365,
        "bls": 730,
        "patient-identification": 365,
    },
    "CLERK": {"patient-identification": 365},
    "EVS": {"bloodborne-pathogens": 365, "hazmat": 365, "infection-control": 365},
    "ADMIN": {},
}
for _role in REQUIREMENTS:
    REQUIREMENTS[_role] = {**_ALL, **REQUIREMENTS[_role]}

ROLE_MIX: dict[str, dict[str, float]] = {
    "icu": {"RN_CC": 0.60, "MD": 0.12, "RT": 0.10, "CNA": 0.10, "RN_AGENCY": 0.05, "CLERK": 0.03},
    "med_surg": {
        "RN": 0.50,
        "LPN": 0.08,
        "CNA": 0.22,
        "MD": 0.08,
        "RN_AGENCY": 0.07,
        "CLERK": 0.05,
    },
    "ed": {"RN_CC": 0.45, "MD": 0.20, "CNA": 0.12, "RT": 0.05, "RN_AGENCY": 0.10, "CLERK": 0.08},
    "or": {"RN_CC": 0.45, "MD": 0.30, "CNA": 0.15, "CLERK": 0.10},
    "l_and_d": {"RN_OB": 0.65, "MD": 0.15, "CNA": 0.12, "CLERK": 0.08},
    "peds": {"RN_PEDS": 0.65, "MD": 0.12, "CNA": 0.13, "RT": 0.05, "CLERK": 0.05},
    "psych": {"RN": 0.45, "LPN": 0.10, "CNA": 0.30, "MD": 0.08, "CLERK": 0.07},
    "pharmacy": {"PHARMD": 0.55, "PHARMTECH": 0.45},
    "lab": {"LABTECH": 0.90, "CLERK": 0.10},
    "imaging": {"RADTECH": 0.85, "CLERK": 0.15},
    "outpatient": {"RN": 0.25, "LPN": 0.20, "MD": 0.25, "CLERK": 0.30},
    "admin": {"ADMIN": 1.0},
    "support": {"EVS": 1.0},
}

REGULATED_TASKS = (
    ("defibrillation", "Manual defibrillation", ("bls", "acls")),
    (
        "blood-administration",
        "Administer blood products",
        ("blood-transfusion", "patient-identification"),
    ),
    ("moderate-sedation", "Administer moderate sedation", ("moderate-sedation", "acls")),
    (
        "insulin-infusion",
        "Manage insulin infusions",
        ("high-alert-medications", "medication-administration"),
    ),
    ("restraint-application", "Apply restraints", ("restraint-seclusion",)),
    ("mri-zone-4", "Enter MRI zone IV", ("mri-safety",)),
    ("hazardous-drug-compounding", "Compound hazardous drugs", ("chemo-safety", "hazmat")),
)

CATEGORY_COMPETENCY = (
    ("fall", "falls-prevention", 1.0),
    ("fall", "safe-patient-handling", 0.5),
    ("medication", "medication-administration", 1.0),
    ("medication", "high-alert-medications", 1.0),
    ("hai", "hand-hygiene", 1.0),
    ("hai", "infection-control", 1.0),
    ("hai", "clabsi-bundle", 0.5),
    ("hai", "cauti-bundle", 0.5),
    ("pressure_injury", "pressure-injury", 1.0),
    ("vte", "vte-prophylaxis", 1.0),
    ("blood_product", "blood-transfusion", 1.0),
    ("perinatal", "fetal-monitoring", 1.0),
    ("perinatal", "nrp", 0.5),
    ("surgery_anesthesia", "moderate-sedation", 0.5),
    ("patient_identification", "patient-identification", 1.0),
    ("patient_identification", "specimen-handling", 0.5),
    ("communication_handoff", "sbar-handoff", 1.0),
    ("deterioration_missed", "rapid-response", 1.0),
    ("deterioration_missed", "sepsis-recognition", 1.0),
    ("deterioration_missed", "stroke-recognition", 1.0),
    ("medication", "opioid-safety", 1.0),
    ("privacy_breach", "hipaa-privacy", 1.0),
    ("suicide_self_harm", "suicide-risk", 1.0),
    ("restraint_seclusion", "restraint-seclusion", 1.0),
    ("workplace_violence", "workplace-violence", 1.0),
    ("fire_safety", "fire-safety", 1.0),
    ("sharps_exposure", "bloodborne-pathogens", 1.0),
    ("patient_handling_injury", "safe-patient-handling", 1.0),
)


def course_iri(competency_id: str) -> str:
    """The LMS course activity of a competency (the statements' contextActivities.parent)."""
    return f"{LMS}/courses/{competency_id}"


def au_iri(competency_id: str) -> str:
    """The cmi5 assignable unit (the object of the cmi5-defined statements)."""
    return f"{LMS}/courses/{competency_id}/au/assessment"


def cmi5_course_iri(competency_id: str) -> str:
    """The cmi5 course structure id (the statements' contextActivities.grouping)."""
    return f"{LMS}/cmi5/{competency_id}"
