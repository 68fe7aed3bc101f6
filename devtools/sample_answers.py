"""Sample answers to the booking form, as a patient's browser posts them.

One copy for everything that fills in the form without a person: the benchmarks post it, the
demo clinic saves its intake answers from it, and the tests' ``valid_form`` builds on it. The
answers pass the form's validation and raise no screening flag unless an override asks for one.
"""

from patients import choices

# The patient's details and the consent to care on the details page.
DETAILS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "Ada@Example.com",
    "phone": "07400 900123",
    # The date of birth's three boxes: day, month, year.
    "date_of_birth_0": "10",
    "date_of_birth_1": "12",
    "date_of_birth_2": "1985",
    "consent_care": "on",
}

# The hair-loss intake: a receding hairline (Norwood III) that minoxidil has helped.
INTAKE = {
    "main_concern": "receding",
    "areas": ["hairline", "temples"],
    "onset": "1to3y",
    "progression": "slow",
    "stage": "nh3",
    "family_history": ["father_side"],
    "triggers": ["stress"],
    "tried_minoxidil": "3to12m",
    "outcome_minoxidil": "helped",
    "current_medicines": "None",
    "goals": "Keep what I have.",
    "treatments_of_interest": ["prp", "medication"],
}


def _with_overrides(data: dict, overrides: dict) -> dict:
    # An override of None leaves the field out, as a browser sends nothing for an empty one.
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def intake_answers(**overrides) -> dict:
    """Return the intake answers, every screening question answered "no", with ``overrides``."""
    data = dict(INTAKE)
    for key, _, _ in choices.SCREENING_QUESTIONS:
        data[f"screen_{key}"] = "no"
    return _with_overrides(data, overrides)


def booking_form(**overrides) -> dict:
    """Return the details page's whole form (details, consent and intake) with ``overrides``."""
    return _with_overrides({**DETAILS, **intake_answers()}, overrides)
