"""Work queued with ``after_commit`` runs exactly when its transaction commits: never after
a rollback, whatever savepoints came between; a savepoint's rollback drops only what was
queued inside it; a savepoint's release is not a commit."""

from __future__ import annotations

import pytest

from qa_portal.core.db import after_commit, commit
from qa_portal.extensions import db


@pytest.fixture
def ran():
    return []


def test_a_commit_runs_it_and_a_rollback_drops_it(ran):
    after_commit(lambda: ran.append("committed"))
    commit()
    db.session.execute(db.text("SELECT 1"))  # (work is queued inside a transaction)
    after_commit(lambda: ran.append("rolled back"))
    db.session.rollback()
    commit()
    assert ran == ["committed"]


def test_a_released_savepoint_is_not_a_commit(ran):
    db.session.execute(db.text("SELECT 1"))
    with db.session.begin_nested():
        after_commit(lambda: ran.append("inside"))
    assert ran == []
    db.session.rollback()  # the transaction itself rolls back
    commit()
    assert ran == []


def test_a_savepoint_rolled_back_drops_only_what_it_queued(ran):
    db.session.execute(db.text("SELECT 1"))
    after_commit(lambda: ran.append("before"))
    with pytest.raises(ValueError), db.session.begin_nested():
        after_commit(lambda: ran.append("inside"))
        raise ValueError
    with db.session.begin_nested():
        after_commit(lambda: ran.append("released"))
    after_commit(lambda: ran.append("after"))
    commit()
    assert ran == ["before", "released", "after"]
