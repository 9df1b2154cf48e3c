"""``IdempotentSessionWizardView``: a session wizard whose non-idempotent steps run once.

A step whose form is not idempotent (a token step: the token is used up when checked) is
validated once; its cleaned data is kept in ``storage.validated_step_data`` and the step is
never validated again, neither when the wizard finishes nor when the user steps back. Going
back to an earlier step and submitting it again discards what later steps validated, so a
user cannot pass the token step and then change the credentials before it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpResponse
from formtools.wizard.views import SessionWizardView

from two_factor.rendering import render_stock_templates_in_python

logger = logging.getLogger(__name__)


class IdempotentSessionWizardView(SessionWizardView):
    storage_name = "two_factor.views.utils.ExtraSessionStorage"
    #: ``{step: False}`` for the steps whose form may be validated only once.
    idempotent_dict: dict[str, bool] = {}

    def is_step_idempotent(self, step: str) -> bool:
        return self.idempotent_dict.get(step, True)

    def is_step_visible(self, step: str, form_class: Any = None) -> bool:
        """A step is shown unless it is non-idempotent and already validated."""
        return self.is_step_idempotent(step) or step not in self.storage.validated_step_data

    def _visible_steps(self) -> list[str]:
        return [step for step, form in self.get_form_list().items() if self.is_step_visible(step, form)]

    def get_prev_step(self, step: str | None = None) -> str | None:
        step = step or self.steps.current
        steps = list(self.get_form_list())
        visible = set(self._visible_steps())
        earlier = [s for s in steps[:steps.index(step)] if s in visible] if step in steps else []
        return earlier[-1] if earlier else None

    def get_next_step(self, step: str | None = None) -> str | None:
        step = step or self.steps.current
        steps = list(self.get_form_list())
        visible = set(self._visible_steps())
        later = [s for s in steps[steps.index(step) + 1:] if s in visible] if step in steps else []
        return later[0] if later else None

    def get_form_step_data(self, form: Any) -> Any:
        # A non-idempotent step keeps only its cleaned data: its raw input (a token) is not
        # needed again, and must not be replayed.
        if not self.is_step_idempotent(self.steps.current):
            return {}
        return super().get_form_step_data(form)

    def get_cleaned_data_for_step(self, step: str) -> Any:
        if not self.is_step_idempotent(step):
            return self.storage.validated_step_data.get(step)
        return super().get_cleaned_data_for_step(step)

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        """Start over when the current step is no longer available (conditions changed); stay
        on it when the form names a step this wizard does not have."""
        steps = self.get_form_list()
        if self.steps.current not in steps:
            logger.info("Wizard step %r is no longer available; starting over", self.steps.current)
            self.storage.reset()
            self.storage.current_step = self.steps.first
            return self.render(self.get_form())
        posted = self.request.POST.get(f"{self.prefix}-current_step")
        if posted is not None and posted not in steps:
            return self.render(self.get_form())
        return super().post(*args, **kwargs)

    def get_form(self, step: str | None = None, data: Any = None, files: Any = None) -> Any:
        # Its inputs and labels are written in Python while they are Django's stock templates:
        # they were most of the time of a sign-in page (see two_factor.rendering).
        return render_stock_templates_in_python(super().get_form(step, data, files))

    def process_step_files(self, form: Any) -> dict[str, Any]:
        # No step takes a file: one sent anyway is not kept (formtools would refuse it with an
        # error, as the wizard has no file storage).
        return {}

    def process_step(self, form: Any) -> Any:
        """Keep the cleaned data of a non-idempotent step; forget what later steps validated."""
        step = self.steps.current
        steps = list(self.get_form_list())
        later = steps[steps.index(step) + 1:]
        validated = self.storage.validated_step_data
        for later_step in later:
            validated.pop(later_step, None)
        if not self.is_step_idempotent(step):
            validated[step] = self.serializable_cleaned_data(step, form)
        self.storage.validated_step_data = validated
        return super().process_step(form)

    def serializable_cleaned_data(self, step: str, form: Any) -> dict[str, Any]:
        """What of a non-idempotent step's cleaned data the session keeps (JSON-safe)."""
        return {name: value for name, value in form.cleaned_data.items()
                if isinstance(value, str | int | float | bool | type(None))}

    def render_done(self, form: Any, **kwargs: Any) -> HttpResponse:
        """Validate every idempotent step again; take validated data for the others."""
        final_forms: dict[str, Any] = {}
        for step in self.get_form_list():
            if not self.is_step_idempotent(step):
                if step not in self.storage.validated_step_data:
                    return self.render_revalidation_failure(step, self.get_form(step=step), **kwargs)
                if step == self.steps.current:
                    step_form = form
                else:
                    step_form = self.get_form(step=step)
                    step_form.cleaned_data = self.storage.validated_step_data[step]
                final_forms[step] = step_form
                continue
            step_form = self.get_form(step=step, data=self.storage.get_step_data(step),
                                      files=self.storage.get_step_files(step))
            if not step_form.is_valid():
                return self.render_revalidation_failure(step, step_form, **kwargs)
            final_forms[step] = step_form
        response = self.done(list(final_forms.values()), form_dict=final_forms, **kwargs)
        self.storage.reset()
        return response
