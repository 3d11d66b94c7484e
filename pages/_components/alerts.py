"""The alert trigger: the rules evaluated once per data version and day, by who may record alerts."""
from __future__ import annotations

from pages._components.auth import actor
from pages._components.data import _evaluate, data_version, db_path


def evaluate_alerts(force: bool = False) -> None:
    """Evaluate the alert rules once per data version and day, unless the store says they were
    (an import evaluates them as it lands): a fresh server's first visit does not evaluate again.
    `force` evaluates now. Evaluation records alerts, so only a user who may record them triggers
    it; others read what is recorded."""
    import datetime as dt

    by = actor()
    if not by.can("evaluate alerts"):
        return
    if force:
        _evaluate.clear()
    _evaluate(db_path(), data_version(), dt.date.today(), by, force)
