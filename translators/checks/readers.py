"""Read back, from each target's output, every string the spec put there.

`expected_strings(spec)` says what each element must show; the readers parse the HTML, the
React element tree (from the node harness) and the DivKit JSON and return the same mapping.
Equal mappings and element counts prove that no string escaped its literal: an injected tag,
attribute, JSX expression or JSON key would change the structure or the strings.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from translators.targets.divkit import PLACEHOLDER_IMAGE
from translators.targets.elements import El, bound_text, leaf
from translators.targets.escape import divkit_unescape
from translators.ui_spec.models import CONTAINER_TYPES, Repeat, Spec

Strings = dict[str, dict[str, str]]
_VOID = frozenset({"input", "img", "hr", "path"})
ALLOWED_TAGS = frozenset({"div", "p", "button", "span", "input", "label", "img", "hr", "a", "svg", "path"})


def expected_strings(spec: Spec) -> Strings:
    """{data-id: {field: text}} for every element; repeat copies as `id-i`."""
    out: Strings = {}

    def visit(node: Any, suffix: str, item: dict[str, str] | None) -> None:
        key = node.id + suffix
        out[key] = {} if node.type in CONTAINER_TYPES or isinstance(node, Repeat) else _leaf(node, item)
        if isinstance(node, Repeat):
            for i, entry in enumerate(node.items):
                visit(node.template, f"{suffix}-{i}", entry)
        for child in getattr(node, "children", None) or []:
            visit(child, suffix, item)

    visit(spec.root, "", None)
    return out


def expected_tag_count(spec: Spec) -> int:
    """How many elements the HTML body / React tree must contain."""
    def elements(el: El) -> int:
        return 1 + sum(elements(c) for c in el.children)

    def count(node: Any, item: dict[str, str] | None) -> int:
        if isinstance(node, Repeat):
            return 1 + sum(count(node.template, entry) for entry in node.items)
        if node.type in CONTAINER_TYPES:
            return 1 + sum(count(c, item) for c in node.children)
        return elements(leaf(spec, node, item))
    return count(spec.root, None)


def _leaf(node: Any, item: dict[str, str] | None) -> dict[str, str]:
    kind = node.type
    if kind in ("text", "button"):
        return {"text": bound_text(node, item)}
    if kind == "input":
        return {"placeholder": node.placeholder, **({"value": node.value} if node.value else {})}
    if kind in ("checkbox", "switch"):
        return {"label": node.label}
    if kind == "image":
        return ({"alt": node.alt} if node.alt or node.src else {}) | ({"src": node.src} if node.src else {})
    if kind == "icon":
        return {"name": node.name}
    if kind == "vector":
        return {"alt": node.alt}
    return {}


def _attr_strings(tag: str, attrs: dict[str, Any]) -> dict[str, str]:
    if tag == "input" and attrs.get("type") != "checkbox":
        value = attrs.get("value", attrs.get("defaultValue"))
        return {"placeholder": attrs.get("placeholder", ""), **({"value": value} if value is not None else {})}
    if tag == "img":
        return {"alt": attrs.get("alt", ""), "src": attrs.get("src", "")}
    if attrs.get("role") == "img":
        return {("name" if tag == "span" else "alt"): attrs.get("aria-label", "")}
    return {}


def _field(tag: str) -> str:
    return "label" if tag == "label" else "text"


class _HtmlReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: Strings = {}
        self.tags: list[str] = []
        self.in_body = False
        self.owners: list[tuple[str, str, str]] = []  # (tag, data-id, field)
        self.text: list[str] | None = None
        self.depth = 0
        """Elements open inside the current text run (styled ranges, links, paragraphs)."""

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        if tag == "body":
            self.in_body = True
            return
        if not self.in_body:
            return
        self.tags.append(tag)
        if "data-id" in attrs:
            self.found[attrs["data-id"]] = _attr_strings(tag, attrs)
            if tag in ("p", "button", "label"):
                self.owners.append((tag, attrs["data-id"], _field(tag)))
        if self.text is not None and tag not in _VOID:
            self.depth += 1
        elif "data-t" in attrs:
            self.text, self.depth = [], 0

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self.text is not None and self.depth and tag not in _VOID:
            self.depth -= 1
        elif self.text is not None and tag in ("p", "span") and self.owners:
            _, data_id, field = self.owners[-1]
            self.found[data_id][field] = "".join(self.text)
            self.text = None
        if self.owners and self.owners[-1][0] == tag:
            self.owners.pop()


def read_html(text: str) -> tuple[Strings, list[str]]:
    """({data-id: strings}, every element tag inside <body>, in order)."""
    reader = _HtmlReader()
    reader.feed(text)
    reader.close()
    return reader.found, reader.tags


def read_react(tree: dict[str, Any]) -> tuple[Strings, list[str]]:
    """The same mapping from a serialized React element tree (see harness.cjs)."""
    found: Strings = {}
    tags: list[str] = []

    def text_of(node: Any) -> str:
        return node if isinstance(node, str) else "".join(text_of(c) for c in node["children"])

    def visit(node: Any, owner: tuple[str, str] | None) -> None:
        if isinstance(node, str):
            return
        tags.append(node["tag"])
        attrs = node["attrs"]
        if "data-id" in attrs:
            found[attrs["data-id"]] = _attr_strings(node["tag"], attrs)
            owner = (attrs["data-id"], _field(node["tag"]))
        if "data-t" in attrs and owner is not None:
            found[owner[0]][owner[1]] = text_of(node)
        for child in node["children"]:
            visit(child, owner)

    visit(tree, None)
    return found, tags


def read_divkit(card: dict[str, Any]) -> Strings:
    """The same mapping from a DivKit card (strings unescaped as a client shows them)."""
    found: Strings = {}
    variables = {v["name"]: v["value"] for v in card["card"].get("variables", [])}

    def visit(div: dict[str, Any]) -> None:
        if "id" in div:
            fields = found[divkit_unescape(div["id"])] = _divkit_strings(div)
            value = variables.get(div.get("text_variable", ""))
            if div.get("type") == "input" and value:
                fields["value"] = divkit_unescape(value)
        for child in div.get("items", []):
            visit(child)

    visit(card["card"]["states"][0]["div"])
    return found


def _divkit_strings(div: dict[str, Any]) -> dict[str, str]:
    kind = div.get("type")
    if kind == "text":
        return {"text": divkit_unescape(div["text"])}
    if kind == "input":
        return {"placeholder": divkit_unescape(div.get("hint_text", ""))}
    if kind == "image":
        description = divkit_unescape(div.get("accessibility", {}).get("description", ""))
        if div.get("image_url", "").startswith("data:image/svg+xml"):
            return {"alt": description}  # vector art drawn from its paths
        if "scale" not in div:
            return {"name": description}
        src = divkit_unescape(div["image_url"])
        out = {"alt": description} if description or src != PLACEHOLDER_IMAGE else {}
        return out | ({"src": src} if src != PLACEHOLDER_IMAGE else {})
    items = div.get("items", [])
    control = items[0] if items else {}
    if kind == "container" and len(items) == 2 and (control.get("type") == "switch" or
                                                    control.get("accessibility", {}).get("type") == "checkbox"):
        return {"label": divkit_unescape(items[1]["text"])}
    return {}
