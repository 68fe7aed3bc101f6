"""The consent texts a patient agrees to. A change of wording gets a new version."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ConsentText:
    version: str
    text: str


CARE = ConsentText(
    version="2026-11-v1",
    text=(
        "I agree that the clinic may keep and use the information I give, including health "
        "details and any photos, to prepare for and provide my care. Only clinic staff whose "
        "role needs it can see it. I can ask for a copy, or for it to be deleted, at any time."
    ),
)

PHOTOS_BEYOND_CARE = ConsentText(
    version="2026-11-v1",
    text=(
        "Optional: I also agree that my photos, without my name, may be used for staff training "
        "and clinical audit. I can withdraw this at any time; my care does not depend on it."
    ),
)
