"""Template context processors of cells."""

import datetime

from .choices import Role
from .permissions import DECIDING_ROLES, EDITING_ROLES, SECOND_FACTOR_ROLES, role_paths
from .sessions import SECOND_FACTOR_DEADLINE_SESSION_KEY


class AccountMenu:
    """Which account links the navbar shows; computed only when a template asks (one cached
    role lookup per request, shared with the view)."""

    def __init__(self, user, session=None):
        self.user = user
        self.session = session

    def _roles(self) -> set[str]:
        if getattr(self.user, "is_superuser", False):
            return set(Role.values)
        return {role for _path, role in role_paths(self.user)}

    @property
    def second_factor(self) -> bool:
        return bool(self._roles() & SECOND_FACTOR_ROLES)

    @property
    def second_factor_due(self) -> datetime.date | None:
        """The enrolment deadline to remind of (None when nothing is owed)."""
        deadline = self.session.get(SECOND_FACTOR_DEADLINE_SESSION_KEY) if self.session else None
        return datetime.date.fromisoformat(deadline) if deadline else None

    @property
    def on_behalf(self) -> bool:
        return bool(self._roles() & EDITING_ROLES)

    @property
    def administration(self) -> bool:
        return Role.ADMIN in self._roles()

    # The main menu offers only the screens the role can use (a cell secretary enters and
    # imports; only a deciding role reviews).
    @property
    def imports(self) -> bool:
        return bool(self._roles() & EDITING_ROLES)

    @property
    def review(self) -> bool:
        return bool(self._roles() & DECIDING_ROLES)


def account_menu(request) -> dict:
    """Template context processor: `account_menu` for authenticated users."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"account_menu": AccountMenu(user, getattr(request, "session", None))}
