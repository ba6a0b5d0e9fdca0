"""Compose synthetic screens from blocks: a root column of a few sections."""

from __future__ import annotations

import random
from typing import Any, Callable

from translators.baseline.ids import slug
from translators.synth import blocks, words
from translators.synth.blocks import G, Style, box, button, divider, icon, image, spacer, text, text_input, toggle
from translators.synth.design import D, solid

PALETTES = [
    ("#111827", "#6B7280", "#2563EB", "#F3F4F6", "#E5E7EB"),
    ("#1F2937", "#9CA3AF", "#7C3AED", "#F5F3FF", "#DDD6FE"),
    ("#0F172A", "#64748B", "#059669", "#ECFDF5", "#D1FAE5"),
    ("#18181B", "#71717A", "#DC2626", "#FEF2F2", "#FECACA"),
    ("#111111", "#666666", "#EA580C", "#FFF7ED", "#FED7AA"),
]
BLOCK_COUNTS = {"small": (1, 1), "medium": (2, 4), "large": (5, 7)}


def heading(st: Style) -> G:
    title = text(st, st.rng.choice(words.TITLES), st.rng.choice([22, 24, 28]), 700, role="Title")
    if st.chance(0.5):
        return title
    sub = text(st, st.rng.choice(words.SUBTITLES), st.rng.choice([14, 15]), 400, st.muted, role="Subtitle")
    return box(st, "column", [title, sub], st.rng.choice(["Heading", "Intro"]), gap=st.rng.choice([4, 6, 8]))


def top_bar(st: Style) -> G:
    kids = [icon(st), text(st, st.rng.choice(words.SCREENS), 20, 700, role="Title"), spacer(st), icon(st)]
    if st.chance(0.5):
        kids = kids[1:]
    return box(st, "row", kids, "Top bar", w="fill", h=56, gap=12, cross="center")


def form(st: Style) -> G:
    kids = [text_input(st) for _ in range(1 if st.small else st.rng.choice([1, 2]))]
    kids.append(button(st, st.rng.choice(words.BUTTONS), w="fill"))
    return box(st, "column", kids, "Form", w="fill", gap=st.rng.choice([8, 12, 16]))


def options(st: Style) -> G:
    switch = st.chance(0.5)
    kids = [toggle(st, switch) for _ in range(st.rng.choice([1, 2]))]
    return kids[0] if len(kids) == 1 else box(st, "column", kids, "Options", gap=12)


def card(st: Style) -> G:
    kids = [text(st, st.rng.choice(words.TITLES), 17, 600, role="Title"),
            text(st, st.rng.choice(words.SUBTITLES), 14, 400, st.muted, w="fill", role="Body")]
    if st.chance(0.5):
        kids.append(button(st, st.rng.choice(words.BUTTONS), primary=st.chance(0.5)))
    style: dict[str, Any] = {"w": "fill", "pad": st.rng.choice([12, 16, 20]), "gap": 8, "bg": "#FFFFFF",
                             "radius": st.rng.choice([8, 12, 16])}
    if st.chance(0.5):
        style["border"] = {"color": st.line}
    return box(st, "column", kids, "Card", **style)


def media(st: Style) -> G:
    """An overlay: a picture with a label and an icon placed on top."""
    width, height = 343, st.rng.choice([140, 160, 180])
    photo = image(st, width, height, radius=st.rng.choice([None, 12]))
    label = text(st, st.rng.choice(words.DETAILS), 13, 600, "#FFFFFF", role="Badge")
    mark = icon(st, "#FFFFFF")
    label.spec.update(x=12, y=12)
    label.design.x, label.design.y = 12, 12
    mark.spec.update(x=width - 36, y=12)
    mark.design.x, mark.design.y = width - 36, 12
    design = D("FRAME", st.name("Media"), w=width, h=height, children=[photo.design, label.design, mark.design])
    photo.spec.update(x=0, y=0)
    spec = {"type": "stack", "w": width, "h": height, "children": [photo.spec, label.spec, mark.spec]}
    return G(spec, design, [photo, label, mark], fallback="stack")


def chips(st: Style) -> G:
    labels = st.rng.sample(words.DETAILS, 3 if st.small else st.rng.choice([3, 4, 5]))
    kids = [button(st, label, primary=False) for label in labels]
    g = box(st, "row", kids, "Chips", w="fill", gap=8)
    g.spec["type"] = "wrap"
    g.design.wrap = True
    return g


def gallery(st: Style) -> G:
    cols = st.rng.choice([2, 3])
    kids = [image(st, "fill", st.rng.choice([80, 100])) for _ in range(cols * st.rng.choice([1, 2]))]
    g = box(st, "column", kids, "Gallery", w="fill", gap=8)
    g.spec.update(type="grid", columns=cols)
    g.design.layout, g.design.columns = "GRID", cols
    return g


def listing(st: Style) -> G:
    """A repeat: look-alike rows that differ only in their texts."""
    count = 3 if st.small else st.rng.choice([3, 4])
    names = st.rng.sample(words.NAMES, count)
    details = st.rng.sample(words.DETAILS, count)
    seed = st.rng.randrange(1 << 30)
    copies = []
    for name, detail in zip(names, details):
        sub = Style(random.Random(seed), st.messy, st.ink, st.muted, st.brand, st.surface, st.line)
        texts = [text(sub, name, 15, 600, role="Name")]
        if st.small:  # a one-line row: icon + name
            row = box(sub, "row", [icon(sub), texts[0]], "Item", gap=12, cross="center")
        else:
            lead = image(sub, 40, 40, radius=20) if sub.chance(0.5) else icon(sub)
            texts.append(text(sub, detail, 13, 400, sub.muted, role="Detail"))
            col = box(sub, "column", texts, "Text", gap=2)
            row = box(sub, "row", [lead, col], "Item", w="fill", gap=12, cross="center")
        copies.append((row, texts))
    gap = st.rng.choice([8, 12])
    design = D("FRAME", st.name("List"), layout="VERTICAL", gap=gap, sizing=("FILL", "HUG"),
               children=[row.design for row, _ in copies])
    template, bound = copies[0]
    spec = {"type": "repeat", "direction": "column", "gap": gap, "w": "fill", "template": template.spec}
    g = G(spec, design, [template], fallback="column")
    g.bound = [(t, [texts[i].spec["text"] for _, texts in copies]) for i, t in enumerate(bound)]
    return g


BLOCKS: dict[str, Callable[[Style], G]] = {
    "heading": heading, "top_bar": top_bar, "form": form, "options": options, "card": card, "media": media,
    "chips": chips, "gallery": gallery, "listing": listing, "divider": divider,
}


def make_screen(rng: random.Random, size: str = "small", messy: float = 0.25) -> tuple[G, str]:
    """(root G, screen name) of a random screen."""
    ink, muted, brand, surface, line = rng.choice(PALETTES)
    st = Style(rng, messy, ink, muted, brand, surface, line, small=size == "small")
    low, high = BLOCK_COUNTS[size]
    names = list(BLOCKS)
    picked: list[str] = []
    while len(picked) < rng.randint(low, high):
        choice = rng.choice(names)
        if choice == "divider" and (not picked or picked[-1] == "divider"):
            continue
        if picked and picked[-1] == choice:
            continue  # look-alike neighbours would read as a repeat
        picked.append(choice)
    kids = [BLOCKS[name](st) for name in picked]
    screen = rng.choice(words.SCREENS)
    height = rng.choice([640, 720, 812])
    pad_v, pad_h = rng.choice([(24, 16), (32, 24), (16, 16)])
    bg = rng.choice(["#FFFFFF", surface])
    gap = rng.choice([16, 20, 24])
    spec = {"type": "column", "pad": [pad_v, pad_h], "gap": gap, "children": [k.spec for k in kids]}
    design = D("FRAME", screen, layout="VERTICAL", w=375, h=height, sizing=("FIXED", "FIXED"),
               pad=(pad_v, pad_h, pad_v, pad_h), gap=gap, fills=[solid(bg)], children=[k.design for k in kids])
    if rng.random() < 0.5:  # a hidden layer the designer forgot: must not reach the spec
        design.children.insert(rng.randint(0, len(design.children)),
                               D("TEXT", "Old title", text="Old title", visible=False, sizing=("HUG", "HUG")))
    root = G({"screen": slug(screen), "width": 375, "height": height, "bg": bg, "root": spec}, design, kids,
             fallback="column")
    return root, screen


__all__ = ["BLOCKS", "blocks", "make_screen"]
