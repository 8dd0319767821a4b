"""Template context processors of cells."""

from .choices import Role
from .permissions import DECIDING_ROLES, EDITING_ROLES, SECOND_FACTOR_ROLES, role_paths


class AccountMenu:
    """Which account links the navbar shows; computed only when a template asks (one cached
    role lookup per request, shared with the view)."""

    def __init__(self, user):
        self.user = user

    def _roles(self) -> set[str]:
        if getattr(self.user, "is_superuser", False):
            return set(Role.values)
        return {role for _path, role in role_paths(self.user)}

    @property
    def second_factor(self) -> bool:
        return bool(self._roles() & SECOND_FACTOR_ROLES)

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
    return {"account_menu": AccountMenu(user)}
