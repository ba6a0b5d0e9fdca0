"""The UI spec: a closed schema of screens, containers and leaves (pydantic models).

The same models generate `schema.json` (see `translators.ui_spec.schema`). Every node has a
unique `id`; sizes are `fill`, `hug` or a fixed number of pixels, as in Figma auto-layout.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field

from translators.ui_spec.parts import (
    FONT_RE, ICON_RE, ID_RE, LINK_RE, REF_RE, SRC_RE, TOKEN_RE, Border, Color, Gradient, Hex, Id, ImageFill,
    Label, Pad, PinH, PinV, Px, Radius, Shadow, Size, Span, Text, VectorPath, Weight, _Closed,
)


class _Node(_Closed):
    id: Id
    """Unique in the spec; code ids and fidelity matching use it."""
    w: Size | None = None
    """Width: fill (take the parent's free space), hug (fit content) or px. Default hug."""
    h: Size | None = None
    """Height: fill, hug or px. Default hug."""
    min_w: Px | None = None
    """Smallest width in px (auto-layout min width)."""
    max_w: Px | None = None
    min_h: Px | None = None
    max_h: Px | None = None
    x: Annotated[int, Field(ge=-10000, le=10000)] | None = None
    """Out of flow: offset from the parent's left edge (needs y too)."""
    y: Annotated[int, Field(ge=-10000, le=10000)] | None = None
    """Out of flow: offset from the parent's top edge (needs x too)."""
    bg: Color | None = None
    """Background colour."""
    radius: Radius | None = None
    """Corner radius: one value or [top-left, top-right, bottom-right, bottom-left]."""
    border: Border | None = None
    """Solid border."""
    shadow: Shadow | Annotated[list[Shadow], Field(min_length=1, max_length=8)] | None = None
    """A shadow, or several (first on top)."""
    gradient: Gradient | None = None
    """Gradient fill over the background colour."""
    blur: Annotated[int, Field(ge=1, le=250)] | None = None
    """Layer blur in px."""
    backdrop_blur: Annotated[int, Field(ge=1, le=250)] | None = None
    """Background blur in px (frosted glass)."""
    opacity: Annotated[float, Field(ge=0, le=1)] | None = None
    """Opacity 0..1."""
    rotate: Annotated[int, Field(ge=-359, le=359)] | None = None
    """Rotation in degrees, clockwise (Figma shows counter-clockwise: the sign flips)."""
    pin: tuple[PinH, PinV] | None = None
    """Out of flow: the constraints [horizontal, vertical] when not [left, top]."""
    component: Label | None = None
    """The Figma component an instance comes from."""
    variant: Annotated[dict[Annotated[str, Field(max_length=60)], Label], Field(max_length=20)] | None = None
    """The instance's variant and component properties."""


class _Font(_Closed):
    size: Annotated[int, Field(ge=1, le=400)] | None = None
    """Font size in px (default 16)."""
    weight: Weight | None = None
    """Font weight (default 400)."""
    color: Color | None = None
    """Text colour (default #000000)."""
    font: Annotated[str, Field(pattern=FONT_RE)] | None = None
    """Font family (a fallback stack follows it)."""
    italic: bool | None = None
    letter_spacing: Annotated[float, Field(ge=-50, le=200)] | None = None
    """Extra space between letters in px."""
    case: Literal["upper", "lower", "title"] | None = None
    """Shown case; the text keeps the designer's letters."""
    decoration: Literal["underline", "strikethrough"] | None = None


class _Box(_Node):
    pad: Pad | None = None
    """Padding: one value, [vertical, horizontal] or [top, right, bottom, left]."""
    gap: Annotated[int, Field(ge=-1000, le=1000)] | None = None
    """Space between children along the main axis (negative: they overlap)."""
    cross_gap: Annotated[int, Field(ge=0, le=1000)] | None = None
    """Wrap only: space between lines."""
    align: Literal["start", "center", "end", "between"] | None = None
    """Main-axis distribution (default start)."""
    cross: Literal["start", "center", "end", "stretch", "baseline"] | None = None
    """Cross-axis alignment (default start)."""
    clip: bool | None = None
    """Children are cut at the box's edge."""
    reverse_z: bool | None = None
    """The first child is drawn on top (Figma's itemReverseZIndex)."""
    bg_image: ImageFill | None = None
    """A picture behind the children."""


class Column(_Box):
    """Children top to bottom."""

    type: Literal["column"]
    children: list[Node] = []


class Row(_Box):
    """Children left to right."""

    type: Literal["row"]
    children: list[Node] = []


class Wrap(_Box):
    """Children left to right, wrapping onto new lines."""

    type: Literal["wrap"]
    children: list[Node] = []


class Scroll(_Box):
    """A scrolling column (vertical) or row (horizontal)."""

    type: Literal["scroll"]
    direction: Literal["vertical", "horizontal"] = "vertical"
    children: list[Node] = []


class Grid(_Box):
    """Children in `columns` equal columns, row by row."""

    type: Literal["grid"]
    columns: Annotated[int, Field(ge=1, le=12)]
    children: list[Node] = []


class Stack(_Box):
    """Children overlaid; each at its x/y offset, else at the top-left corner."""

    type: Literal["stack"]
    children: list[Node] = []


class Repeat(_Box):
    """`template` once per entry of `items`; texts with `bind` read the entry's field."""

    type: Literal["repeat"]
    direction: Literal["column", "row"] = "column"
    items: Annotated[list[dict[Annotated[str, Field(pattern=TOKEN_RE)], Text]], Field(min_length=1, max_length=100)]
    template: Node


class TextNode(_Node, _Font):
    """A run of text: `text`, or `bind` (a field of the enclosing repeat's items)."""

    type: Literal["text"]
    text: Text | None = None
    bind: Annotated[str, Field(pattern=TOKEN_RE)] | None = None
    text_align: Literal["left", "center", "right", "justify"] | None = None
    line_height: Annotated[int, Field(ge=1, le=800)] | None = None
    max_lines: Annotated[int, Field(ge=1, le=100)] | None = None
    paragraph_spacing: Annotated[int, Field(ge=1, le=1000)] | None = None
    """Space after each paragraph (each line break starts one) in px."""
    link: Annotated[str, Field(pattern=LINK_RE)] | None = None
    """The whole text is a link to this URL."""
    spans: Annotated[list[Span], Field(min_length=1, max_length=200)] | None = None
    """Styled ranges of `text`, in order, not overlapping."""


class Button(_Node, _Font):
    """A push button with a label (`text` or `bind`)."""

    type: Literal["button"]
    text: Text | None = None
    bind: Annotated[str, Field(pattern=TOKEN_RE)] | None = None
    pad: Pad | None = None


class Input(_Node, _Font):
    """A single-line text field."""

    type: Literal["input"]
    placeholder: Text = ""
    value: Text | None = None
    kind: Literal["text", "email", "password", "search", "number", "tel"] = "text"
    pad: Pad | None = None


class Checkbox(_Node, _Font):
    """A checkbox with a label."""

    type: Literal["checkbox"]
    label: Text = ""
    checked: bool = False


class Switch(_Node, _Font):
    """An on/off switch with a label."""

    type: Literal["switch"]
    label: Text = ""
    checked: bool = False


class Image(_Node):
    """A picture; without `src` a placeholder box of the same size."""

    type: Literal["image"]
    alt: Text = ""
    src: Annotated[str, Field(pattern=SRC_RE)] | None = None
    ref: Annotated[str, Field(pattern=REF_RE)] | None = None
    """The Figma image fill's imageRef, kept for fetching the picture (GET /v1/files/:key/images)."""
    fit: Literal["cover", "contain"] = "cover"


class Icon(_Node):
    """A named icon glyph (rendered as a placeholder shape of `size`)."""

    type: Literal["icon"]
    name: Annotated[str, Field(pattern=ICON_RE)]
    size: Annotated[int, Field(ge=1, le=512)] = 24
    color: Color | None = None


class Vector(_Node):
    """Vector art drawn from its SVG paths, in a w x h box."""

    type: Literal["vector"]
    alt: Text = ""
    """What the art shows (its layer name), for screen readers."""
    paths: Annotated[list[VectorPath], Field(min_length=1, max_length=64)]


class Divider(_Node):
    """A thin line across the parent's cross axis."""

    type: Literal["divider"]
    color: Color | None = None
    thickness: Annotated[int, Field(ge=1, le=64)] = 1


class Spacer(_Node):
    """Empty space: fixed by w/h, else it takes the free space on the parent's main axis."""

    type: Literal["spacer"]


Node = Annotated[
    Union[
        Column, Row, Wrap, Scroll, Grid, Stack, Repeat,
        TextNode, Button, Input, Checkbox, Switch, Image, Icon, Vector, Divider, Spacer,
    ],
    Field(discriminator="type"),
]

CONTAINER_TYPES = frozenset({"column", "row", "wrap", "scroll", "grid", "stack"})
BINDABLE_TYPES = frozenset({"text", "button"})


class Spec(_Closed):
    """One screen."""

    screen: Annotated[str, Field(pattern=ID_RE)]
    """Screen name (lowercase); the React component is named after it."""
    width: Annotated[int, Field(ge=1, le=10000)]
    """Frame width in px."""
    height: Annotated[int, Field(ge=1, le=10000)]
    """Frame height in px."""
    bg: Color | None = None
    """Screen background."""
    colors: dict[Annotated[str, Field(pattern=TOKEN_RE)], Hex] = {}
    """Named colours, used elsewhere as `$name`."""
    root: Node
    """The top node."""


def shadows(node: Any) -> list[Shadow]:
    """A node's shadows as a list (one shadow may be written without the list)."""
    value = getattr(node, "shadow", None)
    return [] if value is None else list(value) if isinstance(value, list) else [value]


def node_children(node: Any) -> list[Any]:
    """Direct child nodes (a repeat's template counts as its one child)."""
    if isinstance(node, Repeat):
        return [node.template]
    return list(getattr(node, "children", None) or [])


for _model in (Column, Row, Wrap, Scroll, Grid, Stack, Repeat, Spec):
    _model.model_rebuild()
