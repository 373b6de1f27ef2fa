"""The content of a complete demonstration dossier (shared by the demo's seed and its
review workflow), section by section as the dossier form asks for it."""

from __future__ import annotations

import copy

from qa_portal.demo_programmes import PROGRAMMES
from qa_portal.dossiers.forms import new_key

# Identity, level, workload and form of participation.
PROGRAMME = {
    "summary": "A 5 ECTS microcredential on deploying and operating cloud-native "
    "applications for working software developers.",
    "description": "Participants containerise an application, deploy it on a managed "
    "Kubernetes service, set up continuous delivery and observability, "
    "and present an operations runbook. Weekly live sessions and a "
    "capstone project.",
    "web_page": "https://www.northbridge.ie/micro/cloud-native",
    "partners": ["Open Cloud Learning Ltd (delivery platform)"],
    "country": "IE",
    "region": "Leinster",
    "languages_instruction": ["en"],
    "languages_assessment": ["en"],
    "isced_code": "0613",
    "keywords": ["cloud computing", "DevOps", "Kubernetes"],
    "eqf_level": 6,
    "level_not_applicable": False,
    "national_level": "NFQ level 8",
    "qf_ehea_cycle": "first",
    "workload_hours": 125,
    "ects": 5.0,
    "duration_weeks": 10,
    "participation": "blended",
    "pacing": "scheduled",
}
# The learning outcomes (each given a key when a dossier is made).
OUTCOMES = (
    {
        "statement": "Deploy a containerised application to a managed "
        "Kubernetes cluster using declarative configuration.",
        "eqf_domain": "skills",
        "framework_name": "ESCO",
        "framework_code": "S1.2.3",
        "framework_url": "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d",
    },
    {
        "statement": "Design a continuous-delivery pipeline with automated tests and rollback.",
        "eqf_domain": "skills",
        "framework_name": "ESCO",
        "framework_code": "S1.2.4",
        "framework_url": "",
    },
    {
        "statement": "Evaluate the reliability of a running service and "
        "justify operational decisions to stakeholders.",
        "eqf_domain": "responsibility_autonomy",
        "framework_name": "",
        "framework_code": "",
        "framework_url": "",
    },
)
# The assessment components; "outcomes" are positions in OUTCOMES.
ASSESSMENTS = (
    {
        "method": "project",
        "description": "Capstone: deploy and operate a service for two weeks, with a runbook.",
        "weight": 70,
        "supervision": "identity_checked",
        "pass_criteria": "50 % overall and every outcome demonstrated.",
        "outcomes": (0, 1),
    },
    {
        "method": "oral_exam",
        "description": "Oral defence of operational decisions (20 minutes).",
        "weight": 30,
        "supervision": "online_proctored",
        "pass_criteria": "Pass/fail against a published rubric.",
        "outcomes": (2,),
    },
)
PREREQUISITES = [
    {
        "kind": "skill",
        "description": "Programming in one general-purpose language and use of git.",
        "related_reference": "",
    },
]
STACKABILITY = [
    {
        "qualification": "MSc Cloud Computing",
        "awarding_body": "University of Northbridge",
        "credits": 5.0,
    },
]
# Recognition, quality assurance, learners, cost and issuance.
RECOGNITION_AND_ISSUANCE = {
    "recognition_arrangements": "Recognised as the elective module CC-701 of the MSc; "
    "credits transferable under the ECTS Users' Guide.",
    "internal_qa": "Approved by the Faculty Quality Committee; annual review with "
    "learner feedback and external examiner report.",
    "external_decision": "approval",
    "earlier_reviews": "",
    "target_audience": "Software developers with at least one year of experience.",
    "cost": "EUR 450",
    "grading_scheme": "Pass / fail with distinction",
    "issuance": "both",
    "issuance_standards": ["open_badges_3", "europass_edc"],
}


def complete_dossier_data(title: str) -> dict:
    """A complete, realistic dossier (used by the demo and by tests): a fresh copy, with new
    keys for its outcomes and assessments."""
    own = dict(PROGRAMMES.get(title, {}))
    outcome_rows = own.pop("outcomes", OUTCOMES)
    assessment_rows = own.pop("assessments", ASSESSMENTS)
    keys = [new_key() for _ in outcome_rows]
    outcomes = [{"key": key, **row} for key, row in zip(keys, outcome_rows, strict=True)]
    assessments = [
        {"key": new_key(), **a, "outcomes": [keys[i] for i in a["outcomes"]]}
        for a in assessment_rows
    ]
    return copy.deepcopy(
        {
            "title": title,
            **PROGRAMME,
            "outcomes": outcomes,
            "assessments": assessments,
            "prerequisites": PREREQUISITES,
            "stackability": STACKABILITY,
            **RECOGNITION_AND_ISSUANCE,
            **own,
        }
    )
