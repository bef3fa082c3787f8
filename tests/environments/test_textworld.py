"""TextWorld family: generation, the env through `gym_agents.make`, oracle, threads, CLI.

Games are generated once per session into the shared test cache (see
tests/conftest.py; set GYM_AGENTS_TEST_CACHE to keep them between runs).
"""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ProcessPoolExecutor

import pytest

import gym_agents
from gym_agents import OracleUnavailable, ToolCall
from gym_agents.cli.main import main as cli_main
from gym_agents.environments.textworld import generate
from gym_agents.environments.textworld.cli import parse_seeds
from gym_agents.environments.textworld.env import TextWorldEnv
from gym_agents.errors import ConfigError
from gym_agents.testing import check_env

# The env silences this Jericho warning for the process; pytest resets filters per test.
pytestmark = pytest.mark.filterwarnings("ignore:Game .* is not fully supported")

CHALLENGES = generate.CHALLENGES
LEVELS = generate.LEVELS
LEVEL_IDS = [f"textworld/{c}-{lvl}-v0" for c in CHALLENGES for lvl in LEVELS]
ALIAS_IDS = [f"textworld/{c}-v0" for c in CHALLENGES]
ALL_IDS = LEVEL_IDS + ALIAS_IDS
FAST_SEEDS = (0, 1)
SLOW_SEEDS = range(20)


def _pregenerate(split: str, seeds) -> None:
    """Make the games a test needs in parallel (both cores) before playing them."""
    keys = [(c, lvl, split, s) for c in CHALLENGES for lvl in LEVELS for s in seeds
            if not generate.game_path(c, lvl, split, s).exists()]
    if keys:
        with ProcessPoolExecutor(2) as pool:
            list(pool.map(generate.ensure_game, *zip(*keys, strict=True)))


@pytest.fixture(scope="session")
def train_games(shared_cache):
    _pregenerate("train", FAST_SEEDS)


def play_oracle(env, seed: int) -> tuple[dict, float, int]:
    """Follow `oracle_action` to the end; return the last info, the return and the length."""
    env.reset(seed=seed)
    total, steps = 0.0, 0
    while True:
        _, reward, terminated, truncated, info = env.step(env.oracle_action())
        assert not info["invalid_action"]
        total, steps = total + reward, steps + 1
        if terminated or truncated:
            return info, total, steps


def walkthrough(path) -> list[str]:
    return json.loads(path.with_suffix(".json").read_text())["metadata"]["walkthrough"]


# -- generation ------------------------------------------------------------------


def canonical(path) -> object:
    """A game's JSON with every list sorted: TextWorld dumps some sets, whose
    order follows Python's per-process string hashing, not the game."""
    def sort(value):
        if isinstance(value, dict):
            return {k: sort(v) for k, v in value.items()}
        if isinstance(value, list):
            return sorted((sort(v) for v in value), key=json.dumps)
        return value
    return sort(json.loads(path.with_suffix(".json").read_text()))


def test_same_key_gives_the_same_game_and_seeds_differ(tmp_path, train_games):
    # The shared cache made these in other processes, maybe other sessions,
    # after other games; regenerating them in a fresh folder must agree.
    n = len(CHALLENGES)
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(generate.ensure_game, CHALLENGES, ["easy"] * n, ["train"] * n,
                      [0] * n, [tmp_path] * n))
    for challenge in CHALLENGES:
        cached = generate.game_path(challenge, "easy", "train", 0)
        again = generate.game_path(challenge, "easy", "train", 0, tmp_path)
        assert walkthrough(again) == walkthrough(cached)
        assert canonical(again) == canonical(cached)
        first = TextWorldEnv(challenge, cache_dir=str(tmp_path)).reset(seed=0)[0]
        assert first == TextWorldEnv(challenge).reset(seed=0)[0]
        assert canonical(generate.game_path(challenge, "easy", "train", 1)) != canonical(cached)


def test_same_seed_gives_the_same_first_observation(train_games):
    env = gym_agents.make("textworld/cooking-medium-v0")
    first, _ = env.reset(seed=1)
    env.reset(seed=0)
    again, _ = env.reset(seed=1)
    assert first.text == again.text
    env.close()


def test_train_and_test_use_disjoint_generator_seeds(train_games):
    train = {generate.generator_seed("train", s) for s in (0, 1, generate.SEEDS_PER_SPLIT - 1)}
    test = {generate.generator_seed("test", s) for s in (0, 1, generate.SEEDS_PER_SPLIT - 1)}
    assert not train & test
    assert generate.challenge_settings("cooking", "hard", "test")["split"] == "test"
    assert generate.challenge_settings("simple", "easy", "test")["test"] is True
    test_game = generate.ensure_game("coin_collector", "easy", "test", 0)
    train_game = generate.game_path("coin_collector", "easy", "train", 0)
    assert test_game.read_bytes() != train_game.read_bytes()


@pytest.mark.parametrize("seed", [-1, generate.SEEDS_PER_SPLIT, True, "3", 1.0])
def test_out_of_range_seeds_are_rejected(seed):
    with pytest.raises(ConfigError, match="seed must be an int"):
        generate.ensure_game("simple", "easy", "train", seed)
    env = gym_agents.make("textworld/simple-v0")
    with pytest.raises(ConfigError, match="seed"):
        env.reset(seed=seed)


def test_bad_constructor_arguments_name_the_field():
    with pytest.raises(ConfigError, match="challenge"):
        TextWorldEnv("zork")
    with pytest.raises(ConfigError, match="level"):
        TextWorldEnv("simple", level="nightmare")
    with pytest.raises(ConfigError, match="split"):
        TextWorldEnv("simple", split="valid")
    with pytest.raises(ConfigError, match="rewards"):
        TextWorldEnv("simple", rewards="shaped")


def test_concurrent_ensure_game_generates_once(tmp_path):
    results = []

    def worker():
        results.append(generate.ensure_game("treasure_hunter", "easy", "train", 3, tmp_path))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and results[0].exists()
    folder = results[0].parent
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == \
        ["train-3.json", "train-3.z8"]
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]


# -- the env through the registry ------------------------------------------------------


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_every_id_resets_and_steps(env_id, train_games):
    env = gym_agents.make(env_id)
    assert env.spec.max_episode_steps >= 50 and env.spec.extra == "textworld"
    obs, info = env.reset(seed=0)
    level = env_id.split("-")[1] if env_id.count("-") == 2 else "easy"
    assert info["task_id"] == f"{env_id.split('/')[1].split('-')[0]}-{level}/train-0"
    assert info["game_file"].endswith("train-0.z8") and info["max_score"] >= 1
    commands = obs.metadata["admissible_commands"]
    assert obs.text and commands and env.valid_actions() == commands
    (tool,) = obs.tools
    assert tool.name == "command"
    assert tool.parameters["properties"]["command"]["enum"] == commands
    obs, reward, _, _, info = env.step(commands[0])
    assert not info["invalid_action"] and isinstance(reward, float)
    assert obs.metadata["admissible_commands"] == env.valid_actions()
    env.close()


def test_check_env_passes(train_games):
    check_env(gym_agents.make("textworld/cooking-medium-v0"))


def test_invalid_actions_are_observations_that_do_not_reach_the_game(train_games):
    env = gym_agents.make("textworld/cooking-v0")
    obs, _ = env.reset(seed=0)
    commands = obs.metadata["admissible_commands"]
    bad_actions = ["dance wildly", "", "   ", ToolCall("shout", {"command": "look"}),
                   ToolCall("command", {}), ToolCall("command", {"command": 3}), 42]
    for action in bad_actions:
        obs, reward, terminated, truncated, info = env.step(action)
        assert info["invalid_action"] is True, action
        assert reward == 0.0 and not terminated and not truncated
        assert "Valid commands: " + ", ".join(commands) in obs.text
        assert obs.metadata["admissible_commands"] == commands
    assert "'dance wildly' is not a valid command" in env.step("dance wildly")[0].text
    assert "Unknown tool 'shout'" in env.step(ToolCall("shout", {"command": "look"}))[0].text
    # Nothing reached the engine, so the walkthrough still applies.
    assert env.oracle_action() == walkthrough(generate.game_path("cooking", "easy", "train", 0))[0]


def test_tool_calls_and_messy_text_play_like_clean_commands(train_games):
    env = gym_agents.make("textworld/coin_collector-v0")
    env.reset(seed=0)
    clean = env.step(env.oracle_action())
    env.reset(seed=0)
    messy = env.step("  " + env.oracle_action().upper().replace(" ", "   ") + " ")
    env.reset(seed=0)
    tool = env.step(ToolCall("command", {"command": env.oracle_action()}))
    for result in (messy, tool):
        assert not result.info["invalid_action"]
        assert result.observation.text == clean.observation.text


def test_dense_rewards_split_the_score_and_sparse_pays_on_the_win(train_games):
    dense = gym_agents.make("textworld/cooking-medium-v0", rewards="dense")
    sparse = gym_agents.make("textworld/cooking-medium-v0", rewards="sparse")
    rewards = {}
    for name, env in (("dense", dense), ("sparse", sparse)):
        env.reset(seed=0)
        rewards[name] = []
        while True:
            _, reward, terminated, _, info = env.step(env.oracle_action())
            rewards[name].append(reward)
            if terminated:
                break
        assert info["success"] and info["score"] == info["max_score"]
    assert sum(rewards["dense"]) == pytest.approx(1.0)
    assert sum(r > 0 for r in rewards["dense"]) == info["max_score"] > 1
    assert rewards["sparse"] == [0.0] * (len(rewards["sparse"]) - 1) + [1.0]


def test_oracle_stops_once_the_agent_leaves_the_walkthrough(train_games):
    env = gym_agents.make("textworld/treasure_hunter-medium-v0")
    obs, _ = env.reset(seed=0)
    off_path = next(c for c in obs.metadata["admissible_commands"] if c != env.oracle_action())
    env.step(off_path)
    with pytest.raises(OracleUnavailable, match="left it"):
        env.oracle_action()
    env.reset(seed=0)
    assert env.oracle_action()


def test_a_finished_game_rejects_further_steps(train_games):
    env = gym_agents.make("textworld/coin_collector-v0")
    info, _, _ = play_oracle(env, 0)
    assert info["success"]
    obs, reward, terminated, _, info = env.step("look")
    assert info["invalid_action"] and terminated and reward == 0.0
    assert "game is over" in obs.text


@pytest.mark.parametrize("env_id", ALL_IDS)
@pytest.mark.parametrize("seed", FAST_SEEDS)
def test_oracle_wins_every_id(env_id, seed, train_games):
    env = gym_agents.make(env_id)
    info, total, steps = play_oracle(env, seed)
    assert info["success"] and total == pytest.approx(1.0)
    assert steps < env.spec.max_episode_steps
    env.close()


def test_two_envs_step_concurrently_in_threads(train_games):
    ids = ("textworld/cooking-hard-v0", "textworld/coin_collector-hard-v0")
    expected = {i: _transcript(gym_agents.make(i)) for i in ids}
    got: dict[str, list[str]] = {}
    barrier = threading.Barrier(len(ids))

    def worker(env_id):
        env = gym_agents.make(env_id)
        barrier.wait()
        got[env_id] = _transcript(env)

    threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == expected


def test_fresh_envs_load_games_concurrently(train_games):
    # TextWorld's game parser is not thread-safe; loading must be serialised.
    ids = [f"textworld/{c}-easy-v0" for c in CHALLENGES] * 2
    barrier = threading.Barrier(len(ids))
    errors: list[BaseException] = []

    def worker(env_id, seed):
        env = gym_agents.make(env_id)
        barrier.wait()
        try:
            env.reset(seed=seed)
        except BaseException as exc:
            errors.append(exc)
        finally:
            env.close()

    threads = [threading.Thread(target=worker, args=(env_id, i % 2))
               for i, env_id in enumerate(ids)]
    for t in threads:
        t.daemon = True  # unserialised loads can also hang: fail, don't block the suite
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "concurrent loads hung"
    assert errors == []


def test_async_twins_play_two_episodes_at_once(train_games):
    async def episode(env_id):
        env = gym_agents.make(env_id)
        await env.reset_async(seed=1)
        while True:
            result = await env.step_async(env.oracle_action())
            if result.terminated:
                return result.info["success"]

    async def both():
        return await asyncio.gather(episode("textworld/simple-hard-v0"),
                                    episode("textworld/treasure_hunter-hard-v0"))

    assert asyncio.run(both()) == [True, True]


def _transcript(env) -> list[str]:
    obs, _ = env.reset(seed=0)
    texts = [obs.text]
    while True:
        obs, _, terminated, _, _ = env.step(env.oracle_action())
        texts.append(obs.text)
        if terminated:
            return texts


# -- CLI -----------------------------------------------------------------------------


def test_parse_seeds():
    assert parse_seeds("0-3,7,2") == [0, 1, 2, 3, 7]
    assert parse_seeds("5") == [5]


def test_cli_generate_reports_cached_games(train_games, capsys):
    code = cli_main(["textworld", "generate", "--env", "textworld/simple-v0",
                     "--split", "train", "--seeds", "0-1", "--jobs", "1"])
    assert code == 0
    assert "textworld/simple-v0" in capsys.readouterr().out


# -- slow: the oracle over the test split ------------------------------------------


@pytest.mark.slow
def test_eval_oracle_scores_one_on_every_id_over_20_test_seeds_and_random_far_below(
        shared_cache, tmp_path, capsys):
    _pregenerate("test", SLOW_SEEDS)
    env_flags = [flag for env_id in ALL_IDS for flag in ("--env", env_id)]
    assert cli_main(["eval", *env_flags, "--agent", "oracle", "--episodes", "20",
                     "--concurrency", "4", "--split", "test", "--out", str(tmp_path / "oracle"),
                     "--quiet"]) == 0
    oracle = json.loads((tmp_path / "oracle" / "summary.json").read_text())["envs"]
    assert {env_id: (s["success_rate"], round(s["mean_reward"], 9), s["infra_errors"])
            for env_id, s in oracle.items()} == {env_id: (1.0, 1.0, 0) for env_id in ALL_IDS}

    assert cli_main(["eval", *env_flags, "--agent", "random", "--episodes", "5",
                     "--concurrency", "4", "--split", "test", "--out", str(tmp_path / "random"),
                     "--quiet"]) == 0
    rand = json.loads((tmp_path / "random" / "summary.json").read_text())["envs"]
    overall = sum(s["successes"] for s in rand.values()) / sum(s["episodes"] for s in rand.values())
    assert overall < 0.3, rand
    capsys.readouterr()
