"""Image fills fetched through Figma's images API (a local HTTP server imitates it, with
fault injection: a refused token, an unknown file, a slow answer, a missing or failing image)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from translators.figma.assets import image_refs
from translators.figma.images_api import fetch_images
from translators.fixtures import fixture_path
from translators.steps import load_screen

RECIPES = Path(__file__).resolve().parents[3] / "recipes"
REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "figma_export_color_styles.json"
REAL_REF = "fa58454b70245545d8e5cafcfb9734a0ece9cfd8"  # the image fill of a file saved by figma-export
TOKEN = "figd_secret-token-1234"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 64


class FakeFigma(BaseHTTPRequestHandler):
    """GET /v1/files/:key/images as Figma answers it; /img/<ref> as its download links."""

    seen: list[tuple[str, str | None]] = []
    omit: set[str] = set()
    broken: set[str] = set()

    def do_GET(self):  # noqa: N802 - the http.server API
        FakeFigma.seen.append((self.path, self.headers.get("X-Figma-Token")))
        parts = self.path.strip("/").split("/")
        if parts[:2] == ["v1", "files"] and parts[3:] == ["images"]:
            return self._images(parts[2])
        if parts[0] == "img" and parts[1] not in self.broken:
            kind, body = ("image/jpeg", JPEG) if parts[1] == "me" else ("image/png", PNG)
            return self._send(200, body, kind)
        return self._send(404, b'{"status": 404, "err": "Not found"}')

    def _images(self, key):
        if self.headers.get("X-Figma-Token") != TOKEN:
            return self._send(403, b'{"status": 403, "err": "Invalid token"}')
        if key == "SlowKey0001":
            time.sleep(1.5)
        if key == "MissingKey1":
            return self._send(404, b'{"status": 404, "err": "Not found"}')
        host = f"http://127.0.0.1:{self.server.server_address[1]}"
        refs = [r for r in image_refs(load_screen(fixture_path("profile")).root) + [REAL_REF] if r not in self.omit]
        body = {"error": False, "status": 200, "meta": {"images": {r: f"{host}/img/{r}" for r in refs}}}
        return self._send(200, json.dumps(body).encode())

    def _send(self, code, body, kind="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def figma_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeFigma)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeFigma.seen, FakeFigma.omit, FakeFigma.broken = [], set(), set()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _steps():
    spec = importlib.util.spec_from_file_location("figma_steps", RECIPES / "figma_steps.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(tmp_path, file_key):
    """images -> baseline -> translate -> report, as the recipe chains them."""
    steps, path = _steps(), str(fixture_path("profile"))
    ctx = SimpleNamespace(item={"id": "profile"}, recipe_dir=str(RECIPES), artifacts_dir=str(tmp_path))
    images = steps.images(ctx, path, "", file_key)
    failed = {"status": "failed", "spec_yaml": None}
    code = steps.translate(ctx, path, "", failed, steps.baseline(ctx, path, ""), "react_tsx,divkit,html",
                           "baseline", images)
    report = steps.report(ctx, {}, {}, code, {}, {"skipped": "checks=none"}, images)
    return images, code, Path(report["report"]).read_text(encoding="utf-8")


def _all_text(folder: Path) -> str:
    return "".join(p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file())


def test_image_fills_are_fetched_and_the_code_points_at_local_files(tmp_path, figma_api, monkeypatch):
    monkeypatch.setenv("FIGMA_TOKEN", TOKEN)
    monkeypatch.setenv("FIGMA_API_URL", figma_api)
    FakeFigma.omit, FakeFigma.broken = {"p5"}, {"p4"}
    images, code, report = _run(tmp_path, "FileKey123")
    refs = sorted(set(image_refs(load_screen(fixture_path("profile")).root)))
    assert refs == ["me", "p0", "p1", "p2", "p3", "p4", "p5"]
    assert images["paths"] == {"me": "images/me.jpg", **{f"p{i}": f"images/p{i}.png" for i in range(4)}}
    assert images["images"] == f"images: 5 of 7 fetched into {tmp_path / 'images'}, 2 placeholders"
    assert images["warnings"] == ["image p4: download answered 404; a placeholder stands in",
                                  "image p5: the file has no image with this ref; a placeholder stands in"]
    for target in ("html", "react_tsx", "divkit"):
        assert (tmp_path / "code" / target / "images" / "p0.png").read_bytes() == PNG
        assert (tmp_path / "code" / target / "images" / "me.jpg").read_bytes() == JPEG
    html = Path(code["files"]["html"][0]).read_text(encoding="utf-8")
    tsx = next(Path(p) for p in code["files"]["react_tsx"] if p.endswith(".tsx")).read_text(encoding="utf-8")
    divkit = next(Path(p) for p in code["files"]["divkit"] if p.endswith(".json")).read_text(encoding="utf-8")
    for source in (html, tsx, divkit):
        assert "images/p0.png" in source and "images/me.jpg" in source and "images/p4" not in source
    assert "- images: 5 of 7 fetched" in report and "  - warning: image p5: the file has no image" in report
    # the token went to the API call only, never to the download links, the files or the report
    assert {tok for path, tok in FakeFigma.seen if path.startswith("/img/")} == {None}
    assert [tok for path, tok in FakeFigma.seen if path.startswith("/v1/")] == [TOKEN]
    assert TOKEN not in _all_text(tmp_path)


def test_without_a_token_the_pictures_are_placeholders_and_the_report_says_why(tmp_path, figma_api, monkeypatch):
    monkeypatch.delenv("FIGMA_TOKEN", raising=False)
    monkeypatch.setenv("FIGMA_API_URL", figma_api)
    images, code, report = _run(tmp_path, "FileKey123")
    assert images == {"images": "images: placeholders (no FIGMA_TOKEN)", "paths": {}, "warnings": []}
    assert "- images: placeholders (no FIGMA_TOKEN)" in report.splitlines()
    html = Path(code["files"]["html"][0]).read_text(encoding="utf-8")
    assert "images/" not in html and 'data-figma-image="p0"' in html
    assert FakeFigma.seen == [] and not (tmp_path / "images").exists()


@pytest.mark.parametrize(("key", "token", "expected"), [
    ("FileKey123", "wrong", "Figma API refused the token (403) for file FileKey123: set FIGMA_TOKEN to a personal "
                            "access token with file read access"),
    ("MissingKey1", TOKEN, "Figma file MissingKey1 not found (404): check file_key (the key is the part after "
                           "/design/ or /file/ in the file's URL)"),
    ("SlowKey0001", TOKEN, "Figma API timed out: GET {api}/v1/files/SlowKey0001/images; retry, or raise the timeout"),
    ("", TOKEN, "no file_key param: the key is the part after /design/ or /file/ in the file's URL"),
    ("../etc", TOKEN, "file_key '../etc' is not a Figma file key: the key is the part after /design/ or /file/ "
                      "in the file's URL"),
])
def test_a_refused_file_is_one_clear_reason_and_no_files(tmp_path, figma_api, key, token, expected):
    got = fetch_images(["p0", "p1"], key, tmp_path, token, figma_api, timeout=0.5)
    assert got.status == f"images: placeholders ({expected.format(api=figma_api)})"
    assert got.paths == {} and got.warnings == [] and not (tmp_path / "images").exists()
    assert token not in got.status


def test_an_unreachable_api_names_the_setting_to_check(tmp_path):
    got = fetch_images(["p0"], "FileKey123", tmp_path, TOKEN, "http://127.0.0.1:9", timeout=2)
    assert got.status == ("images: placeholders (Figma API unreachable: GET http://127.0.0.1:9/v1/files/FileKey123/"
                          "images: ConnectError; check FIGMA_API_URL)")


def test_a_frame_without_image_fills_asks_nothing(tmp_path, figma_api):
    got = fetch_images([], "FileKey123", tmp_path, TOKEN, figma_api)
    assert got.status == "images: none in this frame" and FakeFigma.seen == []


def test_the_image_fill_of_a_real_file_is_fetched_for_every_target(tmp_path, figma_api, monkeypatch):
    monkeypatch.setenv("FIGMA_TOKEN", TOKEN)
    monkeypatch.setenv("FIGMA_API_URL", figma_api)
    steps = _steps()
    ctx = SimpleNamespace(item={"id": "colors"}, recipe_dir=str(RECIPES), artifacts_dir=str(tmp_path))
    images = steps.images(ctx, str(REAL), "", "FileKey123")
    assert images["paths"] == {REAL_REF: f"images/{REAL_REF}.png"} and images["warnings"] == []
    failed = {"status": "failed", "spec_yaml": None}
    code = steps.translate(ctx, str(REAL), "", failed, steps.baseline(ctx, str(REAL), ""), "react_tsx,divkit,html",
                           "baseline", images)
    html = Path(code["files"]["html"][0]).read_text(encoding="utf-8")
    assert f'src="images/{REAL_REF}.png"' in html and f'data-figma-image="{REAL_REF}"' in html
    assert (tmp_path / "code" / "divkit" / "images" / f"{REAL_REF}.png").read_bytes() == PNG
    # the checks read the picture's path back from every target, as the code's spec says
    assert f"src: images/{REAL_REF}.png" in code["spec_yaml"] == (tmp_path / "spec.yaml").read_text(encoding="utf-8")
    checks = asyncio.run(steps.compile_checks(ctx, code, "compile"))
    assert checks["ok"] is True and checks["strings_intact"] == {"html": True, "react_tsx": True, "divkit": True}
