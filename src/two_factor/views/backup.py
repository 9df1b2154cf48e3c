"""``BackupTokensView``: see your backup tokens, and replace them by new ones."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView

from django_otp.conf import settings as otp_settings
from django_otp.plugins.otp_static.models import StaticToken

from ..events import BACKUP_TOKENS_GENERATED, emit
from ..flows.backup import StaleBatch, backup_device, new_batch, replace_backup_tokens
from ..forms import BackupTokensForm
from .mixins import OTPLoginRequiredMixin, ReauthenticationRequiredMixin


@method_decorator(never_cache, name="dispatch")
class BackupTokensView(OTPLoginRequiredMixin, ReauthenticationRequiredMixin, FormView):
    """List the user's backup tokens; a POST replaces them by ``number_of_tokens`` new ones.

    Backup tokens let a user sign in when their phone is lost or flat; each works once. Only
    a verified session may see or renew them (others go to ``OTP_LOGIN_URL``). With
    ``OTP_STATIC_HASH_TOKENS`` the tokens are stored hashed: the POST answers with the new
    tokens itself, the only time they are shown.
    """

    form_class = BackupTokensForm
    success_url = "two_factor:backup_tokens"
    template_name = "two_factor/core/backup_tokens.html"
    number_of_tokens = 10

    def get_device(self):
        return backup_device(self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """``device``, ``tokens`` (to show), ``tokens_shown_once`` and ``remaining`` (a count).

        Stored in plain text, the tokens are listed on every visit. Stored hashed, they cannot
        be: the page shows how many are left, and the new ones once, right after a POST.
        """
        context = super().get_context_data(**kwargs)
        if "device" not in context:  # (a POST that generated tokens passes all four)
            hashed = otp_settings.OTP_STATIC_HASH_TOKENS
            device = context["device"] = self.get_device()
            context["tokens"] = [] if hashed else list(device.token_set.order_by("pk"))
            context["tokens_shown_once"] = False
            context["remaining"] = device.token_set.count() if hashed else len(context["tokens"])
        return context

    def get_initial(self) -> dict[str, Any]:
        return {**super().get_initial(), "batch": new_batch()}

    def form_valid(self, form: forms.Form) -> HttpResponse:
        # A double click sends the page's batch twice: both requests write the same codes, so
        # the ones the browser shows (the second answer) are the ones kept.
        try:
            device, codes = replace_backup_tokens(self.request.user, self.number_of_tokens,
                                                  batch=form.cleaned_data.get("batch") or None)
        except StaleBatch:
            return self.form_invalid(self.expired_form(form))
        emit(self.request, BACKUP_TOKENS_GENERATED, device=device)
        if not otp_settings.OTP_STATIC_HASH_TOKENS:
            return redirect(self.success_url)
        # Stored hashed, the codes can be shown only now, in this answer (never cached), with
        # a form of a new batch: the button then makes new codes, not these again.
        shown = [StaticToken(device=device, token=code) for code in codes]
        fresh = self.get_form_class()(initial=self.get_initial(), prefix=self.get_prefix())
        return self.render_to_response(self.get_context_data(
            form=fresh, device=device, tokens=shown, tokens_shown_once=True,
            remaining=len(codes)))

    def expired_form(self, form: forms.Form) -> forms.Form:
        """``form`` of a page that was open too long or sent again, bound again to what it
        was sent with but a new batch, and saying why nothing was generated."""
        data = self.request.POST.copy()  # what the form was bound to (get_form_kwargs)
        data[form.add_prefix("batch")] = new_batch()
        form = self.get_form_class()(**{**self.get_form_kwargs(), "data": data})
        form.full_clean()
        form.add_error(None, _("This page had expired, so no new tokens were generated. Press "
                               "the button again to generate them."))
        return form
