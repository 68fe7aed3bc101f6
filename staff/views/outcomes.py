"""The clinic's outcomes by treatment, for clinic admins: read from anonymous records only, so
no patient is read and nothing goes into the audit trail of clinical reads."""

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import render
from django.views import View

from staff.auth import StaffRequiredMixin
from treatments.outcomes import MIN_PATIENTS, outcome_figures


class OutcomesView(StaffRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "treatments.view_outcomerecord"
    raise_exception = True

    def get(self, request):
        context = {"outcomes": outcome_figures(), "min_patients": MIN_PATIENTS}
        return render(request, "staff/outcomes.html", context)
