"""``{% scalp_drawing code %}``: the project's own drawing of a stage or a photo view.

One tag for every page that shows them (the patient's questions, the practitioner's measures),
so that both show the same drawings.
"""

import itertools

from django import template

from patients.drawings import drawing_for, frame_corners

register = template.Library()

# Each drawing of a top view clips its shapes to the head with a clipPath, whose id must be
# unique in the page even when one stage is drawn twice.
_clip_ids = itertools.count(1)


@register.inclusion_tag("patients/_scalp_drawing.html")
def scalp_drawing(code, size=72, css_class=""):
    drawing = drawing_for(code)
    return {
        "drawing": drawing,
        "size": size,
        "css_class": css_class,
        "clip_id": f"scalp-clip-{next(_clip_ids)}",
        "corners": frame_corners(drawing.frame) if drawing and drawing.frame else "",
    }
