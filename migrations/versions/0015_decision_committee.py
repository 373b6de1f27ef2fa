"""decision committee: the deciding body in the policy, proposals, votes, and on decisions

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 18:30:00.000000

Many agencies decide in a board or an accreditation committee on the officer's proposal.
The review policy gains who decides (``decision_body``: ``officer``, as until now, or
``committee``), the committee's name and its quorum of votes. ``decision_proposal`` holds
the officer's proposals (open, decided, withdrawn; one open per dossier) and
``committee_vote`` the members' votes (one per member). Every decision records its deciding
body ("QA officer" for the decisions taken so far), the meeting date and the proposal it
decided. Downgrade drops them (decisions keep their outcome and rationale).
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

OPEN = sa.text("state = 'open'")


def upgrade():
    with op.batch_alter_table("review_policy", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("decision_body", sa.String(length=20), nullable=False, server_default="officer")
        )
        batch_op.add_column(
            sa.Column("committee_name", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("committee_quorum", sa.Integer(), nullable=False, server_default="3")
        )
    with op.batch_alter_table("review_policy", schema=None) as batch_op:
        for name in ("decision_body", "committee_name", "committee_quorum"):
            batch_op.alter_column(name, server_default=None)

    op.create_table(
        "decision_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "approved", "approved_with_conditions", "revise_and_resubmit", "rejected",
                "desk_rejected", name="outcome", native_enum=False, length=24,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("validity_years", sa.Integer(), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open", "decided", "withdrawn", name="proposalstate", native_enum=False,
                length=9, create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawal_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"],
            name=op.f("fk_decision_proposal_dossier_id_dossier"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["user_account.id"],
            name=op.f("fk_decision_proposal_proposed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["review_round.id"],
            name=op.f("fk_decision_proposal_round_id_review_round"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_proposal")),
    )
    with op.batch_alter_table("decision_proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_proposal_dossier_id"), ["dossier_id"])
        batch_op.create_index(batch_op.f("ix_decision_proposal_round_id"), ["round_id"])
        batch_op.create_index(batch_op.f("ix_decision_proposal_state"), ["state"])
        batch_op.create_index(
            "uq_decision_proposal_open", ["dossier_id"], unique=True,
            sqlite_where=OPEN, postgresql_where=OPEN,
        )

    op.create_table(
        "committee_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "vote",
            sa.Enum(
                "agree", "disagree", "abstain", name="votechoice", native_enum=False,
                length=8, create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("voted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["user_account.id"],
            name=op.f("fk_committee_vote_member_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["decision_proposal.id"],
            name=op.f("fk_committee_vote_proposal_id_decision_proposal"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_vote")),
        sa.UniqueConstraint(
            "proposal_id", "member_id", name=op.f("uq_committee_vote_proposal_id_member_id")
        ),
    )
    with op.batch_alter_table("committee_vote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_committee_vote_proposal_id"), ["proposal_id"])

    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "deciding_body", sa.String(length=200), nullable=False, server_default="QA officer"
            )
        )
        batch_op.add_column(sa.Column("meeting_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("proposal_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_decision_proposal_id"), ["proposal_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_decision_proposal_id_decision_proposal"),
            "decision_proposal", ["proposal_id"], ["id"], ondelete="SET NULL",
        )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.alter_column("deciding_body", server_default=None)


def downgrade():
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_decision_proposal_id_decision_proposal"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_decision_proposal_id"))
        batch_op.drop_column("proposal_id")
        batch_op.drop_column("meeting_date")
        batch_op.drop_column("deciding_body")
    with op.batch_alter_table("committee_vote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_committee_vote_proposal_id"))
    op.drop_table("committee_vote")
    with op.batch_alter_table("decision_proposal", schema=None) as batch_op:
        batch_op.drop_index("uq_decision_proposal_open")
        batch_op.drop_index(batch_op.f("ix_decision_proposal_state"))
        batch_op.drop_index(batch_op.f("ix_decision_proposal_round_id"))
        batch_op.drop_index(batch_op.f("ix_decision_proposal_dossier_id"))
    op.drop_table("decision_proposal")
    with op.batch_alter_table("review_policy", schema=None) as batch_op:
        batch_op.drop_column("committee_quorum")
        batch_op.drop_column("committee_name")
        batch_op.drop_column("decision_body")
