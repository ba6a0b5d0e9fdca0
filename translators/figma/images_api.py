"""Image fills fetched through Figma's REST API, saved next to the generated code.

`GET {FIGMA_API_URL}/v1/files/:key/images` (header `X-Figma-Token`) answers
`{"meta": {"images": {imageRef: url}}}`; each URL (a short-lived download link, fetched without
the token) is saved as `images/<imageRef>.<ext>` in the run's artefacts folder, and the spec's
images point there. Without a token or a file key the pictures stay placeholders and the report
says why. The token is read from the environment only: never a param, a cache key, a message
or a report line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

API_URL = "https://api.figma.com"
MAX_BYTES = 32 * 1024 * 1024
_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp", "image/svg+xml": "svg"}
_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF8", "gif"), (b"RIFF", "webp"), (b"<svg", "svg"))
_REF = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_KEY = re.compile(r"^[A-Za-z0-9]{8,64}$")
_HINT = "the key is the part after /design/ or /file/ in the file's URL"


class FigmaApiError(Exception):
    """The images API refused the file as a whole (token, key, network): one message, no token."""


@dataclass
class Fetched:
    """What the fetch brought: {imageRef: 'images/<ref>.<ext>'}, per-image warnings, one status line."""

    paths: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    status: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"images": self.status, "paths": self.paths, "warnings": self.warnings}


def fetch_images(refs: list[str], file_key: str, folder: Path, token: str | None,
                 base_url: str | None = None, timeout: float = 30.0) -> Fetched:
    """Download the image fills `refs` of file `file_key` into `folder`/images.
    No token or no key: placeholders, and the status says which is missing; the API refusing
    the file: placeholders, and the status carries its one clear reason."""
    wanted = sorted({r for r in refs if r})
    if not wanted:
        return Fetched(status="images: none in this frame")
    if not token:
        return Fetched(status="images: placeholders (no FIGMA_TOKEN)")
    if not file_key:
        return Fetched(status=f"images: placeholders (no file_key param: {_HINT})")
    if not _KEY.match(file_key):
        return Fetched(status=f"images: placeholders (file_key {file_key!r} is not a Figma file key: {_HINT})")
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True) as client:
            urls = image_fill_urls(client, file_key, token, base_url or API_URL)
            return _download(client, wanted, urls, folder)
    except FigmaApiError as exc:
        return Fetched(status=f"images: placeholders ({exc})")


def image_fill_urls(client: httpx.Client, file_key: str, token: str, base_url: str) -> dict[str, str]:
    """{imageRef: download URL} of every image fill of the file, or FigmaApiError."""
    url = f"{base_url.rstrip('/')}/v1/files/{file_key}/images"
    try:
        reply = client.get(url, headers={"X-Figma-Token": token}, follow_redirects=False)  # the token stays here
    except httpx.TimeoutException:
        raise FigmaApiError(f"Figma API timed out: GET {url}; retry, or raise the timeout") from None
    except httpx.HTTPError as exc:
        raise FigmaApiError(f"Figma API unreachable: GET {url}: {type(exc).__name__}; check FIGMA_API_URL") from None
    if reply.status_code == 403:
        raise FigmaApiError(f"Figma API refused the token (403) for file {file_key}: set FIGMA_TOKEN to a "
                            "personal access token with file read access")
    if reply.status_code == 404:
        raise FigmaApiError(f"Figma file {file_key} not found (404): check file_key ({_HINT})")
    if reply.status_code != 200:
        raise FigmaApiError(f"Figma API answered {reply.status_code} for file {file_key}: {_reason(reply)}")
    try:
        images = reply.json()["meta"]["images"]
    except (ValueError, KeyError, TypeError):
        raise FigmaApiError(f"Figma API answer for file {file_key} has no meta.images") from None
    if not isinstance(images, dict):
        raise FigmaApiError(f"Figma API answer for file {file_key}: meta.images is not an object")
    return {str(k): v for k, v in images.items() if isinstance(v, str) and v}


def _download(client: httpx.Client, refs: list[str], urls: dict[str, str], folder: Path) -> Fetched:
    out = Fetched()
    for ref in refs:
        problem = _save(client, ref, urls.get(ref), folder, out.paths)
        if problem:
            out.warnings.append(f"image {ref}: {problem}; a placeholder stands in")
    failed = f", {len(out.warnings)} placeholders" if out.warnings else ""
    out.status = f"images: {len(out.paths)} of {len(refs)} fetched into {folder / 'images'}{failed}"
    return out


def _save(client: httpx.Client, ref: str, url: str | None, folder: Path, paths: dict[str, str]) -> str:
    """Download one picture; '' when saved (and recorded in `paths`), else what went wrong."""
    if not _REF.match(ref):
        return "not a Figma image ref"
    if not url:
        return "the file has no image with this ref"
    if not url.startswith(("https://", "http://")):
        return "its URL is not http(s)"
    try:
        reply = client.get(url)  # a signed download link: no token sent along
    except httpx.TimeoutException:
        return "download timed out"
    except httpx.HTTPError as exc:
        return f"download failed ({type(exc).__name__})"
    if reply.status_code != 200:
        return f"download answered {reply.status_code}"
    body = reply.content
    if not body or len(body) > MAX_BYTES:
        return f"download is {len(body)} bytes (1 to {MAX_BYTES} accepted)"
    name = f"images/{ref}.{_extension(reply.headers.get('content-type', ''), body)}"
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(body)
    paths[ref] = name
    return ""


def _extension(content_type: str, body: bytes) -> str:
    kind = _TYPES.get(content_type.split(";")[0].strip().lower())
    return kind or next((ext for magic, ext in _MAGIC if body.startswith(magic)), "png")


def _reason(reply: httpx.Response) -> str:
    try:
        data = reply.json()
    except ValueError:
        return reply.text[:200] or reply.reason_phrase
    return str(data.get("err") or data.get("message") or data)[:200] if isinstance(data, dict) else str(data)[:200]


__all__ = ["API_URL", "FigmaApiError", "Fetched", "fetch_images", "image_fill_urls"]
