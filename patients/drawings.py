"""The project's own simple drawings of the hair-loss scales and the standard photo framings.

Each drawing is data: a list of shapes on a 100 × 100 canvas, drawn by the template
``patients/_scalp_drawing.html`` (through the ``scalp_drawing`` tag) as an inline SVG. Scalp
stages are seen from above with the face at the top; bare scalp is drawn over a full head of
hair, and thinning as a paler veil over it, so that each stage reads at a glance even at the
small size of a phone. The drawings are decorative: every place that shows one writes its name
in words beside it.
"""

from dataclasses import dataclass, field

SKIN, HAIR, VEIL = "skin", "hair", "veil"


@dataclass(frozen=True)
class Shape:
    kind: str  # "ellipse", "rect" or "path"
    paint: str  # SKIN, HAIR or VEIL: the CSS class that colours it
    attrs: dict = field(default_factory=dict)
    opacity: float = 1.0


def _ellipse(paint, cx, cy, rx, ry, opacity=1.0):
    return Shape("ellipse", paint, {"cx": cx, "cy": cy, "rx": rx, "ry": ry}, opacity)


def _rect(paint, x, y, width, height, opacity=1.0):
    return Shape("rect", paint, {"x": x, "y": y, "width": width, "height": height}, opacity)


@dataclass(frozen=True)
class Drawing:
    """What the camera or the eye sees: ``head`` is "top", "front", "side" or "back"."""

    head: str
    shapes: tuple = ()
    frame: tuple | None = None  # x, y, width, height of the framing guide, for photo views
    mirrored: bool = False


# The forehead in front of the hairline, on every head seen from above.
_FOREHEAD = _ellipse(SKIN, 50, 6, 30, 9)


def _norwood(front, temples, crown=None):
    """A male-pattern scalp from above: the front receding by ``front`` (depth of bare scalp
    at the middle), the temples by ``temples`` and, past stage III, a bald crown."""
    shapes = [_ellipse(SKIN, 50, 4, 32, front)]
    if temples:
        shapes += [_ellipse(SKIN, 50 - 18, 8, 9, temples), _ellipse(SKIN, 50 + 18, 8, 9, temples)]
    if crown:
        shapes.append(_ellipse(SKIN, 50, 66, *crown))
    return tuple(shapes)


NORWOOD = {
    "nw1": _norwood(front=12, temples=0),
    "nw2": _norwood(front=12, temples=11),
    "nw3": _norwood(front=13, temples=18),
    "nw4": _norwood(front=16, temples=22, crown=(9, 8)),
    "nw5": _norwood(front=22, temples=26, crown=(14, 13)),
    # From stage VI the front and the crown have joined: one bare area over the top.
    "nw6": (_FOREHEAD, _ellipse(SKIN, 50, 36, 24, 36)),
    "nw7": (_FOREHEAD, _ellipse(SKIN, 50, 40, 29, 42)),
}


def _widening_part(width, veil=None, veil_opacity=0.0):
    """A female-pattern scalp from above: the front hairline kept, the parting ``width`` wide,
    and thinning on top drawn as a veil of skin colour over the hair."""
    shapes = [_FOREHEAD]
    if veil:
        shapes.append(_ellipse(VEIL, 50, *veil, opacity=veil_opacity))
    shapes.append(_rect(SKIN, 50 - width / 2, 14, width, 52))
    return tuple(shapes)


LUDWIG = {
    "lu1": _widening_part(2.5, veil=(40, 9, 24), veil_opacity=0.45),
    "lu2": _widening_part(4, veil=(42, 16, 28), veil_opacity=0.65),
    "lu3": _widening_part(6, veil=(42, 23, 31), veil_opacity=0.9),
}

SINCLAIR = {
    "si1": _widening_part(1.5),
    "si2": _widening_part(3, veil=(40, 7, 22), veil_opacity=0.35),
    "si3": _widening_part(4.5, veil=(42, 13, 27), veil_opacity=0.55),
    "si4": _widening_part(6, veil=(42, 19, 30), veil_opacity=0.75),
    "si5": _widening_part(8, veil=(43, 25, 33), veil_opacity=0.95),
}

STAGE_DRAWINGS = {
    code: Drawing("top", shapes) for code, shapes in {**NORWOOD, **LUDWIG, **SINCLAIR}.items()
}
# The intake's own stage codes ("nh3", "l2") name the same stages as the practitioner's.
STAGE_DRAWINGS |= {f"nh{n}": STAGE_DRAWINGS[f"nw{n}"] for n in range(1, 8)}
STAGE_DRAWINGS |= {f"l{n}": STAGE_DRAWINGS[f"lu{n}"] for n in range(1, 4)}

# The standard views, each with the area the photo should take in.
VIEW_DRAWINGS = {
    "front": Drawing("front", frame=(22, 6, 56, 40)),
    "top": Drawing("top", (_FOREHEAD,), frame=(14, 4, 72, 92)),
    "crown": Drawing("top", (_FOREHEAD,), frame=(26, 46, 48, 48)),
    "left": Drawing("side", frame=(14, 6, 54, 46)),
    "right": Drawing("side", frame=(32, 6, 54, 46), mirrored=True),
    "donor": Drawing("back", frame=(14, 44, 72, 40)),
}
# The intake's photo views, by the standard framing that shows each best.
VIEW_DRAWINGS |= {
    "hairline": VIEW_DRAWINGS["front"],
    "temples": VIEW_DRAWINGS["left"],
}


def drawing_for(code: str) -> Drawing | None:
    """Return the drawing of a stage or a photo view, or None for a code with none."""
    return STAGE_DRAWINGS.get(code) or VIEW_DRAWINGS.get(code)


def frame_corners(frame, corner=9) -> str:
    """Return the SVG path of a camera's framing corners around the rectangle ``frame``."""
    x, y, w, h = frame
    right, bottom = x + w, y + h
    return (
        f"M{x},{y + corner}V{y}H{x + corner}"
        f"M{right - corner},{y}H{right}V{y + corner}"
        f"M{right},{bottom - corner}V{bottom}H{right - corner}"
        f"M{x + corner},{bottom}H{x}V{bottom - corner}"
    )
