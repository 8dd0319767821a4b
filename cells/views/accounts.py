"""Account screens: password change, an administrator's reset of a user's password, TOTP
enrolment and verification, and "on behalf of" entry.

Thin: forms check what was typed, cells.accounts decides and audits. Accounts outside an
administrator's subtree are a 404 (cells.accounts.user_get_manageable).
"""

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, ListView, TemplateView
from django_otp import login as otp_login
from django_otp import user_has_device

from cells import accounts
from cells.models import RoleAssignment
from cells.permissions import can_use_second_factor
from cells.sessions import SECOND_FACTOR_DEADLINE_SESSION_KEY, owes_second_factor


class PasswordChangeView(FormView):
    """Change one's own password (the old one is asked again)."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        user = accounts.user_password_set(
            actor=self.request.user,
            user=self.request.user,
            password=form.cleaned_data["new_password1"],
        )
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password was changed."))
        return redirect("home")


class AdminRequiredMixin:
    def dispatch(self, request, *args, **kwargs):
        if not accounts.can_manage_users(request.user):
            raise PermissionDenied(_("Only administrators manage user accounts."))
        return super().dispatch(request, *args, **kwargs)


class UserListView(AdminRequiredMixin, ListView):
    """The accounts of the administrator's subtree, with their roles."""

    template_name = "accounts/user_list.html"
    context_object_name = "users"
    paginate_by = 50

    def get_queryset(self):
        return accounts.users_manageable_by(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page_users = list(context["users"])
        roles: dict[int, list] = {}
        for assignment in RoleAssignment.objects.filter(user__in=page_users).select_related(
            "organization"
        ):
            roles.setdefault(assignment.user_id, []).append(assignment)
        for user in page_users:
            user.role_list = roles.get(user.pk, [])
        context["users"] = page_users
        return context


class UserPasswordResetForm(SetPasswordForm):
    reset_second_factor = forms.BooleanField(
        label=gettext_lazy("Also remove two-step verification (lost phone)"), required=False
    )


class UserPasswordResetView(AdminRequiredMixin, FormView):
    """An administrator sets a new password for an account of their subtree (and unlocks it)."""

    template_name = "accounts/user_password_reset.html"
    form_class = UserPasswordResetForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and accounts.can_manage_users(request.user):
            self.target = accounts.user_get_manageable(user=request.user, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.target}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            target=self.target, has_device=user_has_device(self.target), **kwargs
        )

    def form_valid(self, form):
        try:
            accounts.user_password_set(
                actor=self.request.user,
                user=self.target,
                password=form.cleaned_data["new_password1"],
                reset_second_factor=form.cleaned_data["reset_second_factor"],
            )
        except ValidationError as exc:
            form.add_error("new_password2", exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The password of %(name)s was reset.") % {"name": self.target.get_username()},
        )
        return redirect("accounts:user_list")


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("6-digit code from the authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class TOTPEnrolView(FormView):
    """Turn on two-step verification: scan the QR code, type the first code."""

    template_name = "accounts/totp_enrol.html"
    form_class = TokenForm

    def dispatch(self, request, *args, **kwargs):
        if not can_use_second_factor(request.user):
            raise PermissionDenied(_("Two-step verification is for reviewers and administrators."))
        self.device = accounts.totp_device_pending(user=request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        qr = segno.make(self.device.config_url, error="m")
        secret = self.device.config_url.split("secret=", 1)[1].split("&", 1)[0]
        return super().get_context_data(
            qr_svg=qr.svg_inline(scale=5, border=2, light="#fff", dark="#000"),
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            enabled=user_has_device(self.request.user, confirmed=True),
            **kwargs,
        )

    def form_valid(self, form):
        if not accounts.totp_device_confirm(
            actor=self.request.user, device=self.device, token=form.cleaned_data["token"]
        ):
            form.add_error("token", _("The code is not correct. Check the phone's time and retry."))
            return self.form_invalid(form)
        otp_login(self.request, self.device)
        self.request.session.pop(SECOND_FACTOR_DEADLINE_SESSION_KEY, None)
        messages.success(self.request, _("Two-step verification is on."))
        return redirect("home")


class TOTPVerifyView(FormView):
    """After the password: the code from the authenticator app (a user with a device)."""

    template_name = "accounts/totp_verify.html"
    form_class = TokenForm

    def next_url(self) -> str:
        url = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if url_has_allowed_host_and_scheme(
            url, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return url
        return reverse("home")

    def dispatch(self, request, *args, **kwargs):
        if not owes_second_factor(request.user):
            return redirect(self.next_url())
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=self.next_url(), **kwargs)

    def form_valid(self, form):
        device = accounts.totp_verify(user=self.request.user, token=form.cleaned_data["token"])
        if device is None:
            form.add_error("token", _("The code is not correct. Check the phone's time and retry."))
            return self.form_invalid(form)
        otp_login(self.request, device)
        return redirect(self.next_url())


class OnBehalfView(TemplateView):
    """Commune staff enter data for a cell's secretary: choose the secretary, or stop.

    While on, every audit row records both people (cells.security.AuditContextMiddleware).
    """

    template_name = "accounts/on_behalf.html"

    def dispatch(self, request, *args, **kwargs):
        if not accounts.can_enter_on_behalf(request.user):
            raise PermissionDenied(_("Only staff who may edit units enter data for others."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            candidates=accounts.on_behalf_candidates(user=self.request.user)[:200], **kwargs
        )

    def post(self, request, *args, **kwargs):
        if "stop" in request.POST:
            accounts.on_behalf_stop(actor=request.user, session=request.session)
            messages.success(request, _("You now enter data in your own name only."))
            return redirect("accounts:on_behalf")
        pk = request.POST.get("user", "")
        if not pk.isdigit():
            messages.error(request, _("Choose the secretary you enter data for."))
            return redirect("accounts:on_behalf")
        other = accounts.on_behalf_candidates(user=request.user).filter(pk=int(pk)).first()
        if other is None:
            raise PermissionDenied(_("You may not enter data for this user."))
        accounts.on_behalf_start(actor=request.user, session=request.session, other=other)
        messages.success(
            request,
            _("You now enter data on behalf of %(name)s.")
            % {"name": other.get_full_name() or other.get_username()},
        )
        return redirect("home")
