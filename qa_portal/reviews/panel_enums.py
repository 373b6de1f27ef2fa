"""The values of the panel-composition and site-visit settings (ESG 2.3 and 2.4): a panel
member's role, how much of the panel a public report discloses, whether a site visit is part
of the procedure, and a visit's mode and state. Plain enums, so the review policy's columns
(``reviews/models.py``) can use them before the models that hold panels and visits."""

from __future__ import annotations

import enum

from qa_portal.core.models import LabelledEnum


class PanelRole(LabelledEnum):
    """A reviewer's role on the panel of a round. The secretary (when the policy uses one)
    keeps the minutes and may review like any member; the secretary is not counted towards
    the required member types (``reviews/panel_rules.py``)."""

    CHAIR = "chair"
    MEMBER = "member"
    SECRETARY = "secretary"


class PanelDisclosure(enum.StrEnum):
    """What the public report says of the panel: names, roles and member types, or roles
    and member types only (names withheld). The internal report always names them."""

    NAMES_ROLES_TYPES = "names_roles_types"
    ROLES_TYPES = "roles_types"

    @property
    def label(self) -> str:
        return {
            "names_roles_types": "Names, roles and member types",
            "roles_types": "Roles and member types only (names withheld)",
        }[self.value]


class SiteVisitPolicy(enum.StrEnum):
    """Whether a round has a site visit or interview with the provider."""

    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"

    @property
    def label(self) -> str:
        return {
            "none": "No site visit",
            "optional": "Optional: the officer may schedule one",
            "required": "Required before the decision",
        }[self.value]


class SiteVisitMode(enum.StrEnum):
    ON_SITE = "on_site"
    ONLINE = "online"

    @property
    def label(self) -> str:
        return {"on_site": "On site", "online": "Online interview"}[self.value]


class SiteVisitState(LabelledEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"
