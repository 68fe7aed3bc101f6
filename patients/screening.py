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
