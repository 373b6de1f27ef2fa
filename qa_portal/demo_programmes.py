"""The programmes of the demo's dossiers: what each one's content differs by from the
cloud-native programme of ``demo_data``, so that a statistics course has statistics outcomes
and a Dutch provider's course a Dutch region and web page."""

from __future__ import annotations


def _outcome(statement: str, domain: str, code: str = "", url: str = "") -> dict:
    return {
        "statement": statement,
        "eqf_domain": domain,
        "framework_name": "ESCO" if url else "",
        "framework_code": code,
        "framework_url": url,
    }


def _assessment(method: str, description: str, weight: int, supervision: str, outcomes) -> dict:
    return {
        "method": method,
        "description": description,
        "weight": weight,
        "supervision": supervision,
        "pass_criteria": "50 % overall and every assessed outcome demonstrated.",
        "outcomes": tuple(outcomes),
    }


NORTHBRIDGE = {"country": "IE", "region": "Leinster", "national_level": "NFQ level 8"}
ACADEMY = {
    "country": "NL",
    "region": "Noord-Holland",
    "national_level": "NLQF level 5",
    "eqf_level": 5,
    "qf_ehea_cycle": "short_cycle",
    "partners": [],
    "stackability": [],
    "recognition_arrangements": "Credits recognised towards the Academy's Associate degree "
    "in Data and Digital Skills (HBO), under its credit transfer regulation.",
    "internal_qa": "Reviewed by the Academy's examination board and its quality office each "
    "year, with learner surveys and an external assessor.",
}

# Each demo dossier's own programme: what differs from the cloud-native one above, so that a
# statistics course has statistics outcomes and a Dutch provider's course a Dutch region.
PROGRAMMES: dict[str, dict] = {
    "Green Software Engineering": {
        **NORTHBRIDGE,
        "summary": "Measure and reduce the energy use and carbon footprint of software.",
        "description": "Energy measurement of applications, carbon-aware scheduling, "
        "efficient data handling and green procurement of cloud services.",
        "web_page": "https://www.northbridge.ie/micro/green-software",
        "keywords": ["sustainability", "software engineering", "energy efficiency"],
        "outcomes": (
            _outcome("Measure the energy consumption of a software service under load.", "skills"),
            _outcome("Apply carbon-aware scheduling to batch workloads.", "skills"),
            _outcome(
                "Explain the life-cycle emissions of software and hardware choices.", "knowledge"
            ),
        ),
        "assessments": (
            _assessment(
                "project",
                "Optimise a service and report measured savings.",
                70,
                "identity_checked",
                (0, 1),
            ),
            _assessment(
                "written_exam",
                "Short written examination on emissions.",
                30,
                "online_proctored",
                (2,),
            ),
        ),
        "stackability": [
            {
                "qualification": "MSc Software Engineering",
                "awarding_body": "University of Northbridge",
                "credits": 5.0,
            }
        ],
    },
    "Kubernetes Security Hardening": {
        **NORTHBRIDGE,
        "isced_code": "0612",
        "summary": "Secure container platforms: hardening, policies and incident response.",
        "description": "Threat modelling of clusters, admission policies, secrets management, "
        "runtime detection and incident handling.",
        "web_page": "https://www.northbridge.ie/micro/kubernetes-security",
        "keywords": ["Kubernetes", "security", "DevSecOps"],
        "outcomes": (
            _outcome("Harden a Kubernetes cluster against the CIS benchmark.", "skills"),
            _outcome("Write admission policies that enforce least privilege.", "skills"),
            _outcome(
                "Lead the response to a simulated container breach.", "responsibility_autonomy"
            ),
        ),
        "assessments": (
            _assessment(
                "practical_demonstration",
                "Harden a cluster in a supervised lab.",
                60,
                "identity_checked",
                (0, 1),
            ),
            _assessment(
                "simulation", "Incident-response exercise with a debrief.", 40, "in_person", (2,)
            ),
        ),
    },
    "Machine Learning Operations": {
        **NORTHBRIDGE,
        "summary": "Put machine-learning models into production and keep them reliable.",
        "description": "Model packaging, feature stores, continuous training, monitoring "
        "for drift and responsible deployment.",
        "web_page": "https://www.northbridge.ie/micro/mlops",
        "keywords": ["machine learning", "MLOps", "model monitoring"],
        "outcomes": (
            _outcome("Package and deploy a trained model behind a versioned API.", "skills"),
            _outcome("Monitor a deployed model for data drift and retrain it.", "skills"),
            _outcome(
                "Explain the risks of automated decisions to stakeholders.",
                "responsibility_autonomy",
            ),
        ),
        "assessments": (
            _assessment(
                "project",
                "Deploy and monitor a model for four weeks.",
                70,
                "identity_checked",
                (0, 1),
            ),
            _assessment(
                "oral_exam", "Oral defence of the deployment choices.", 30, "online_proctored", (2,)
            ),
        ),
        "stackability": [
            {
                "qualification": "MSc Data Science",
                "awarding_body": "University of Northbridge",
                "credits": 5.0,
            }
        ],
    },
    "Agile Project Leadership": {
        **NORTHBRIDGE,
        "isced_code": "0413",
        "summary": "Lead agile projects and teams in organisations of any size.",
        "description": "Scrum and Kanban, product ownership, stakeholder management, "
        "scaling agile practices and coaching teams.",
        "web_page": "https://www.northbridge.ie/micro/agile-leadership",
        "keywords": ["project management", "leadership", "agile"],
        "outcomes": (
            _outcome("Plan and run an iteration with a cross-functional team.", "skills"),
            _outcome("Compare agile frameworks for a given organisational context.", "knowledge"),
            _outcome(
                "Take responsibility for a team's delivery and improvement.",
                "responsibility_autonomy",
            ),
        ),
        "assessments": (
            _assessment(
                "portfolio",
                "Portfolio of an agile project the learner led.",
                60,
                "identity_checked",
                (0, 2),
            ),
            _assessment("written_exam", "Case-study examination.", 40, "online_proctored", (1,)),
        ),
        "stackability": [
            {
                "qualification": "MSc Management",
                "awarding_body": "University of Northbridge",
                "credits": 5.0,
            }
        ],
    },
    "Digital Accessibility Essentials": {
        **NORTHBRIDGE,
        "isced_code": "0611",
        "summary": "Design and test web content that everyone can use.",
        "description": "WCAG 2.2, assistive technologies, accessible design patterns and "
        "audits, and the European Accessibility Act.",
        "web_page": "https://www.northbridge.ie/micro/accessibility",
        "keywords": ["accessibility", "WCAG", "web design"],
        "outcomes": (
            _outcome("Audit a web page against WCAG 2.2 level AA.", "skills"),
            _outcome("Explain the obligations of the European Accessibility Act.", "knowledge"),
            _outcome("Fix accessibility defects in HTML, CSS and ARIA.", "skills"),
        ),
        "assessments": (
            _assessment(
                "project", "Audit and repair a real web site.", 70, "identity_checked", (0, 2)
            ),
            _assessment(
                "written_exam",
                "Online examination on the legal framework.",
                30,
                "online_proctored",
                (1,),
            ),
        ),
    },
    "Applied Data Analysis with Python": {
        **ACADEMY,
        "isced_code": "0542",
        "eqf_level": 5,
        "summary": "Analyse real data sets with Python, pandas and sound statistics.",
        "description": "Data cleaning, exploratory analysis, regression and communicating "
        "results, with weekly notebooks and a final analysis project.",
        "web_page": "https://dsacademy.eu/python",
        "keywords": ["data analysis", "Python", "statistics"],
        "outcomes": (
            _outcome("Clean and reshape a messy data set with pandas.", "skills"),
            _outcome("Fit and interpret a linear regression model.", "skills"),
            _outcome(
                "Explain the limits of an analysis to a non-specialist audience.",
                "responsibility_autonomy",
            ),
        ),
        "assessments": (
            _assessment(
                "project", "Analysis project with a written report.", 70, "identity_checked", (0, 1)
            ),
            _assessment("oral_exam", "Presentation of the results.", 30, "online_proctored", (2,)),
        ),
    },
    "Introduction to Cybersecurity Operations": {
        **ACADEMY,
        "isced_code": "0612",
        "eqf_level": 5,
        "summary": "Work in a security operations centre: monitoring, triage and response.",
        "description": "Log analysis, SIEM use, alert triage, incident handling and reporting.",
        "web_page": "https://dsacademy.eu/soc",
        "keywords": ["cybersecurity", "SOC", "incident response"],
        "outcomes": (
            _outcome("Triage security alerts in a SIEM.", "skills"),
            _outcome("Describe the phases of incident handling.", "knowledge"),
            _outcome("Write an incident report for management.", "skills"),
        ),
        "assessments": (
            _assessment(
                "simulation",
                "Supervised SOC shift in a simulated environment.",
                60,
                "online_proctored",
                (0, 2),
            ),
            _assessment("written_exam", "Online examination.", 40, "online_proctored", (1,)),
        ),
    },
    "Social Media Marketing Basics": {
        **ACADEMY,
        "isced_code": "0414",
        "eqf_level": 4,
        "national_level": "NLQF level 4",
        "qf_ehea_cycle": None,
        "summary": "Plan and run social media campaigns for a small business.",
        "description": "Channels, content planning, paid promotion and simple analytics.",
        "web_page": "https://dsacademy.eu/social-media",
        "keywords": ["marketing", "social media"],
        "outcomes": (
            _outcome("Plan a month of social media content for a small business.", "skills"),
            _outcome("Read campaign analytics and adjust the plan.", "skills"),
            _outcome("Describe the rules on advertising and personal data.", "knowledge"),
        ),
        "assessments": (
            _assessment("project", "A campaign plan with its analytics.", 100, "none", (0, 1, 2)),
        ),
    },
    "Data Visualisation for Analysts": {
        **ACADEMY,
        "isced_code": "0542",
        "summary": "Turn data into clear, honest charts and dashboards.",
        "description": "Perception and chart choice, visual encoding, dashboards and "
        "storytelling with data, in Python and a BI tool.",
        "web_page": "https://dsacademy.eu/visualisation",
        "keywords": ["data analysis", "statistics", "visualisation"],
        "outcomes": (
            _outcome("Choose a chart type that fits the data and the question.", "knowledge"),
            _outcome("Build an interactive dashboard from a data set.", "skills"),
            _outcome("Critique misleading charts and correct them.", "skills"),
        ),
        "assessments": (
            _assessment(
                "portfolio",
                "Portfolio of charts and one dashboard.",
                70,
                "identity_checked",
                (1, 2),
            ),
            _assessment(
                "written_exam", "Online examination on chart choice.", 30, "online_proctored", (0,)
            ),
        ),
    },
    "Applied Statistics with R": {
        **ACADEMY,
        "isced_code": "0542",
        "summary": "Statistical inference and modelling with R for working analysts.",
        "description": "Probability, estimation, hypothesis tests, linear and logistic "
        "models, and reproducible reports with R Markdown.",
        "web_page": "https://dsacademy.eu/statistics-r",
        "keywords": ["statistics", "R", "data analysis"],
        "outcomes": (
            _outcome("Choose and carry out an appropriate hypothesis test in R.", "skills"),
            _outcome("Fit, check and interpret linear and logistic regression models.", "skills"),
            _outcome("Explain statistical uncertainty in a reproducible report.", "knowledge"),
        ),
        "assessments": (
            _assessment(
                "project",
                "Reproducible statistical report on a real data set.",
                60,
                "identity_checked",
                (1, 2),
            ),
            _assessment(
                "written_exam", "Proctored examination on inference.", 40, "online_proctored", (0,)
            ),
        ),
    },
    "Blockchain for Managers": {
        **ACADEMY,
        "isced_code": "0413",
        "summary": "What blockchains can and cannot do for a business.",
        "description": "Distributed ledgers, smart contracts, tokenisation, regulation and "
        "business cases, without programming.",
        "web_page": "https://dsacademy.eu/blockchain",
        "keywords": ["blockchain", "management", "innovation"],
        "outcomes": (
            _outcome("Explain how a distributed ledger reaches consensus.", "knowledge"),
            _outcome("Assess whether a blockchain fits a business case.", "skills"),
            _outcome("Describe the EU rules on crypto-assets (MiCA).", "knowledge"),
        ),
        "assessments": (
            _assessment(
                "written_exam", "Case-study examination.", 100, "online_proctored", (0, 1, 2)
            ),
        ),
    },
}


def _simple(summary, web, keywords, outcomes, project, exam, **fields) -> dict:
    """A programme with three outcomes, a project (the first two) and an examination (the
    third)."""
    return {
        "summary": summary,
        "description": summary,
        "web_page": web,
        "keywords": keywords,
        "outcomes": tuple(_outcome(s, d) for s, d in outcomes),
        "assessments": (
            _assessment("project", project, 70, "identity_checked", (0, 1)),
            _assessment("written_exam", exam, 30, "online_proctored", (2,)),
        ),
        **fields,
    }


NB = "https://www.northbridge.ie/micro/"
DSA = "https://dsacademy.eu/"
PROGRAMMES.update(
    {
        "Site Reliability Engineering Foundations": _simple(
            "Keep production services reliable with SLOs, error budgets and incident practice.",
            NB + "sre",
            ["site reliability engineering", "SLO", "incident management"],
            [
                ("Define service-level objectives and error budgets for a service.", "skills"),
                ("Run a blameless post-incident review.", "responsibility_autonomy"),
                ("Explain the trade-offs between reliability and delivery speed.", "knowledge"),
            ],
            "Operate a service against its SLOs for three weeks.",
            "Examination on reliability principles.",
            **NORTHBRIDGE,
        ),
        "Container Platform Operations": _simple(
            "Run a shared container platform for several development teams.",
            NB + "container-platforms",
            ["containers", "platform engineering", "multi-tenancy"],
            [
                ("Configure multi-tenant namespaces with quotas and network policies.", "skills"),
                ("Upgrade a production cluster without downtime.", "skills"),
                ("Describe the responsibilities of a platform team.", "knowledge"),
            ],
            "Operate and upgrade a shared cluster in a lab.",
            "Examination on platform operations.",
            **NORTHBRIDGE,
        ),
        "Continuous Delivery in Practice": _simple(
            "Release software safely many times a day.",
            NB + "continuous-delivery",
            ["continuous delivery", "DevOps", "release engineering"],
            [
                ("Build a deployment pipeline with automated quality gates.", "skills"),
                ("Roll out a release progressively with feature flags and canaries.", "skills"),
                ("Explain how delivery metrics relate to organisational performance.", "knowledge"),
            ],
            "Build and demonstrate a deployment pipeline for a sample service.",
            "Examination on delivery practices and metrics.",
            **NORTHBRIDGE,
        ),
        "Responsible AI for Product Teams": _simple(
            "Design AI features that are fair, transparent and compliant with the AI Act.",
            NB + "responsible-ai",
            ["artificial intelligence", "ethics", "AI Act"],
            [
                ("Assess an AI feature for bias with appropriate fairness metrics.", "skills"),
                ("Write model documentation that explains an AI feature to its users.", "skills"),
                ("Classify an AI system under the risk levels of the EU AI Act.", "knowledge"),
            ],
            "Responsible-AI review of a product feature, with its documentation.",
            "Examination on the AI Act.",
            isced_code="0613",
            **NORTHBRIDGE,
        ),
        "Data Protection for Practitioners": _simple(
            "Apply the GDPR in everyday work with personal data.",
            NB + "data-protection",
            ["GDPR", "data protection", "privacy"],
            [
                ("Carry out a data protection impact assessment.", "skills"),
                ("Draft a record of processing activities for a department.", "skills"),
                ("Explain the lawful bases for processing personal data.", "knowledge"),
            ],
            "An impact assessment and a record of processing for a real case.",
            "Examination on the GDPR.",
            isced_code="0421",
            **NORTHBRIDGE,
        ),
        "Cloud Cost Management": _simple(
            "Understand, allocate and reduce the cost of cloud services.",
            NB + "cloud-cost",
            ["cloud computing", "FinOps", "cost management"],
            [
                ("Allocate a cloud bill to teams with tags and cost reports.", "skills"),
                ("Propose savings from rightsizing and commitments, with their risks.", "skills"),
                ("Describe the FinOps life cycle and its roles.", "knowledge"),
            ],
            "A cost-optimisation project on a real cloud account.",
            "Examination on FinOps.",
            isced_code="0413",
            **NORTHBRIDGE,
        ),
        "Blockchain Fundamentals": _simple(
            "How blockchains work, from hashing to smart contracts.",
            NB + "blockchain",
            ["blockchain", "distributed ledgers", "smart contracts"],
            [
                ("Write and test a simple smart contract.", "skills"),
                ("Analyse the security of a consensus protocol.", "skills"),
                ("Explain hashing, signatures and Merkle trees.", "knowledge"),
            ],
            "A tested smart contract with a security analysis.",
            "Examination on the cryptographic foundations.",
            isced_code="0612",
            **NORTHBRIDGE,
        ),
        "Supply Chain Analytics with Python": _simple(
            "Forecast demand and optimise inventory with Python.",
            DSA + "supply-chain",
            ["supply chain", "forecasting", "Python"],
            [
                ("Forecast demand from sales history with a time-series model.", "skills"),
                ("Optimise reorder points and safety stock for a product range.", "skills"),
                ("Explain the bullwhip effect and its causes.", "knowledge"),
            ],
            "Forecasting and inventory project on a retailer's data.",
            "Examination on supply-chain concepts.",
            isced_code="0413",
            **ACADEMY,
        ),
        "Quantum Computing for Business Leaders": _simple(
            "What quantum computing will change for businesses, and when.",
            DSA + "quantum",
            ["quantum computing", "innovation", "management"],
            [
                (
                    "Apply a quantum algorithm to a small optimisation problem on a simulator.",
                    "skills",
                ),
                ("Evaluate a vendor's claim of quantum advantage for a business case.", "skills"),
                ("Explain qubits, superposition and entanglement to colleagues.", "knowledge"),
            ],
            "A business case on a quantum use case.",
            "Online multiple-choice quiz.",
            isced_code="0413",
            **ACADEMY,
        ),
        "Accessible Web Design": _simple(
            "Design web sites that people with disabilities can use.",
            DSA + "accessible-web",
            ["web accessibility", "WCAG", "design"],
            [
                ("Design page layouts and components that meet WCAG 2.2 AA.", "skills"),
                ("Test a site with a screen reader and keyboard only.", "skills"),
                ("Describe the needs of users with different disabilities.", "knowledge"),
            ],
            "Design and test an accessible web site.",
            "Examination on accessibility guidelines.",
            isced_code="0613",
            **ACADEMY,
        ),
    }
)
