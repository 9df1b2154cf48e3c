"""The form of the email method's setup step: the address that receives the tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .utils import account_email, mask_email

__all__ = ["EmailForm"]


class EmailForm(forms.Form):
    """The address for tokens; left empty, the tokens go to the account's own address."""

    email = forms.EmailField(
        label=_("Email address"), required=False, max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}))

    error_messages = {
        "no_address": _("Your account has no email address. Please enter the address that "
                        "should receive your tokens."),
    }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        address = self.account_email()
        field = self.fields["email"]
        if address:
            field.help_text = _("Leave empty to use the address of your account (%(email)s).") % {
                "email": mask_email(address)}
        else:
            field.widget.attrs["required"] = True  # in the page; clean_email() says why

    def account_email(self) -> str:
        """The address of the user's account ("" when there is none)."""
        return account_email(self.user)

    def clean_email(self) -> str:
        email = self.cleaned_data.get("email") or ""
        if not email and not self.account_email():
            raise forms.ValidationError(self.error_messages["no_address"], code="no_address")
        local, at, domain = email.rpartition("@")
        return f"{local}{at}{domain.lower()}"  # the domain is not case-sensitive
