"""Real-looking English copy and layer names for `real_like` screens: Title Case headings,
sentences with punctuation, numbers, prices, dates, token-ish labels; 1-60 characters."""

from __future__ import annotations

from typing import Any, Callable, Sequence

NOUNS = ["account", "order", "payment", "design", "system", "project", "team", "update", "report", "invoice",
         "message", "profile", "plan", "feature", "product", "color", "shadow", "layer", "review", "event",
         "ticket", "course", "lesson", "flight", "booking", "recipe", "playlist", "album", "workspace", "file",
         "budget", "goal", "task", "meeting", "photo", "story", "offer", "store", "city", "friend"]
ADJECTIVES = ["new", "recent", "quick", "simple", "secure", "daily", "weekly", "free", "premium", "shared",
              "private", "popular", "smart", "local", "global", "active", "pending", "primary", "soft", "deep"]
VERBS = ["track", "share", "manage", "explore", "save", "book", "create", "invite", "review", "download",
         "upgrade", "connect", "discover", "plan", "join", "start", "edit", "export", "follow", "compare"]
CONNECT = ["your", "all", "every", "the", "our", "new", "more", "today's", "this week's", "any"]
TAILS = ["in one place", "in seconds", "with your team", "from anywhere", "without the hassle", "for free",
         "before Friday", "at any time", "on every device", "this month", "right now", "next week"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
SHORT = ["OK", "Next", "Back", "Skip", "Done", "Menu", "Home", "Help", "Cancel", "Learn more", "See all",
         "Sign up", "Log in", "Buy", "NEW", "SALE", "Beta", "Pro", "Free", "Live", "#", "?", "Read more →"]
NAMED = ["DeepMulti", "Soft", "Medium", "Deep", "Opaque", "Disabled", "Semi_Opaque", "backgroundActive",
         "project_name", "Hero", "Badge", "Avatar", "Thumbnail", "Divider", "Overlay", "Card", "Label",
         "Caption", "Price", "Logo", "Background", "Highlight", "Surface", "Accent", "Base", "Ghost"]
COMPONENTS = ["Button/Primary", "Button/Secondary", "Header", "Icon/Search", "Icon/Close", "Chip/Default",
              "Badge/Success", "Tag", "Avatar/Small", "Toggle/On", "Nav/Tab", "Card/Product", "List item",
              "Input/Default", "Tooltip", "Rating/4", "Logo/Mark", "Checkbox/Checked", "Divider/Horizontal"]
DEFAULTS = ["Rectangle", "Frame", "Group", "Ellipse", "Vector", "Line", "Text", "Union", "Layer"]


def pick(rng: Any, items: Sequence[Any]) -> Any:
    """One item of `items` (numpy's choice would turn strings into numpy strings)."""
    return items[int(rng.integers(0, len(items)))]


def chance(rng: Any, p: float) -> bool:
    return bool(rng.random() < p)


def _title(rng: Any) -> str:
    words = [pick(rng, ADJECTIVES), pick(rng, NOUNS)] if chance(rng, 0.5) else [pick(rng, NOUNS)]
    if chance(rng, 0.4):
        words = [pick(rng, VERBS), pick(rng, CONNECT), *words]
    return " ".join(w[:1].upper() + w[1:] for w in " ".join(words).split())


def _sentence(rng: Any) -> str:
    parts = [pick(rng, VERBS).capitalize(), pick(rng, CONNECT), pick(rng, NOUNS) + "s", pick(rng, TAILS)]
    if chance(rng, 0.3):
        parts[-1] += f", then {pick(rng, VERBS)} {pick(rng, CONNECT)} {pick(rng, NOUNS)}"
    return " ".join(parts) + pick(rng, [".", ".", "!", "?", ""])


def _number(rng: Any) -> str:
    n = int(rng.integers(0, 20000))
    return pick(rng, [str(n), f"{n:,}", f"{n / 1000:.1f}k", f"+{n % 100}%", f"{n % 60} min", f"#{n % 999}",
                      f"{n % 5}.{n % 10} ★", f"{n % 100} items"])


def _price(rng: Any) -> str:
    cents = int(rng.integers(99, 250000))
    amount = f"{cents // 100:,}.{cents % 100:02d}"
    return pick(rng, [f"${amount}", f"€{amount}", f"£{cents // 100}", f"{amount} USD", f"${cents // 100}/mo",
                      f"From ${cents // 100}"])


def _date(rng: Any) -> str:
    day, month, year = int(rng.integers(1, 29)), int(rng.integers(0, 12)), int(rng.integers(2019, 2027))
    hour, minute = int(rng.integers(0, 24)), int(rng.integers(0, 60))
    return pick(rng, [f"{day} {MONTHS[month]} {year}", f"{MONTHS[month]} {day}, {year}", f"{year}-{month + 1:02d}-{day:02d}",
                      f"{pick(rng, DAYS)}, {hour}:{minute:02d}", f"{hour % 12 + 1}:{minute:02d} {pick(rng, ['AM', 'PM'])}",
                      f"{MONTHS[month]} {day}"])


def _label(rng: Any) -> str:
    return pick(rng, [f"{pick(rng, ['bg', 'text', 'border', 'color'])}-{pick(rng, ADJECTIVES)}",
                      f"{pick(rng, NOUNS)}_{int(rng.integers(1, 9))}", pick(rng, SHORT)])


KINDS: list[tuple[float, Callable[[Any], str]]] = [
    (0.26, _title), (0.22, _sentence), (0.12, _number), (0.12, _price), (0.12, _date), (0.16, _label)]


def copy_text(rng: Any) -> str:
    """One text of 1-60 characters."""
    weights = [w for w, _ in KINDS]
    kind = KINDS[int(rng.choice(len(KINDS), p=weights))][1]
    text = kind(rng)
    if chance(rng, 0.04):
        text = text.upper()
    if chance(rng, 0.03):
        cut = text.find(" ", len(text) // 2)
        text = text if cut < 0 else text[:cut] + "\n" + text[cut + 1:]
    if len(text) > 60:
        text = text[:60].rsplit(" ", 1)[0].rstrip(",")
    return text


def layer_name(rng: Any, kind: str, n: int) -> str:
    """A designer's name (`Hero`, `color-2`) or Figma's default (`Rectangle 12`), as real files mix them."""
    roll = rng.random()
    if roll < 0.45:
        return f"{kind} {n}"
    if roll < 0.75:
        return pick(rng, NAMED)
    return pick(rng, [f"{pick(rng, ['color', 'shape', 'item', 'card'])}-{n}", f"{pick(rng, ADJECTIVES)}-{pick(rng, NOUNS)}",
                      f"{pick(rng, NOUNS).capitalize()} {pick(rng, ['bg', 'image', 'icon', 'mask'])}"])
