"""Helpers of the concurrency tests: actors racing each other, each in its own thread."""

from __future__ import annotations

import threading
from collections.abc import Callable

from qa_portal.extensions import db

Prepare = Callable[[], Callable[[], object]]


def race(app, actors: list[Prepare]) -> list[object]:
    """Run each actor in its own thread and application context: it prepares (loads what it
    needs), waits at the barrier for the others, then acts. Returns what each act returned
    or raised. Like a request's, an actor's transaction begins when it acts: what it loaded
    is read again then (an actor waiting at the barrier in a transaction would hold
    SQLite's write lock, and the others could not prepare)."""
    barrier = threading.Barrier(len(actors), timeout=30)
    results: list[object] = [None] * len(actors)

    def run(i: int, prepare: Prepare) -> None:
        with app.app_context():
            passed = False
            try:
                act = prepare()
                db.session.rollback()
                barrier.wait()
                passed = True
                results[i] = act()
            except BaseException as exc:  # handed to the test, which fails on surprises
                if not passed:  # nobody waits for an actor that failed (once all have
                    barrier.abort()  # passed, an abort would break the others' wait)
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "an actor is stuck (deadlock?)"
    return results
