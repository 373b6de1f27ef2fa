"""The content of a complete demonstration dossier (shared by the demo's seed and its
review workflow)."""

from __future__ import annotations

from qa_portal.dossiers.forms import new_key


def complete_dossier_data(title: str) -> dict:
    """A complete, realistic dossier (used by the demo and by tests)."""
    lo = [new_key() for _ in range(3)]
    return {
        "title": title,
        "summary": "A 5 ECTS microcredential on deploying and operating cloud-native "
        "applications for working software developers.",
        "description": "Participants containerise an application, deploy it on a managed "
        "Kubernetes service, set up continuous delivery and observability, "
        "and present an operations runbook. Weekly live sessions and a "
        "capstone project.",
        "web_page": "https://www.northbridge.ac.uk/micro/cloud-native",
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
        "outcomes": [
            {
                "key": lo[0],
                "statement": "Deploy a containerised application to a managed "
                "Kubernetes cluster using declarative configuration.",
                "eqf_domain": "skills",
                "framework_name": "ESCO",
                "framework_code": "S1.2.3",
                "framework_url": "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-"
                "96344886e14d",
            },
            {
                "key": lo[1],
                "statement": "Design a continuous-delivery pipeline with automated "
                "tests and rollback.",
                "eqf_domain": "skills",
                "framework_name": "ESCO",
                "framework_code": "S1.2.4",
                "framework_url": "",
            },
            {
                "key": lo[2],
                "statement": "Evaluate the reliability of a running service and "
                "justify operational decisions to stakeholders.",
                "eqf_domain": "responsibility_autonomy",
                "framework_name": "",
                "framework_code": "",
                "framework_url": "",
            },
        ],
        "assessments": [
            {
                "key": new_key(),
                "method": "project",
                "description": "Capstone: deploy and "
                "operate a service for two weeks, with a runbook.",
                "weight": 70,
                "supervision": "identity_checked",
                "pass_criteria": "50 % overall and every outcome demonstrated.",
                "outcomes": [lo[0], lo[1]],
            },
            {
                "key": new_key(),
                "method": "oral_exam",
                "description": "Oral defence of operational decisions (20 minutes).",
                "weight": 30,
                "supervision": "online_proctored",
                "pass_criteria": "Pass/fail against a published rubric.",
                "outcomes": [lo[2]],
            },
        ],
        "prerequisites": [
            {
                "kind": "skill",
                "description": "Programming in one general-purpose language and use of git.",
                "related_reference": "",
            },
        ],
        "stackability": [
            {
                "qualification": "MSc Cloud Computing",
                "awarding_body": "University of Northbridge",
                "credits": 5.0,
            },
        ],
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
