"""Roles of a user on a node of the tree, with dates."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import (
    Role,
)
from .tree import Organization


class RoleAssignment(models.Model):
    """A user's role on an organization node, valid for a period (a term ends, reforms move people).

    A role covers the node and its whole subtree; there is no global "district user".
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="role_assignments",
        on_delete=models.CASCADE,
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        related_name="role_assignments",
        on_delete=models.PROTECT,
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    start = models.DateField(_("from"), null=True, blank=True)
    end = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user", "organization"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="role_valid"),
            models.UniqueConstraint(
                fields=["user", "organization", "role"], name="role_assignment_unique"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.organization}"
