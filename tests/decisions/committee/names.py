"""Names the committee tests share."""

COMMITTEE_NAME = "Accreditation Committee"
