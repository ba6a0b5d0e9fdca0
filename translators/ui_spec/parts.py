"""The spec's value types: colours, sizes, paddings, and the small closed models nodes hold
(border, shadow, gradient, image fill, text span, vector path)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

ID_RE = r"^[a-z][a-z0-9_]{0,39}$"
TOKEN_RE = r"^[a-z][a-z0-9_]{0,39}$"
HEX_RE = r"^#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$"
COLOR_RE = r"^(#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?|\$[a-z][a-z0-9_]{0,39})$"
ICON_RE = r"^[a-z0-9][a-z0-9_-]{0,39}$"
URL_RE = r"^https://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{1,500}$"
LINK_RE = r"^https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{1,500}$"
REF_RE = r"^[A-Za-z0-9_-]{1,100}$"
SRC_RE = URL_RE + r"|^images/[A-Za-z0-9_-]{1,100}\.(png|jpg|gif|webp|svg)$"
"""An https URL, or a picture fetched next to the code (`images/<ref>.png`, see translators.figma.images_api)."""
PATH_RE = r"^[MLHVCSQTAZmlhvcsqtaz0-9eE., +-]{1,20000}$"
FONT_RE = r"^[A-Za-z0-9][A-Za-z0-9 ._'-]{0,59}$"
"""A font family name: letters, digits, spaces, `.`, `_`, `-` and `'` ("Suisse Int'l"); CSS quotes it
with double quotes, JS and DivKit escape it as any string."""


def _check_color(value: str) -> str:
    if not re.match(COLOR_RE, value):
        raise ValueError(f"{value!r} is not a colour: write '#RRGGBB', '#RRGGBBAA' or '$token'")
    return value


def _check_hex(value: str) -> str:
    if not re.match(HEX_RE, value):
        raise ValueError(f"{value!r} is not a hex colour: write '#RRGGBB' or '#RRGGBBAA'")
    return value


Color = Annotated[
    str, AfterValidator(_check_color), WithJsonSchema({"type": "string", "pattern": COLOR_RE})
]
Hex = Annotated[str, AfterValidator(_check_hex), WithJsonSchema({"type": "string", "pattern": HEX_RE})]
Id = Annotated[str, Field(pattern=ID_RE, description="unique, lowercase: [a-z][a-z0-9_]*")]
Px = Annotated[int, Field(ge=0, le=10000)]
Side = Annotated[int, Field(ge=0, le=64)]
def _short_sides(value: Any) -> Any:
    """Canonical form: [8, 8] -> 8, [4, 8, 4, 8] -> [4, 8]; equal specs compare equal."""
    if isinstance(value, tuple):
        if len(set(value)) == 1:
            return value[0]
        if len(value) == 4 and value[0] == value[2] and value[1] == value[3]:
            return (value[0], value[1])
    return value


Size = Union[Literal["fill", "hug"], Px]
Pad = Annotated[Union[Px, tuple[Px, Px], tuple[Px, Px, Px, Px]], AfterValidator(_short_sides)]


def _short_corners(value: Any) -> Any:
    return value[0] if isinstance(value, tuple) and len(set(value)) == 1 else value


Radius = Annotated[Union[Px, tuple[Px, Px, Px, Px]], AfterValidator(_short_corners)]
Weight = Literal[100, 200, 300, 400, 500, 600, 700, 800, 900]
Text = Annotated[str, Field(max_length=5000)]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Border(_Closed):
    """A stroke around the box (inside it unless `align` says otherwise)."""

    width: Annotated[int, Field(ge=1, le=64)] = 1
    """Stroke width in px."""
    color: Color
    """Stroke colour."""
    sides: tuple[Side, Side, Side, Side] | None = None
    """Per-side widths [top, right, bottom, left] (0 = no line there); replaces `width`."""
    style: Literal["solid", "dashed"] = "solid"
    align: Literal["inside", "outside", "center"] = "inside"


class Shadow(_Closed):
    """A drop shadow, or an inner shadow when `inset`."""

    x: Annotated[int, Field(ge=-500, le=500)] = 0
    """Horizontal offset in px."""
    y: Annotated[int, Field(ge=-500, le=500)] = 0
    """Vertical offset in px."""
    blur: Annotated[int, Field(ge=0, le=500)] = 0
    """Blur radius in px."""
    spread: Annotated[int, Field(ge=-500, le=500)] = 0
    """Spread in px (grows the shadow, negative shrinks it)."""
    inset: bool = False
    """An inner shadow."""
    color: Color
    """Shadow colour (alpha in #RRGGBBAA)."""


class Stop(_Closed):
    """One colour stop of a gradient."""

    color: Color
    at: Annotated[float, Field(ge=0, le=1)] = 0
    """Position 0..1 along the gradient."""


class Gradient(_Closed):
    """A gradient fill, painted over `bg`."""

    kind: Literal["linear", "radial"] = "linear"
    angle: Annotated[int, Field(ge=0, le=359)] = 180
    """Linear only: CSS degrees (0 = to top, 90 = to right, 180 = to bottom)."""
    stops: Annotated[list[Stop], Field(min_length=2, max_length=16)]


class ImageFill(_Closed):
    """A picture filling the box behind its children (a Figma image fill)."""

    ref: Annotated[str, Field(pattern=REF_RE)] | None = None
    """The Figma imageRef (GET /v1/files/:key/images gives its URL); offline a placeholder."""
    src: Annotated[str, Field(pattern=SRC_RE)] | None = None
    """The fetched picture (`images/<ref>.png` next to the code) or an https URL; None: placeholder."""
    fit: Literal["cover", "contain"] = "cover"


class Span(_Closed):
    """A styled range [start, end) of a text (characters of `text`, counted from 0)."""

    start: Annotated[int, Field(ge=0, le=5000)]
    end: Annotated[int, Field(ge=1, le=5000)]
    weight: Weight | None = None
    italic: bool | None = None
    size: Annotated[int, Field(ge=1, le=400)] | None = None
    color: Color | None = None
    font: Annotated[str, Field(pattern=FONT_RE)] | None = None
    decoration: Literal["underline", "strikethrough"] | None = None
    link: Annotated[str, Field(pattern=LINK_RE)] | None = None


class VectorPath(_Closed):
    """One SVG path of vector art, in the vector's box (offset by x, y)."""

    d: Annotated[str, Field(pattern=PATH_RE)]
    fill: Color
    rule: Literal["nonzero", "evenodd"] = "nonzero"
    x: Annotated[float, Field(ge=-10000, le=10000)] = 0
    y: Annotated[float, Field(ge=-10000, le=10000)] = 0


PinH = Literal["left", "right", "center", "stretch", "scale"]
PinV = Literal["top", "bottom", "center", "stretch", "scale"]
Label = Annotated[str, Field(max_length=200)]
