"""The clinic's starting screening rules. Clinic admins change them in the admin."""

from django.db import migrations

RULES = [
    (
        "bleeding_disorder",
        "yes",
        "prp",
        "contraindicated",
        "Bleeding or platelet disorder: PRP is contraindicated.",
    ),
    (
        "bleeding_disorder",
        "yes",
        "injections",
        "caution",
        "Bleeding or platelet disorder: check clotting before any injected treatment.",
    ),
    (
        "bleeding_disorder",
        "not_sure",
        "prp",
        "caution",
        "Unsure about a bleeding or platelet disorder: ask, and consider a blood count before PRP.",
    ),
    (
        "anticoagulants",
        "yes",
        "prp",
        "caution",
        "Takes anticoagulant or antiplatelet medicines: caution for PRP (bruising, weaker effect).",
    ),
    (
        "anticoagulants",
        "yes",
        "transplant",
        "caution",
        "Takes anticoagulant or antiplatelet medicines: plan around them before surgery.",
    ),
    (
        "scalp_condition",
        "yes",
        "injections",
        "defer",
        "Active scalp infection or skin disease: defer injections and micro-needling until treated.",
    ),
    (
        "scalp_condition",
        "yes",
        "micro_needling",
        "defer",
        "Active scalp infection or skin disease: defer micro-needling until treated.",
    ),
    (
        "cancer",
        "yes",
        "stem_cell",
        "contraindicated",
        "Cancer now or in the last five years: stem cell therapy is contraindicated.",
    ),
    (
        "cancer",
        "yes",
        "prp",
        "caution",
        "Cancer now or in the last five years: discuss PRP with the oncology team first.",
    ),
    (
        "cancer",
        "prefer_not",
        "stem_cell",
        "caution",
        "Preferred not to say about cancer: ask in the consultation before stem cell therapy.",
    ),
    (
        "autoimmune",
        "yes",
        "prp",
        "caution",
        "Autoimmune disease: consider alopecia areata and other causes; caution for PRP.",
    ),
    (
        "pregnancy",
        "yes",
        "all",
        "defer",
        "Pregnant, trying to conceive or breastfeeding: defer treatment; several medicines are unsafe.",
    ),
    (
        "anaesthetic_allergy",
        "yes",
        "transplant",
        "caution",
        "Past reaction to a local anaesthetic: review before any procedure under local anaesthetic.",
    ),
    (
        "anaesthetic_allergy",
        "yes",
        "stem_cell",
        "caution",
        "Past reaction to a local anaesthetic: review before fat or marrow collection.",
    ),
    (
        "smoking",
        "yes",
        "transplant",
        "caution",
        "Smokes: higher risk of poor graft survival and slower healing; advise stopping.",
    ),
]


def add_rules(apps, schema_editor):
    ScreeningRule = apps.get_model("patients", "ScreeningRule")
    for question, answer, treatment, severity, reason in RULES:
        ScreeningRule.objects.update_or_create(
            question=question,
            answer=answer,
            treatment=treatment,
            defaults={"severity": severity, "reason": reason},
        )


def remove_rules(apps, schema_editor):
    ScreeningRule = apps.get_model("patients", "ScreeningRule")
    for question, answer, treatment, *_ in RULES:
        ScreeningRule.objects.filter(question=question, answer=answer, treatment=treatment).delete()


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_intake")]

    operations = [migrations.RunPython(add_rules, remove_rules)]
