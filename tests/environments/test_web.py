"""Web family: action parsing and checkers (fast), then real Chromium (`browser`)."""

import asyncio
import os
import signal
import statistics

import pytest

import gym_agents
from gym_agents.agents import Decision, OracleAgent, RandomAgent
from gym_agents.core import Observation, ToolCall
from gym_agents.environments.web.actions import BrowserAction, parse_action, tools_for
from gym_agents.environments.web.forms import FormsState, FormsTask, make_state
from gym_agents.environments.web.miniwob_oracles import ORACLES
from gym_agents.environments.web.registration import MINIWOB_TASKS
from gym_agents.environments.web.shop import make_catalogue, purchase_reward
from gym_agents.environments.web.shop import make_state as make_shop_state
from gym_agents.errors import EnvInfraError
from gym_agents.rollout import run_episode

AXTREE_TOOLS = tools_for("axtree")
SITE_IDS = ["web/shop-v0", "web/forms.settings-v0", "web/forms.booking-v0"]
ORACLE_IDS = [f"web/miniwob.{t}-v0" for t in sorted(ORACLES)] + SITE_IDS


# Fast: no browser.
@pytest.mark.parametrize("action, expected", [
    ('click("12")', BrowserAction("click", {"bid": "12"})),
    ("I will click it.\n```\nclick('12')\n```", BrowserAction("click", {"bid": "12"})),
    ("click(12)", BrowserAction("click", {"bid": "12"})),
    ('fill("3", "a, b) c")', BrowserAction("fill", {"bid": "3", "value": "a, b) c"})),
    ("scroll(0, 200)", BrowserAction("scroll", {"delta_x": 0, "delta_y": 200})),
    ("go_back()", BrowserAction("go_back", {})),
    (ToolCall("select_option", {"bid": "5", "option": "Peru"}),
     BrowserAction("select_option", {"bid": "5", "option": "Peru"})),
])
def test_actions_parse_from_text_and_tool_calls(action, expected):
    assert parse_action(action, AXTREE_TOOLS) == expected


@pytest.mark.parametrize("action, problem", [
    ("click the button", "No action found"),
    ('click("1", "2")', "takes 1 argument"),
    ("fill('3')", "missing ['value']"),
    ("click(bid=[1])", "must be a string"),
    ("scroll('a', 1)", "must be a number"),
    (ToolCall("dance", {}), "Unknown action 'dance'"),
    (ToolCall("click", {"bid": "1", "x": 2}), "unexpected argument"),
    ("mouse_click(3, 4)", "No action found"),  # a screenshot-mode action in axtree mode
])
def test_malformed_actions_give_a_message_naming_the_problem(action, problem):
    message = parse_action(action, AXTREE_TOOLS)
    assert isinstance(message, str) and problem in message


def test_shop_reward_matches_attributes_like_webshop():
    state = make_shop_state(7)
    goal = state.goal
    target = next(p for p in state.products if p.id == goal.product_id)
    assert purchase_reward(goal, target, goal.color, goal.size)["reward"] == 1.0
    wrong_color = next(c for c in ["black", "white", "red", "blue"] if c != goal.color)
    partial = purchase_reward(goal, target, wrong_color, goal.size)["reward"]
    assert 0.5 < partial < 1.0
    other = next(p for p in make_catalogue(__import__("random").Random(1))
                 if p.category != goal.category)
    assert purchase_reward(goal, other, goal.color, goal.size)["reward"] <= 0.1


def test_seeds_make_different_tasks_and_the_same_seed_the_same_task():
    assert make_shop_state(1).goal == make_shop_state(1).goal
    assert len({make_shop_state(s).goal.text() for s in range(10)}) >= 8
    assert len({str(make_state("booking", s).goal) for s in range(10)}) == 10


def test_forms_checker_reads_the_saved_state():
    task = FormsTask.__new__(FormsTask)
    state: FormsState = make_state("settings", 3)
    assert not task.check(state).done
    state.settings, state.saves = dict(state.goal), 1
    status = task.check(state)
    assert status.done and status.success and status.reward == 1.0
    state.settings["timezone"] = "nowhere"
    assert task.check(state).reward == 0.75 and not task.check(state).success


def test_every_miniwob_task_in_the_package_is_registered():
    from gym_agents.environments.web.miniwob import miniwob_html_dir

    shipped = {p.stem for p in (miniwob_html_dir() / "miniwob").glob("*.html")}
    assert shipped == set(MINIWOB_TASKS) and len(shipped) == 130
    assert set(ORACLES) <= shipped
    gym_agents.registration.load_plugins()
    for task in MINIWOB_TASKS:
        assert f"web/miniwob.{task}-v0" in gym_agents.registry


# Real Chromium.
browser = pytest.mark.browser


@browser
def test_observation_has_goal_bids_screenshot_and_tools():
    env = gym_agents.make("web/miniwob.click-button-v0")
    obs, info = env.reset(seed=5)
    goal = info["goal"]
    assert goal.startswith("Click on the") and goal in obs.text
    assert "# Accessibility tree" in obs.text and "button" in obs.text
    image = obs.images[0]
    assert image.png.startswith(b"\x89PNG") and (image.width, image.height) == (330, 240)
    assert {t.name for t in obs.tools} >= {"click", "fill", "select_option", "hover", "press",
                                           "scroll", "goto", "go_back", "send_msg_to_user",
                                           "noop"}
    # A bid is stable: the same element keeps it after a step.
    before = [line for line in obs.text.splitlines() if "button" in line]
    obs2, *_ = env.step("noop()")
    assert before == [line for line in obs2.text.splitlines() if "button" in line]
    env.close()


@browser
@pytest.mark.parametrize("action, problem", [
    ('click("99999")', "No element has bid '99999'"),
    ("click(", "Could not parse"),
    ("goto('https://example.com/')", "only this site"),
    (ToolCall("fill", {"bid": "1"}), "missing"),
])
def test_bad_actions_are_observations_naming_the_problem(action, problem):
    env = gym_agents.make("web/miniwob.enter-text-v0")
    env.reset(seed=0)
    obs, reward, terminated, _truncated, info = env.step(action)
    assert info["invalid_action"] is True and problem in obs.text
    assert not terminated and reward == 0.0
    env.close()


@browser
def test_a_killed_browser_is_an_infra_error_and_the_next_episode_runs():
    from gym_agents.environments.web.env import WebEnv
    from gym_agents.environments.web.miniwob import MiniWoBTask
    from gym_agents.environments.web.runtime import BrowserRuntime

    runtime = BrowserRuntime()  # its own browser, so other tests' pages are not hit
    env = WebEnv(MiniWoBTask("click-button-sequence"), runtime=runtime)

    class KillsTheBrowser(OracleAgent):
        async def act(self, obs: Observation, info) -> Decision:
            self.seen.append(obs)
            if len(self.seen) == 2:  # mid-episode: after the first of two clicks
                pids = runtime.browser_pids()
                assert pids
                for pid in pids:
                    os.kill(pid, signal.SIGKILL)
                await asyncio.sleep(0.5)
                return Decision("noop()")
            return await super().act(obs, info)

    agent = KillsTheBrowser()
    agent.seen = []
    lost = asyncio.run(run_episode(env, agent, env_id="web/miniwob.click-button-sequence-v0",
                                   seed=1))
    assert lost.status == "infra_error" and "EnvInfraError" in lost.error
    assert runtime.launches == 1
    again = asyncio.run(run_episode(env, OracleAgent(), env_id="web/x-v0", seed=2))
    assert again.status == "ok" and again.success, again.error
    assert runtime.launches == 2
    env.close()
    runtime.close()


@browser
def test_a_dead_page_in_step_raises_env_infra_error():
    env = gym_agents.make("web/miniwob.click-test-v0")
    env.reset(seed=0)
    page = env.unwrapped._page
    env.unwrapped.runtime.call(page.close())
    with pytest.raises(EnvInfraError):
        env.step("noop()")
    env.reset(seed=0)  # the env recovers on reset
    assert env.step(env.oracle_action()).info["success"]
    env.close()


@browser
@pytest.mark.slow
@pytest.mark.parametrize("env_id", ORACLE_IDS)
def test_oracle_succeeds_on_every_task_with_an_oracle(env_id):
    # Seeds 1 and 2 here; check_env (tests/core/test_check_env.py) plays seed 0.
    env = gym_agents.make(env_id)
    for seed in (1, 2):
        env.reset(seed=seed)
        for _ in range(env.spec.max_episode_steps):
            obs, reward, terminated, truncated, info = env.step(env.oracle_action())
            assert not info.get("invalid_action"), obs.text
            if terminated or truncated:
                break
        assert terminated and info["success"] and reward == 1.0, (seed, obs.text)
    env.close()


@browser
@pytest.mark.slow
def test_random_agent_is_far_below_the_oracle():
    async def mean_success(agent, env_id: str) -> float:
        env = gym_agents.make(env_id)
        results = [await run_episode(env, agent, env_id=env_id, seed=s) for s in range(5)]
        env.close()
        return statistics.mean(float(r.success) for r in results)

    ids = ["web/miniwob.click-button-v0", "web/miniwob.enter-text-v0",
           "web/miniwob.login-user-v0"]
    random_rate = statistics.mean(asyncio.run(mean_success(RandomAgent(seed=0), i))
                                  for i in ids)
    assert random_rate <= 0.35


@browser
@pytest.mark.slow
@pytest.mark.parametrize("env_id", ["web/miniwob.click-button-v0", "web/miniwob.enter-text-v0",
                                    "web/miniwob.choose-list-v0", "web/forms.settings-v0"])
def test_screenshot_mode_with_coordinate_actions(env_id):
    env = gym_agents.make(env_id, obs="screenshot")
    obs, _ = env.reset(seed=2)
    assert "Accessibility tree" not in obs.text and obs.images
    assert {t.name for t in obs.tools} >= {"mouse_click", "keyboard_type"}
    assert "click" not in {t.name for t in obs.tools}
    for _ in range(60):
        action = env.oracle_action()
        assert action.split("(")[0] in {"mouse_click", "keyboard_type", "keyboard_press",
                                         "noop", "scroll"}, action
        obs, _reward, terminated, _truncated, info = env.step(action)
        if terminated:
            break
    assert info["success"], obs.text
    env.close()


@browser
def test_concurrent_episodes_share_one_browser_in_isolated_contexts():
    async def run_all():
        envs = [gym_agents.make("web/forms.settings-v0") for _ in range(3)]
        episodes = await asyncio.gather(*(
            run_episode(env, OracleAgent(), env_id="web/forms.settings-v0", seed=s)
            for s, env in enumerate(envs)))
        for env in envs:
            env.close()
        return episodes

    episodes = asyncio.run(run_all())
    assert all(e.status == "ok" and e.success for e in episodes)
    assert len({e.task_id for e in episodes}) == 3


@browser
def test_play_saves_a_screenshot_per_step(tmp_path):
    import argparse

    from gym_agents.cli.play import play_command

    lines = iter(['click("999999")', "noop()", "/quit"])
    args = argparse.Namespace(env_id="web/miniwob.click-button-v0", seed=1, split="test",
                              screenshots=str(tmp_path))
    assert play_command(args, input_fn=lambda _: next(lines)) == 0
    shots = sorted(p.name for p in tmp_path.glob("*.png"))
    assert shots == ["step-000.png", "step-001.png", "step-002.png"]
