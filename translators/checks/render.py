"""Render HTML pages in headless Debian chromium (driven by Playwright, never `playwright
install`) and read every element's box, text and colours; one browser for many pages."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translators.errors import ToolMissing

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
_READ_ELEMENTS = """() => {
  const box = el => { const r = el.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; };
  const inner = (el, cs) => { const [x, y, w, h] = box(el); const p = k => parseFloat(cs['padding' + k]) || 0;
    return [x + p('Left'), y + p('Top'), w - p('Left') - p('Right'), h - p('Top') - p('Bottom')]; };
  return [...document.querySelectorAll('[data-id]')].map(el => {
    const cs = getComputedStyle(el);
    const tag = el.tagName.toLowerCase();
    const run = el.matches('[data-t]') ? el : el.querySelector(':scope > [data-t]');
    const control = tag === 'label' ? el.querySelector('input') : null;
    const out = {id: el.dataset.id, tag, role: el.getAttribute('role'),
            box: box(el), bg: cs.backgroundColor, border: cs.borderTopColor,
            text: run ? run.textContent : null, text_box: run ? box(run) : null,
            color: run ? getComputedStyle(run).color : cs.color,
            control: control ? {box: box(control), bg: getComputedStyle(control).backgroundColor} : null,
            paint: {image: cs.backgroundImage, shadow: cs.boxShadow, filter: cs.filter, backdrop: cs.backdropFilter,
                    borders: ['Top', 'Right', 'Bottom', 'Left'].map(
                      k => [parseFloat(cs['border' + k + 'Width']) || 0, cs['border' + k + 'Style']])
                      .concat([[parseFloat(cs.outlineWidth) || 0, cs.outlineStyle]])},
            font: null};
    if (run || tag === 'input') { const rs = run ? getComputedStyle(run) : cs;
      out.font = {family: rs.fontFamily, transform: rs.textTransform, decoration: rs.textDecorationLine,
                  style: rs.fontStyle, spacing: rs.letterSpacing,
                  link: !!(run && run.querySelector('a[href]')),  // styled ranges: leaf runs with a style
                  ranges: run ? [...run.querySelectorAll('span[style], a[style]')]
                    .filter(r => !r.children.length && r.style.display !== 'block').length : 0}; }
    if (tag === 'input' && (el.value || el.placeholder)) {  // the field's text: measured, centred in its box
      out.text = el.value || el.placeholder;
      const pen = document.createElement('canvas').getContext('2d');
      pen.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      const [x, y, w, h] = inner(el, cs);
      const line = Math.round(parseFloat(cs.fontSize) * 1.2);
      out.text_box = [x, y + (h - line) / 2, Math.min(w, pen.measureText(out.text).width), line];
    }
    return out;
  });
}"""


@dataclass
class Page:
    """One page to render at the design's frame size."""

    html: str
    width: int
    height: int
    screenshot: Path | None = None


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise ToolMissing("Debian chromium is not installed\n    fix: apt-get install -y chromium "
                      f"({ToolMissing.SETUP} does it)", "chromium")


def render(pages: list[Page]) -> list[list[dict[str, Any]]]:
    """For each page: every [data-id] element's box, text run, colours (and a screenshot)."""
    try:
        # optional (dev extra) and heavy: loaded on the first render, so ToolMissing can say so
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise ToolMissing(f"Python playwright is missing\n    fix: {ToolMissing.SETUP}, or `.venv/bin/pip install -e "
                          "'.[dev]'` in the pipe checkout", "playwright") from exc
    executable = chromium_path()
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            for page_job in pages:
                page = browser.new_page(viewport={"width": page_job.width, "height": page_job.height})
                page.route("**/*", lambda route: route.abort())  # offline: no image or font fetches
                page.set_content(page_job.html, wait_until="load")
                results.append(page.evaluate(_READ_ELEMENTS))
                if page_job.screenshot is not None:
                    page_job.screenshot.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(page_job.screenshot))
                page.close()
        finally:
            browser.close()
    return results
