"""Who may do what: four roles, each with the rights of the one before it.

viewer reads; analyst also imports and undoes data (which re-checks the alert rules);
manager also writes notes, handles alerts and rules, and shares links; admin also manages
users (settings come from the environment, see config.py). Every function
in intel that changes the store takes the acting user (`by`) and calls `require` first, so a
page that forgets to hide a button still cannot change anything it should not.
"""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("viewer", "analyst", "manager", "admin")

# action -> the least role allowed to do it
ACTIONS = {
    "import data": "analyst",        # import, undo an import, (re)load the demo data
    "evaluate alerts": "analyst",    # records alerts: runs after data changes
    "edit notes": "manager",         # notes and the suggestions they come from
    "handle alerts": "manager",      # acknowledge, snooze, resolve
    "edit alert rules": "manager",
    "share views": "manager",        # create and revoke read-only links
    "manage users": "admin",
}


class NotAllowed(PermissionError):
    """The acting user's role does not allow the action; the message says which role would."""


@dataclass(frozen=True)
class Actor:
    """A signed-in user (or the local operator) as the store records them."""
    name: str
    role: str

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"Unknown role '{self.role}': choose one of {', '.join(ROLES)}.")

    def can(self, action: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(ACTIONS[action])

    def require(self, action: str) -> "Actor":
        if not self.can(action):
            raise NotAllowed(f"{self.name} ({self.role}) cannot {action}: "
                             f"that needs the {ACTIONS[action]} role or above.")
        return self


def require(by, action: str) -> Actor:
    """`by` if it may do `action`; NotAllowed otherwise (also when no user is given)."""
    if not isinstance(by, Actor):
        raise NotAllowed(f"Nobody signed in can {action}: sign in first.")
    return by.require(action)


LOCAL_ADMIN = Actor("local", "admin")         # sign-in mode none, and the command line
SHARED_VIEWER = Actor("shared link", "viewer")   # whoever opens a share link


def operator() -> Actor:
    """Whoever runs the command line: they hold the store file itself, so they act as admin,
    recorded under their login name."""
    import getpass

    try:
        return Actor(getpass.getuser(), "admin")
    except Exception:   # no login name in some containers
        return LOCAL_ADMIN
