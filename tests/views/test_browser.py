"""The HTML pages open in headless Chromium (Debian's ``chromium``, driven by the npm package
``playwright-core`` installed in tests/views/browser) with no console errors and no network
requests, show the expected number of token elements, and leave screenshots in
test-artifacts/views/ (light and dark)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ghostls.documents import Document
from ghostls.providers.base import Segment
from ghostls.views import attention as A
from ghostls.views.eager import eager_twin
from ghostls.views.html import render_page
from ghostls.views.positions import positional_view
from ghostls.views.service import gpt2_tokenizer
from ghostls.views.tokens import token_view, tokenize
from ghostls.views.why import why_view

ROOT = Path(__file__).resolve().parents[2]
BROWSER_DIR = Path(__file__).parent / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "views"

SOURCE = ("import os\n\n\ndef read_config(path, default=None):  # 設定 🐍\n    if not os.path.exists(path):\n"
          "        return default\n    with open(path) as handle:\n        return handle.read()\n")


def _missing() -> str:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium"
    if shutil.which("node") is None:
        return "node is missing: install Node.js 20+"
    return ""


# CI sets GHOSTLS_REQUIRE_BROWSER=1: there a missing browser fails these tests instead of skipping them.
pytestmark = pytest.mark.skipif(bool(_missing()) and not os.environ.get("GHOSTLS_REQUIRE_BROWSER"),
                                reason=_missing() or "browser present")


@pytest.fixture(scope="module")
def driver() -> Path:
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR, check=True,
                       capture_output=True, timeout=300)
    return BROWSER_DIR / "check_page.mjs"


def open_page(driver: Path, name: str, page: str, *selectors: str) -> dict[str, Any]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    html_path = ARTIFACTS / f"{name}.html"
    html_path.write_text(page, encoding="utf-8")
    shot = ARTIFACTS / f"{name}.png"
    done = subprocess.run(["node", str(driver), str(html_path), str(shot), *selectors], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "CHROMIUM": CHROMIUM})
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["consoleErrors"] == [] and report["pageErrors"] == [], report
    assert report["requests"] == [], "the page must not touch the network"
    assert report["ready"] == "1"
    assert report["lightBackground"] != report["darkBackground"]  # both themes are drawn
    assert shot.stat().st_size > 5000 and shot.with_name(f"{name}-dark.png").is_file()
    return report


def test_token_page(driver: Path, tiny_tokenizer: Any) -> None:
    doc = Document("file:///c.py", SOURCE)
    view = token_view(tiny_tokenizer, SOURCE, locate=doc.position_at, context_window=2048,
                      compare=gpt2_tokenizer(), compare_name="gpt2")
    report = open_page(driver, "tokens", render_page("tokens", view, "Tokens · c.py"), "#tokens .tok", "#compare .tok")
    assert report["counts"]["#tokens .tok"] == len(view["groups"]) < len(view["tokens"])  # the emoji is grouped
    assert report["counts"]["#compare .tok"] == len(view["compare"]["groups"])
    assert "id " in report["tooltip"]


def test_attention_page(driver: Path, tiny_llama: Any, tiny_tokenizer: Any) -> None:
    doc = Document("file:///c.py", SOURCE)
    tz = tokenize(tiny_tokenizer, SOURCE)
    options = A.AttentionOptions(aggregation="rollout")
    result = A.run_attention(eager_twin(tiny_llama), [t.id for t in tz.tokens], list(range(len(tz.tokens))), options)
    view = A.summarize(result, tz, base=0, locate=doc.position_at, selection_start=0, options=options)
    report = open_page(driver, "attention", render_page("attention", view, "Attention · c.py"),
                       "#tokens .tok", "#heads tbody tr", "#heatmap", "#lines .linebar", "#layer option")
    counts = report["counts"]
    assert counts["#tokens .tok"] == len(view["groups"])
    assert counts["#heads tbody tr"] == len(view["heads"]) == 2 * 4
    assert counts["#heatmap"] == 1 and counts["#lines .linebar"] == len(view["lines"])
    assert counts["#layer option"] == 1 + len(view["lineMassByHead"]["layers"])


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_positions_pages(driver: Path, arch: str, tiny_llama: Any, tiny_gpt2: Any) -> None:
    model = tiny_llama if arch == "llama" else tiny_gpt2
    view = positional_view(model, 2048, 10)
    page = render_page("positions", view, f"Positions · {arch}")
    report = open_page(driver, f"positions-{arch}", page, "#pairs .pair", "#heatmap", "#cosine")
    if arch == "llama":
        assert report["counts"]["#pairs .pair"] == len(view["pairs"])
    else:
        assert report["counts"]["#heatmap"] == 1 and report["counts"]["#cosine"] == 1


def test_why_page(driver: Path, tiny_llama: Any, tiny_tokenizer: Any) -> None:
    prefix = "def area(r):\n    return "
    text = "<fim_prefix>" + prefix + "<fim_suffix>\n<fim_middle>"
    segments = (Segment("prefix", 12, 12 + len(prefix)), Segment("suffix", text.index("<fim_suffix>") + 12,
                                                                 text.index("<fim_middle>")))
    view = why_view(eager_twin(tiny_llama), tiny_tokenizer, text, segments, "3.14 * r * r")
    # What the pipeline adds after suffix-aware reranking: the alternatives, best first.
    view["alternatives"] = [{"text": "3.14 * r * r", "score": -4.2}, {"text": "r ** 2", "score": -7.9}]
    report = open_page(driver, "why", render_page("why", view, "Why · area.py"), "#generated .tok",
                       "#segments tbody tr", "#alternatives tbody tr")
    assert report["counts"]["#generated .tok"] == len(view["generated"]["tokens"])
    assert report["counts"]["#segments tbody tr"] == 2
    assert report["counts"]["#alternatives tbody tr"] == 2
