"""``LoginView``: the password, then a token of the user's device (or a backup token).

A thin wizard over ``two_factor.flows.login``. Steps: ``auth`` (username and password),
``token`` (when the user has a device, unless a remember cookie vouches for it) and ``backup``
(when the user asks for it). Every step is validated once; between the steps the session keeps
only the user's pk and backend, the time of the password step (``authentication_time``) and the
small state that ``flows.login.begin`` records. The password step's own entries are those of
django-two-factor-auth's sessions: ``step_data`` ``{"auth": None}``, nothing validated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import RedirectURLMixin
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from ..conf import settings
from ..events import BACKUP_TOKEN_USED, REMEMBER_COOKIE_USED, emit
from ..flows import login as flows
from ..flows.audit import token_failure_event
from ..flows.backup import backup_token_count
from ..flows.remember import delete_remember_cookie, set_remember_cookie
from ..forms import AuthenticationTokenForm, BackupTokenForm
from ..plugins.registry import registry
from ..wizard.views import IdempotentSessionWizardView
from .mixins import OTPRequiredMixin
from .setup import SETUP_NEXT_SESSION_KEY


@method_decorator([sensitive_post_parameters(), csrf_protect, never_cache], name="dispatch")
class LoginView(RedirectURLMixin, IdempotentSessionWizardView):
    AUTH_STEP, TOKEN_STEP, BACKUP_STEP = "auth", "token", "backup"  # the old names of the steps
    template_name = "two_factor/core/login.html"
    storage_name = "two_factor.views.utils.LoginStorage"
    form_list = (("auth", AuthenticationForm), ("token", AuthenticationTokenForm),
                 ("backup", BackupTokenForm))
    # Through the methods, so that a subclass's own has_token_step() decides.
    condition_dict = {"token": lambda wizard: wizard.has_token_step(),
                      "backup": lambda wizard: wizard.has_backup_step()}
    idempotent_dict = {"auth": False, "token": False, "backup": False}
    redirect_authenticated_user = False
    notice: Any = None
    #: The names of the remember cookies this request found invalid: its response deletes them.
    rejected_cookies: Sequence[str] = ()

    def has_token_step(self) -> bool:
        """Whether the sign-in asks for a token: the user has a device, no remember cookie
        vouched for it, and the backup step was not chosen. A site may override it (as with
        django-two-factor-auth); False signs the user in with the password alone."""
        state = self.storage.extra_data
        return bool(state.get("device")) and not state.get("remembered") and not state.get("backup")

    def has_backup_step(self) -> bool:
        """Whether the sign-in asks for a backup token: the user chose to give one."""
        return bool(self.storage.extra_data.get("backup"))

    def get_cancel_url(self) -> str | None:
        """Where Cancel goes: ``LOGOUT_REDIRECT_URL`` when set (as in django-two-factor-auth),
        else this page again, which starts over; on the password step nothing to cancel."""
        if django_settings.LOGOUT_REDIRECT_URL:
            return str(resolve_url(django_settings.LOGOUT_REDIRECT_URL))
        return self.request.get_full_path() if self.steps.current != "auth" else None

    def get_default_redirect_url(self) -> str:
        return resolve_url(self.next_page or django_settings.LOGIN_REDIRECT_URL)

    # The user and devices of the sign-in in progress, each loaded at most once per request.

    def get_user(self) -> Any:
        if "_user" not in self.__dict__:
            storage = self.storage
            self._user = storage.authenticated_user if storage.has_authenticated_user else None
        return self._user

    def get_device(self, step: str | None = None) -> Any:
        """The device of ``step``: the backup device, or the one asked for a token."""
        backup = (step or self.steps.current) == "backup"
        name = "_backup_device" if backup else "_device"
        if name not in self.__dict__:
            user, device_id = self.get_user(), self.storage.extra_data.get("device")
            if user is None or not device_id:
                self.__dict__[name] = None
            else:
                self.__dict__[name] = (
                    flows.backup_device(user) if backup else
                    flows.find_user_device(user, device_id, loaded=self.storage.loaded_device))
        return self.__dict__[name]

    def _forget(self, **keep: Any) -> None:
        for name in ("_user", "_device", "_backup_device", "_resolved_form_list",
                     "_cache_signature"):
            self.__dict__.pop(name, None)
        self.__dict__.update(keep)

    # Requests

    def get(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.redirect_authenticated_user and flows.signed_in_already(request.user):
            redirect_to = self.get_success_url()
            if redirect_to == request.path:
                raise ValueError(
                    f"Redirection loop: {type(self).__name__} would send the signed-in user "
                    f"back to itself ({redirect_to}). Check that LOGIN_REDIRECT_URL (or the "
                    "view's next_page) does not point to the login page.")
            return HttpResponseRedirect(redirect_to)
        response = super().get(request, *args, **kwargs)
        response.render()
        # A visitor who only looks at the page gets no session: the password step starts one.
        session = request.session
        if session.session_key is None and list(session.keys()) == [self.storage.prefix]:
            session.modified = False
        return response

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        response = self.handle_post(*args, **kwargs)
        for name in self.rejected_cookies:  # so that the browser stops sending them
            delete_remember_cookie(response, name)
        return response

    def handle_post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        data, state = self.request.POST, self.storage.extra_data
        posted_step = data.get(f"{self.prefix}-current_step")
        # Anything but a password sent anew acts on the sign-in in progress: it must still hold.
        goes_on = posted_step != "auth" or "challenge_device" in data or "wizard_goto_step" in data
        if state.get("device") and goes_on:
            reason = flows.cancel_reason(state, self.get_user(),
                                         self.storage.data.get("authentication_time"))
            if reason is not None or self.get_device("token") is None:
                return self.restart(reason or "changed")  # or the device was removed
        if "challenge_device" in data:
            return self.choose_device(data["challenge_device"])
        goto = data.get("wizard_goto_step")
        if goto in ("token", "backup") and state.get("device"):
            return self.choose_backup(goto == "backup")
        if posted_step is not None and posted_step not in self.get_form_list():
            return self.restart("start_again")
        return super().post(*args, **kwargs)

    def restart(self, reason: str) -> HttpResponse:
        """Drop the sign-in in progress; show the password step with why as its form's error
        (``flows.MESSAGES``), where django-two-factor-auth put its timeout message."""
        self.storage.reset()
        self._forget()
        self.storage.current_step = self.steps.first
        form = self.get_form()
        form.cleaned_data = {}  # an unbound form has none, and add_error expects it
        form.add_error(None, flows.MESSAGES[reason])
        return self.render(form)

    def choose_device(self, device_id: str) -> HttpResponse:
        """"Use another device": make it the token step's device, and challenge it."""
        user = self.get_user()
        if user is None or not self.storage.extra_data.get("device"):
            return self.restart("start_again")
        device = flows.find_user_device(user, device_id, require_method=True)
        if device is None:  # the token step as it was, with why: a 200, as the old view answered
            self.notice = flows.MESSAGES["not_your_device"]
            return self.render(self.get_form())
        self.storage.extra_data.update(device=device.persistent_id, backup=False)
        self._forget(_user=user, _device=device)
        self.storage.current_step = "token"
        if device.is_interactive():
            self.notice = flows.send_challenge(device, self.request)
        return self.render(self.get_form())

    def choose_backup(self, backup: bool) -> HttpResponse:
        """Switch between the token step and the backup step."""
        user = self.get_user()
        if user is None:
            return self.restart("start_again")
        if backup and backup_token_count(user) == 0:
            self.notice = flows.MESSAGES["no_backup_tokens"]
            return self.render(self.get_form())
        self.storage.extra_data["backup"] = backup
        self._forget(_user=user)
        self.storage.current_step = "backup" if backup else "token"
        return self.render(self.get_form())

    def render(self, form: Any = None, **kwargs: Any) -> HttpResponse:
        event = token_failure_event(form) if self.steps.current in ("token", "backup") else None
        if event is not None:  # the token step's form refused a token: wrong, or throttled
            emit(self.request, event, user=self.get_user(), device=self.get_device())
        return super().render(form, **kwargs)

    # The wizard

    def get_form_list(self) -> Any:
        form_list = super().get_form_list()
        if form_list.get("token") is AuthenticationTokenForm and self.get_device("token"):
            method = registry.method_from_device(self.get_device("token"))
            if method is not None:
                form_list["token"] = method.get_token_form_class()
        return form_list

    def get_form(self, step: str | None = None, data: Any = None, files: Any = None) -> Any:
        # A step stored as ``{}`` (validated once, never kept) is shown unbound, not in error.
        return super().get_form(step, data or None, files)

    def get_form_kwargs(self, step: str | None = None) -> dict[str, Any]:
        step = step or self.steps.current
        if step in ("token", "backup"):
            device = self.get_device(step)
            kwargs = {"user": self.get_user(), "initial_device": device}
            if step == "token" and device is not None:
                kwargs.update(self.get_method_form_kwargs(device))
            return kwargs
        return {"request": self.request} if step == "auth" else {}

    def get_method_form_kwargs(self, device: Any) -> dict[str, Any]:
        """What the device's method adds to its own token form (the request, say)."""
        method = registry.method_from_device(device)
        if method is None or self.get_form_list().get("token") is not method.get_token_form_class():
            return {}
        return method.get_token_form_kwargs(self.request, device)

    def is_step_visible(self, step: str, form_class: Any = None) -> bool:
        if step == "auth":  # passed once the storage keeps a user (see process_step)
            return not self.storage.has_authenticated_user
        return super().is_step_visible(step, form_class)

    def process_step(self, form: Any) -> Any:
        if self.steps.current != "auth":
            return super().process_step(form)
        user = form.get_user()
        self.storage.authenticated_user = user
        self.storage.data["authentication_time"] = flows.started_at()
        device, self.rejected_cookies = flows.begin(self.storage.extra_data, self.request, user)
        self._forget(_user=user, _device=device)
        if (device is not None and not self.storage.extra_data.get("remembered")
                and device.is_interactive()):
            # The token step asks for a token that the device must send first (a text
            # message, a call): send it once, now that the password is right.
            self.notice = flows.send_challenge(device, self.request)
        super().process_step(form)  # forgets what later steps validated
        # The password step is kept as the user and ``authentication_time`` alone: as in
        # django-two-factor-auth's sessions, its step data is None (no input, no password) and
        # it is not in ``validated_step_data`` (``render_done`` takes the user as its proof).
        self.storage.validated_step_data.pop("auth", None)
        return None

    def serializable_cleaned_data(self, step: str, form: Any) -> dict[str, Any]:
        # Of the cleaned data only "remember this browser" is needed later; never credentials.
        return {"remember": bool(form.cleaned_data.get("remember"))} if step == "token" else {}

    def render_done(self, form: Any, **kwargs: Any) -> HttpResponse:
        # The base class finishes only when every step validated once is in
        # ``validated_step_data``; the password step is not kept there: its user is its proof.
        if self.storage.has_authenticated_user:
            self.storage.validated_step_data["auth"] = {}
        response = super().render_done(form, **kwargs)
        self.request.session.pop(self.storage.prefix, None)
        return response

    def done(self, form_list: Any, **kwargs: Any) -> HttpResponse:
        form_dict, user = kwargs.get("form_dict", {}), self.get_user()
        step = "backup" if "backup" in form_dict else "token"
        verified = step in form_dict or self.storage.extra_data.get("remembered")
        device = (getattr(user, "otp_device", None) or self.get_device(step)) if verified else None
        remembered = device is not None and step not in form_dict  # no token: a cookie vouched
        if not flows.finish_attempt(self.storage.extra_data):
            return self.restart("start_again")
        if device is not None and (step == "backup" or remembered):
            emit(self.request, BACKUP_TOKEN_USED if step == "backup" else REMEMBER_COOKIE_USED,
                 user=user, device=device)
        flows.complete_sign_in(self.request, user, device, remembered=remembered)
        if device is None and OTPRequiredMixin.is_otp_view(self.get_redirect_url()):
            # No device, on the way to a page that asks for one: set one up first. The setup's
            # last page then offers the way on (``SetupCompleteView``), as the session's "next".
            self.request.session[SETUP_NEXT_SESSION_KEY] = self.get_success_url()
            return redirect("two_factor:setup")
        response = HttpResponseRedirect(self.get_success_url())
        remember = "token" in form_dict and form_dict["token"].cleaned_data.get("remember")
        if remember and device is not None and settings.TWO_FACTOR_REMEMBER_COOKIE_AGE:
            set_remember_cookie(response, user, device.persistent_id, request=self.request,
                                device=device)
        return response

    def get_context_data(self, form: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(form=form, **kwargs)
        step = self.steps.current
        device = self.get_device("token") if step == "token" else None
        context.update(flows.step_context(self.get_user(), device, step, self.notice))
        context.update(
            cancel_url=self.get_cancel_url(),
            notice=self.notice, redirect_field_name=self.redirect_field_name,
            redirect_field_value=self.get_redirect_url(),
            auth_step_templates=[method.auth_step_template for method in registry.get_methods()
                                 if method.auth_step_template] if step == "auth" else [])
        return context
