"""Screening rules are data: every seeded rule fires on its answer, and only then."""

import pytest

from patients import choices, screening
from patients.models import ScreeningRule

pytestmark = pytest.mark.usefixtures("screening_rules")


def all_no():
    return {key: "no" for key, _, _ in choices.SCREENING_QUESTIONS}


def test_all_no_answers_raise_no_flag():
    assert screening.evaluate(all_no(), ScreeningRule.objects.all()) == []


@pytest.mark.parametrize(
    ("question", "answer", "treatment", "severity"),
    [
        ("bleeding_disorder", "yes", "prp", "contraindicated"),
        ("anticoagulants", "yes", "prp", "caution"),
        ("pregnancy", "yes", "all", "defer"),
        ("cancer", "yes", "stem_cell", "contraindicated"),
        ("scalp_condition", "yes", "injections", "defer"),
        ("smoking", "yes", "transplant", "caution"),
        ("anaesthetic_allergy", "yes", "transplant", "caution"),
        ("autoimmune", "yes", "prp", "caution"),
    ],
)
def test_design_rules_flag_the_right_treatment(question, answer, treatment, severity):
    flags = screening.evaluate({**all_no(), question: answer}, ScreeningRule.objects.all())
    assert (treatment, severity) in {(f.treatment, f.severity) for f in flags}


def test_every_seeded_rule_fires_on_its_own_answer_alone():
    rules = list(ScreeningRule.objects.all())
    assert len(rules) >= 10
    for rule in rules:
        flags = screening.evaluate({**all_no(), rule.question: rule.answer}, rules)
        assert rule.pk in {f.rule_id for f in flags}, rule
        assert all(f.reason for f in flags)


def test_inactive_rules_and_other_answers_do_not_fire():
    rule = ScreeningRule.objects.get(question="bleeding_disorder", answer="yes", treatment="prp")
    rule.is_active = False
    rule.save()
    flags = screening.evaluate(
        {**all_no(), "bleeding_disorder": "yes"}, ScreeningRule.objects.filter(is_active=True)
    )
    assert rule.pk not in {f.rule_id for f in flags}


def test_flags_come_most_serious_first():
    answers = {**all_no(), "bleeding_disorder": "yes", "anticoagulants": "yes", "pregnancy": "yes"}
    severities = [f.severity for f in screening.evaluate(answers, ScreeningRule.objects.all())]
    order = [key for key, _ in choices.SEVERITIES]
    assert severities == sorted(severities, key=order.index)
    assert severities[0] == "contraindicated"


def test_a_rule_added_by_an_admin_is_used_without_code():
    ScreeningRule.objects.create(
        question="smoking",
        answer="yes",
        treatment="prp",
        severity="caution",
        reason="Smoking lowers platelet function.",
    )
    flags = screening.evaluate({**all_no(), "smoking": "yes"}, ScreeningRule.objects.all())
    assert "Smoking lowers platelet function." in {f.reason for f in flags}
