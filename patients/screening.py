"""Screening: read the intake's medical answers against the rules table and raise flags.

A pure function of (answers, rules), so each rule can be tested alone. The software supports the
practitioner's decision; it does not make it.
"""

from dataclasses import dataclass

from patients.choices import SEVERITIES

SEVERITY_RANK = {key: rank for rank, (key, _) in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Flag:
    treatment: str
    severity: str
    reason: str
    rule_id: int | None = None


def evaluate(answers: dict[str, str], rules) -> list[Flag]:
    """Return the flags raised by ``answers``, most serious first.

    ``rules`` are objects with ``question``, ``answer``, ``treatment``, ``severity``, ``reason``
    and ``pk`` (ScreeningRule rows, or anything shaped like them).
    """
    flags = [
        Flag(rule.treatment, rule.severity, rule.reason, rule.pk)
        for rule in rules
        if answers.get(rule.question) == rule.answer
    ]
    return sorted(flags, key=lambda f: (SEVERITY_RANK.get(f.severity, 99), f.treatment))


# The recommended options (choices.RECOMMENDATIONS) each flagged treatment (choices.FLAG_TREATMENTS)
# speaks of. Tests, referral and "no treatment" are never held back by a flag.
_INJECTED = {"prp", "stem_cell_adipose", "stem_cell_marrow", "exosomes"}
_TREATMENTS = _INJECTED | {"micro_needling", "medication", "transplant"}
FLAGGED_OPTIONS = {
    "prp": {"prp"},
    "stem_cell": {"stem_cell_adipose", "stem_cell_marrow"},
    "exosomes": {"exosomes"},
    "micro_needling": {"micro_needling"},
    "medication": {"medication"},
    "transplant": {"transplant"},
    "injections": _INJECTED,
    "all": _TREATMENTS,
}


def flags_against(flags, recommendations) -> list:
    """Return the flags (anything with ``treatment``) that speak against one of the
    recommended options, in the order given."""
    chosen = set(recommendations or ())
    return [flag for flag in flags if FLAGGED_OPTIONS.get(flag.treatment, set()) & chosen]
