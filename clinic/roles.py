"""Staff roles and what each may do: the whole matrix, written down in one place.

Roles are Django groups. A migration creates them from this table; when the table changes, a new
migration applies it again (``clinic/migrations/_roles.py``), so every database follows it.

- Reception runs the day: schedules, bookings, check-in, patients' contact details, and the
  visits of treatment plans (their names and windows, to book them). Not the clinical answers,
  the screening flags, the photos or a plan's clinical content.
- Practitioners see everything clinical of the patients they see (a care team: anyone with an
  upcoming or past consultation with a patient reads that patient's whole clinical history),
  and the schedule.
- Clinic admins do everything: configuration, staff, screening rules, audit trail, export and
  erasure, and the clinic's outcome figures (``treatments.view_outcomerecord``: theirs alone).
"""

from clinic.access import load_access

RECEPTION = "Reception"
PRACTITIONER = "Practitioner"
CLINIC_ADMIN = "Clinic admin"
ROLES = (RECEPTION, PRACTITIONER, CLINIC_ADMIN)

_SCHEDULE_VIEW = {
    "bookings.view_location",
    "bookings.view_practitioner",
    "bookings.view_consultationtype",
    "bookings.view_workinghours",
    "bookings.view_timeoff",
    "bookings.view_closure",
    "bookings.view_resource",
    "bookings.view_resourcehours",
}
_BOOKINGS = {"bookings.view_booking", "bookings.add_booking", "bookings.change_booking"}
# Who waits for a time: names and e-mails, read on the day's waitlist page. Patients leave
# through their own link, or ask reception to take them off (delete); no one but a clinic admin
# changes an entry.
_WAITLIST = {"bookings.view_waitlistentry"}
_CLINICAL = {
    "patients.view_assessment",
    "patients.add_assessment",
    "patients.change_assessment",
    "patients.view_hairlossintake",
    "patients.change_hairlossintake",
    "patients.view_intakephoto",
    "patients.view_screeningflag",
    "patients.view_consent",
    # Progress across visits: the practitioner's measures and the clinic's standard photos.
    "patients.view_visitmeasures",
    "patients.add_visitmeasures",
    "patients.change_visitmeasures",
    "patients.view_clinicphoto",
    "patients.add_clinicphoto",
    # Treatment plans: made by the practitioner from their assessment.
    "treatments.view_plan",
    "treatments.add_plan",
    "treatments.change_plan",
    "treatments.view_planstep",
    "treatments.view_planconsent",
    "treatments.view_protocol",
    "treatments.view_sessionrecord",
    "treatments.add_sessionrecord",
    "treatments.change_sessionrecord",
}

ROLE_PERMISSIONS = {
    RECEPTION: _SCHEDULE_VIEW
    | _BOOKINGS
    | _WAITLIST
    | {
        "bookings.add_timeoff",
        "bookings.change_timeoff",
        "bookings.delete_waitlistentry",
        "patients.view_patient",
        "patients.add_patient",
        "patients.change_patient",
        # A plan's visits and their windows (not its clinical content), to book them by phone.
        "treatments.view_planstep",
    },
    PRACTITIONER: _SCHEDULE_VIEW | _BOOKINGS | _WAITLIST | _CLINICAL | {"patients.view_patient"},
    # Every permission of these apps: configuration included.
    CLINIC_ADMIN: {
        "bookings.*",
        "patients.*",
        "treatments.*",
        "clinic.view_clinicalread",
        # Staff who lose their phone or their backup codes get new ones from a clinic admin.
        "otp_static.*",
        "otp_totp.*",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
    },
}


def permissions_for(role, permission_model):
    """Return the Permission rows a role is given, expanding ``app.*``."""
    wanted = ROLE_PERMISSIONS[role]
    rows = permission_model.objects.select_related("content_type")
    return [
        p
        for p in rows
        if f"{p.content_type.app_label}.{p.codename}" in wanted
        or f"{p.content_type.app_label}.*" in wanted
    ]


def sync_roles(group_model, permission_model):
    """Create the role groups and give each exactly the permissions of the matrix."""
    for role in ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.set(permissions_for(role, permission_model))


def has_role(user, role) -> bool:
    """Whether ``user`` holds ``role``; a superuser holds every role."""
    return user.is_superuser or role in roles_of(user)


def roles_of(user) -> list[str]:
    """The roles ``user`` holds, in the matrix's order (a superuser counts as a clinic admin).

    Read with their permissions in one query (``clinic.access.load_access``) and kept on the
    user object for the rest of the request, since the permission check, the staff navigation
    and the pages all ask.
    """
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_clinic_roles", None)
    if cached is None:
        load_access(user)
        held = set(user._group_names)
        if user.is_superuser:
            held.add(CLINIC_ADMIN)
        cached = [role for role in ROLES if role in held]
        user._clinic_roles = cached
    return cached
