"""The treatment catalogue shown to patients: what each option is, plainly described.

Kept as data rather than in a template so that the home page, the treatments page and later
the booking flow describe each treatment the same way.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Treatment:
    slug: str
    name: str
    summary: str
    what_it_is: str
    what_to_expect: str
    recovery: str
    expectations: str


TREATMENTS = (
    Treatment(
        slug="prp",
        name="PRP (platelet-rich plasma)",
        summary="Your own blood, concentrated and injected into thinning areas of the scalp.",
        what_it_is=(
            "A small sample of your blood is taken and spun in a centrifuge to separate the "
            "platelet-rich plasma. The plasma contains growth factors that may support hair "
            "follicles that are shrinking but still alive."
        ),
        what_to_expect=(
            "The session takes about an hour. The scalp may be numbed first, then the plasma is "
            "injected in a grid over the thinning areas. Most people have three or four sessions a "
            "month apart, then a top-up every six to twelve months."
        ),
        recovery=(
            "Mild soreness, redness or a headache for a day or two. You can go back to work the "
            "same day; avoid washing your hair and hard exercise for 24 hours."
        ),
        expectations=(
            "PRP works best for early to moderate thinning and cannot regrow hair where follicles "
            "have gone. Results vary from person to person and take three to six months to judge. "
            "It is not suitable for people with some blood and platelet disorders."
        ),
    ),
    Treatment(
        slug="stem-cell",
        name="Stem cell therapy",
        summary=(
            "Cells taken from your own fat (adipose-derived) or bone marrow, prepared and placed "
            "in the scalp."
        ),
        what_it_is=(
            "Adipose-derived therapy uses a small amount of fat taken by gentle liposuction, "
            "usually from the abdomen or thigh. Bone-marrow-derived therapy uses marrow drawn from "
            "the hip bone. In both, the sample is processed to concentrate regenerative cells, "
            "which are then injected into the thinning areas."
        ),
        what_to_expect=(
            "A half-day procedure under local anaesthetic: the collection, the preparation in the "
            "clinic's laboratory, then the scalp injections. Usually a single treatment, reviewed "
            "at three and six months."
        ),
        recovery=(
            "Bruising and tenderness where the fat or marrow was taken, for up to a week, and a "
            "tender scalp for a few days. Most people rest for a day and return to desk work after "
            "two or three."
        ),
        expectations=(
            "Stem cell therapy for hair loss is still being studied and the evidence is more "
            "limited than for medication or transplants. Your practitioner will explain what is "
            "known, what is not, and whether you are a suitable candidate. It is not offered to "
            "anyone with current or recent cancer."
        ),
    ),
    Treatment(
        slug="exosomes",
        name="Exosomes",
        summary="Tiny particles released by cells, applied to the scalp to carry growth signals.",
        what_it_is=(
            "Exosomes are microscopic vesicles that cells use to send signals to one another. "
            "Prepared exosome solutions are applied to the scalp, often with micro-needling or "
            "injections, to encourage follicles in their growth phase."
        ),
        what_to_expect=(
            "A session of about 45 minutes, sometimes combined with PRP. The number of sessions "
            "depends on your assessment, often one to three."
        ),
        recovery="Some redness and tenderness for a day or two; normal activities the next day.",
        expectations=(
            "This is a newer treatment with early evidence only. It may help some people with "
            "thinning hair and is not a replacement for proven options. We will tell you plainly "
            "what it can and cannot do."
        ),
    ),
    Treatment(
        slug="micro-needling",
        name="Micro-needling",
        summary="Fine needles create tiny channels in the scalp to prompt repair and growth.",
        what_it_is=(
            "A device with very fine needles makes controlled micro-injuries in the scalp. The "
            "healing response may stimulate follicles, and it can help topical treatments such as "
            "minoxidil reach them."
        ),
        what_to_expect=(
            "A 30 to 45 minute session under numbing cream, usually repeated every few weeks over "
            "several months, often alongside medication or PRP."
        ),
        recovery="Redness like mild sunburn for a day or two. Avoid hair products for 24 hours.",
        expectations=(
            "Micro-needling is usually a supporting treatment rather than a cure on its own. It "
            "is postponed if you have an active scalp infection or inflamed skin."
        ),
    ),
    Treatment(
        slug="medication",
        name="Medication",
        summary="Minoxidil on the scalp or by mouth, and finasteride, taken every day.",
        what_it_is=(
            "Minoxidil prolongs the growth phase of hair and comes as a foam, a solution or, on "
            "prescription, a low-dose tablet. Finasteride lowers the hormone DHT, which shrinks "
            "follicles in pattern hair loss; it is prescribed for men after a medical review."
        ),
        what_to_expect=(
            "A prescription and a plan after your consultation, with a review after three to six "
            "months. Medication has to be continued to keep its benefit."
        ),
        recovery=(
            "No recovery time. Some people notice extra shedding in the first weeks, which "
            "usually settles. Your practitioner will go through possible side effects with you."
        ),
        expectations=(
            "These are the best-studied treatments for pattern hair loss. Most people keep the "
            "hair they have and some regrow a little; results show after six to twelve months."
        ),
    ),
    Treatment(
        slug="transplant",
        name="Hair transplant",
        summary="Your own follicles moved from the back of the head to thinning areas.",
        what_it_is=(
            "Follicles are taken from the donor area at the back and sides of the head, where "
            "hair is resistant to thinning, either one by one (FUE) or as a thin strip (FUT), and "
            "placed in the areas that need them."
        ),
        what_to_expect=(
            "A full day under local anaesthetic. You go home the same evening with instructions "
            "for washing and sleeping, and come back for a check after about ten days."
        ),
        recovery=(
            "Small scabs and some swelling for one to two weeks; most people take a week off "
            "work. The transplanted hairs shed at first and regrow over the following months."
        ),
        expectations=(
            "The final result shows at 12 to 18 months. A transplant moves hair, it does not make "
            "more, so the donor area sets what is possible, and medication is often still needed "
            "to protect the hair you have."
        ),
    ),
)
