"""The viewer in headless Chromium (Playwright) over run folders made by the test suite.

Each test opens pages the way a user would, checks what rendered (turns,
images, heat strips, plots), and saves screenshots that are checked for
content: not blank, and the expected text on the page when it was taken.
Screenshots go to $GYM_AGENTS_VIEWER_SHOTS when set (to look at them), else
to the test's temporary folder.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from gym_agents.cli.main import main
from gym_agents.core import Image
from tests.viewer.conftest import eval_cli, serving, write_training_run

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def screenshot_image(browser) -> Image:
    """A real Chromium screenshot, as a web env stores one in an observation."""
    page = browser.new_page(viewport={"width": 320, "height": 200})
    page.set_content("<body style='background:#fafafa'><h1 style='color:#2456c9'>Checkout</h1>"
                     "<button style='background:#1a7f37;color:white;font-size:20px'>Pay now"
                     "</button></body>")
    png = page.screenshot()
    page.close()
    return Image(png, 320, 200)


@pytest.fixture(scope="module")
def textworld_run(tmp_path_factory, shared_cache) -> Path:
    out = tmp_path_factory.mktemp("tw") / "textworld-oracle"
    eval_cli("--env", "textworld/simple-v0", "--agent", "oracle", "--episodes", "2",
             "--out", str(out))
    return out


@pytest.fixture(scope="module")
def all_runs(eval_root, textworld_run, screenshot_image, tmp_path_factory):
    train = write_training_run(tmp_path_factory.mktemp("train_shot") / "grpo-web",
                               image=screenshot_image)
    return [eval_root, textworld_run, train]


@pytest.fixture(scope="module")
def viewer(all_runs):
    with serving(all_runs) as served:
        yield served


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    path = os.environ.get("GYM_AGENTS_VIEWER_SHOTS")
    folder = Path(path) if path else tmp_path_factory.mktemp("shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_view(page, url: str) -> None:
    page.goto(url)
    settle(page)


def settle(page) -> None:
    """Wait until the page shows what its address says (a render follows each hash change)."""
    page.wait_for_function("document.body.dataset.state === 'ready' && "
                           "document.body.dataset.shown === location.hash")


def go(page, hash_: str) -> None:
    page.evaluate("h => { location.hash = h; }", hash_)
    settle(page)


def image_stats(page, png: bytes) -> dict:
    """Decode a PNG in the browser: its size, colours, and how much of it is not near-white."""
    return page.evaluate("""async (b64) => {
        const img = new Image(); img.src = 'data:image/png;base64,' + b64; await img.decode();
        const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
        const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        const colours = new Set(); let ink = 0, n = 0;
        for (let i = 0; i < d.length; i += 4 * 7) {
            colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]); n++;
            if (d[i] + d[i + 1] + d[i + 2] < 600) ink++;
        }
        return {width: c.width, height: c.height, colours: colours.size, ink: ink / n};
    }""", base64.b64encode(png).decode())


def shoot(page, shots: Path, name: str, expected: list[str]) -> None:
    """Save a screenshot of the page and check it is not blank and shows the expected text."""
    text = page.inner_text("#app").lower()  # innerText applies CSS text-transform
    for needle in expected:
        assert needle.lower() in text, f"{name}: {needle!r} is not on the page"
    png = page.screenshot(full_page=False)
    (shots / f"{name}.png").write_bytes(png)
    stats = image_stats(page, png)
    assert stats["width"] == 1400 and stats["height"] == 1000
    assert stats["colours"] > 8 and 0.01 < stats["ink"] < 0.9, f"{name} looks blank: {stats}"


def first_episode(page, run_id: int) -> None:
    go(page, f"#run/{run_id}")
    page.click("#episode-table tr.link >> nth=0")
    page.wait_for_selector("body[data-view=ep][data-state=ready]")


def test_an_episode_of_each_family_renders_turn_by_turn(page, viewer, shots):
    base, ids, runs = viewer
    open_view(page, base)
    assert page.locator("#runs tr").count() == 1 + len(runs)
    shoot(page, shots, "runs", ["oracle", "random", "react", "textworld-oracle", "grpo-web"])
    for name, expected in [("oracle", ["toy/Relay-v0", "Initial observation", "Relay."]),
                           ("textworld-oracle", ["textworld/simple-v0", "Turn 0"]),
                           ("react", ["messages the model saw", "logprobs", "invalid action"]),
                           ("grpo-web", ["segment 1", "Summary of segment 0"])]:
        run = runs[ids[name]]
        first_episode(page, ids[name])
        episode = run.episode(0)
        # One card per turn plus the initial observation, in order, with their actions.
        assert page.locator(".turn").count() == len(episode["turns"]) + 1
        assert action_text(episode["turns"][-1]["action"]) in \
            page.locator(".turn").last.inner_text()
        shoot(page, shots, f"episode-{name}", expected)


def test_tokens_logprobs_images_and_info(page, viewer, shots, screenshot_image):
    base, ids, runs = viewer
    open_view(page, base + f"#ep/{ids['grpo-web']}/0")
    episode = runs[ids["grpo-web"]].episode(0)
    strips = page.locator(".heat")
    assert strips.count() == 4
    assert [strips.nth(i).locator("span").count() for i in range(4)] == \
        [len(t["logprobs"]) for t in episode["turns"]]
    # The screenshot in turn 1's observation is decoded and shown at its size.
    page.locator("#turn-2 details summary", has_text="messages").click()
    assert page.locator("#turn-2 .message img.shot").evaluate("i => i.naturalWidth") == \
        screenshot_image.width
    size = page.eval_on_selector("#turn-1 img.shot",
                                 "i => [i.complete, i.naturalWidth, i.naturalHeight]")
    assert size == [True, screenshot_image.width, screenshot_image.height]
    # Trajectory text is shown as text, never run as HTML.
    assert "<script>alert('x')</script>" in page.inner_text("#turn-0")
    assert page.locator("#app script").count() == 0
    # SUPO segment boundaries, the SWE-style patch and tests, the MLE-style score.
    assert page.locator(".segment").all_inner_texts() == ["segment 0", "segment 1"]
    assert "Summary of segment 0" in page.locator("#turn-2 .summary-text pre").inner_text()
    assert page.locator("#turn-3 pre.diff .add").inner_text().strip() == "+    return a + b"
    assert page.locator("#turn-3 ul.tests .badge.bad").inner_text() == "failed"
    grade = page.locator("#turn-3 .nested")  # a nested dict: its own chips and lists
    assert "resolved false" in grade.inner_text()
    assert grade.locator("ul.plain li").all_inner_texts() == ["tests/test_calc.py::test_sub"]
    page.locator("#turn-1").scroll_into_view_if_needed()
    shoot(page, shots, "episode-images", ["prompt 31 tok", "completion 13 tok", "score 0.75"])
    stats = image_stats(page, page.locator("#turn-1 img.shot").screenshot())
    assert stats["colours"] > 8 and stats["ink"] > 0.01
    page.keyboard.press("j")  # next episode
    page.wait_for_function("location.hash.endsWith('/1')")
    settle(page)
    assert "relay-1" in page.inner_text("h2")


def test_episode_filters(page, viewer):
    base, ids, _ = viewer
    open_view(page, base + f"#run/{ids['random']}")
    assert page.locator("#episode-table tr.link").count() == 8
    page.select_option("select[name=env]", "toy/GuessNumber-v0")
    page.wait_for_function("location.hash.includes('env=')")
    settle(page)
    envs = page.locator("#episode-table tr.link td:nth-child(2)").all_inner_texts()
    assert envs == ["toy/GuessNumber-v0"] * 4
    page.select_option("select[name=outcome]", "failure")
    page.wait_for_function("location.hash.includes('outcome=failure')")
    settle(page)
    outcomes = page.locator("#episode-table tr.link td:nth-child(7)").all_inner_texts()
    assert outcomes and all("failure" in o for o in outcomes)


def test_training_plots(page, viewer, shots):
    base, ids, runs = viewer
    open_view(page, base + f"#run/{ids['grpo-web']}")
    keys = page.eval_on_selector_all("svg.chart", "cs => cs.map(c => c.dataset.key)")
    metrics = runs[ids["grpo-web"]].metrics()
    numeric = {k for row in metrics for k, v in row.items() if isinstance(v, (int, float))}
    # Every numeric metric has a chart, but reward/std is the band around reward/mean.
    assert set(keys) == numeric - {"step", "time", "reward/std"}
    reward = page.locator("svg.chart[data-key='reward/mean']")
    assert reward.locator("polyline").get_attribute("points").count(",") == 30
    assert reward.locator("polygon.band").count() == 1
    assert reward.locator("circle.dot.eval").count() == 3  # held-out eval points
    assert page.locator("svg.chart[data-key='eval/success'] circle").count() == 3
    # A long run's curves are thinned to what a chart can show, keeping the last step.
    kept = page.evaluate("thin(Array.from({length: 4000}, (_, i) => [i, 2 * i]))")
    assert 1000 < len(kept) <= 1501 and kept[-1] == [3999, 7998]
    shoot(page, shots, "training", ["Training", "reward/mean", "pivot/retention",
                                    "supo/summaries_mean", "policy/approx_kl"])


def test_compare_two_runs_side_by_side(page, viewer, shots):
    base, _, _ = viewer
    open_view(page, base)
    page.locator("#runs tr", has_text="oracle").first.locator("input").check()
    page.locator("#runs tr", has_text="random").locator("input").check()
    page.click("#compare-btn")
    page.wait_for_selector("body[data-view=compare][data-state=ready]")
    assert page.locator("#compare-table tr").count() == 9
    shoot(page, shots, "compare", ["only A succeeds", "guess-0"])
    page.click("#compare-table a >> nth=0")
    page.wait_for_selector("body[data-view=pair][data-state=ready]")
    assert page.locator(".pair .episode").count() == 2
    shoot(page, shots, "side-by-side", ["A: ", "B: ", "Turn 0"])


def test_report_opens_offline(page, all_runs, shots, tmp_path):
    out = tmp_path / "report.html"
    assert main(["report", *map(str, all_runs), "--out", str(out), "--episodes", "2"]) == 0
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    open_view(page, out.as_uri())
    assert page.locator("section.run").count() == 5
    assert page.locator("svg.chart").count() > 10
    shoot(page, shots, "report", ["gym-agents report", "textworld/simple-v0", "Training"])
    go(page, "#ep/4/0")
    assert page.locator(".turn .observation img.shot").count() == 1
    go(page, "#run/0?env=toy/Relay-v0")  # the report filters its own episodes
    first_two = (all_runs[0] / "oracle" / "episodes.jsonl").read_text().splitlines()[:2]
    relay = sum(json.loads(line)["env_id"] == "toy/Relay-v0" for line in first_two)
    assert page.locator("#episode-table tr.link").count() == relay
    assert "first 2 of 8 episodes" in page.inner_text("#app")
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    data = json.loads(page.evaluate("JSON.stringify(Object.keys(window.GA_DATA))"))
    assert data == ["runs", "metrics", "rows", "episodes"]


def action_text(action) -> str:
    return action if isinstance(action, str) else action["tool_call"]["name"]


# One oracle episode of each family whose envs take longer to start (simulators, a browser,
# docker sandboxes), with what each must show: screenshots for web, grades and scores for
# SWE and MLE.
FAMILY_EPISODES = [
    pytest.param("alfworld/all-v0", id="alfworld"),
    pytest.param("scienceworld/find-non-living-thing-v0", id="scienceworld"),
    pytest.param("web/miniwob.click-button-v0", id="web"),
    pytest.param("swe/starter-v0", marks=pytest.mark.docker, id="swe"),
    pytest.param("mle/micro-v0", marks=pytest.mark.docker, id="mle"),
]


@pytest.mark.slow
@pytest.mark.parametrize("env_id", FAMILY_EPISODES)
def test_an_episode_of_the_slower_families(page, env_id, tmp_path, shots):
    family = env_id.split("/")[0]
    out = tmp_path / family
    eval_cli("--env", env_id, "--agent", "oracle", "--episodes", "1", "--out", str(out))
    with serving([out]) as (base, _, runs):
        open_view(page, base + "#ep/0/0")
        episode = runs[0].episode(0)
        turns = episode["turns"]
        assert episode["success"] and page.locator(".turn").count() == len(turns) + 1
        last = page.locator(".turn").last
        assert action_text(turns[-1]["action"]) in last.inner_text()
        shown = last.inner_text().lower()  # labels are upper-cased by CSS
        for key in turns[-1]["info"]:  # every info key is shown, nested ones included
            assert key.lower() in shown, key
        observations = [episode["initial_observation"]] + [t["observation"] for t in turns]
        images = sum(len(obs.get("images", ())) for obs in observations)
        sizes = page.eval_on_selector_all(".turn .observation img.shot",
                                          "imgs => imgs.map(i => i.naturalWidth)")
        assert len(sizes) == images and all(size > 0 for size in sizes)
        if family == "web":
            assert images > 0
        if family in ("swe", "mle"):
            assert last.locator(".nested").count() >= 1  # the grade, part by part
        if family == "swe":  # the oracle's patch, in its bash command, shown as a diff
            assert page.locator("#turn-0 .tool-call pre.diff .add").count() >= 1
        first_action = action_text(turns[0]["action"])
        shoot(page, shots, f"episode-{family}", [env_id, "success", first_action])
