"""ALFWorld family: generation the official way, the env through `gym_agents.make`,
the oracle, official-data mode, alfworld's own loader, the CLI.

Games are generated once per session into the shared test cache (see
tests/conftest.py; set GYM_AGENTS_TEST_CACHE to keep them between runs).
"""

from __future__ import annotations

import asyncio
import json
import random
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import gym_agents
from gym_agents import OracleUnavailable, ToolCall
from gym_agents.cli.main import main as cli_main
from gym_agents.environments.alfworld import generate
from gym_agents.environments.alfworld.env import AlfworldEnv
from gym_agents.environments.alfworld.registration import TASKS
from gym_agents.errors import ConfigError
from gym_agents.testing import check_env

TYPES = generate.TASK_TYPES
DEFAULT_IDS = [f"alfworld/{short}-v0" for short in TASKS]
ALL_IDS = DEFAULT_IDS + [f"alfworld/{s}-{x}-v0" for s in TASKS for x in ("seen", "unseen")]


def pregenerate(keys, root=None) -> None:
    """Make the games a test needs in parallel (both cores) before playing them."""
    todo = [k for k in keys if generate.find_game(*k, root) is None]
    if todo:
        with ProcessPoolExecutor(2) as pool:
            splits, types, indexes = zip(*todo, strict=True)
            list(pool.map(generate.ensure_game, splits, types, indexes, [root] * len(todo)))


@pytest.fixture(scope="session")
def train_games(shared_cache):
    """Index 0 of every task type on train: seeds 0-5 of alfworld/all-v0."""
    pregenerate([("train", t, 0) for t in TYPES])
    return shared_cache


def play_oracle(env, seed: int) -> tuple[dict, float, int]:
    env.reset(seed=seed)
    total, steps = 0.0, 0
    while True:
        _, reward, terminated, truncated, info = env.step(env.oracle_action())
        assert not info["invalid_action"]
        total, steps = total + reward, steps + 1
        if terminated or truncated:
            return info, total, steps


def read_game(trial):
    return (json.loads((trial / "game.tw-pddl").read_text()),
            json.loads((trial / "traj_data.json").read_text()))


# -- generation ----------------------------------------------------------------------


def test_games_are_written_the_official_way(train_games):
    for task_type in TYPES:
        trial = generate.find_game("train", task_type, 0)
        assert trial.parent.parent == train_games / "alfworld" / "json_2.1.1" / "train"
        game, traj = read_game(trial)
        assert set(game) == {"pddl_domain", "grammar", "pddl_problem", "solvable", "walkthrough"}
        assert game["solvable"] is True and 0 < len(game["walkthrough"]) <= 40
        assert game["pddl_domain"] == generate.package().domain
        assert "UNKNOWN GOAL" not in game["grammar"]
        goal = traj["turk_annotations"]["anns"][0]["task_desc"]
        assert f"Your task is to: {goal}." in game["grammar"]
        assert "(:domain alfred)" in game["pddl_problem"] and "(:goal" in game["pddl_problem"]
        params = traj["pddl_params"]
        assert traj["task_type"] == task_type and params["object_target"]
        assert trial.parent.name == (f"{task_type}-{params['object_target']}-None-"
                                     f"{params['parent_target'] or params['toggle_target']}-"
                                     f"{traj['scene']['scene_num']}")
        target = params["object_target"]
        assert f"(objectType {target} " not in game["pddl_problem"]  # ids, not class names
        assert f"(objectType {target}_bar_" in game["pddl_problem"]


def test_same_key_gives_the_same_game(tmp_path, train_games):
    again = generate.ensure_game("train", "pick_heat_then_place_in_recep", 0, tmp_path)
    cached = generate.find_game("train", "pick_heat_then_place_in_recep", 0)
    assert again.relative_to(tmp_path) == cached.relative_to(train_games / "alfworld")
    assert read_game(again) == read_game(cached)
    other = generate.make_game("train", "pick_heat_then_place_in_recep", 1)[0]
    assert other["pddl_problem"] != read_game(cached)[0]["pddl_problem"]


def test_unseen_split_holds_out_whole_floor_plans(train_games):
    constants = generate.package().constants
    assert not set(generate.scene_numbers("train")) & set(generate.scene_numbers("valid_unseen"))
    assert set(generate.scene_numbers("valid_unseen")) == set(constants.TEST_SCENE_NUMBERS)
    for task_type in TYPES:
        for split in ("train", "valid_unseen"):
            task = generate.sample_task(split, task_type, random.Random(7))
            assert task.scene in generate.scene_numbers(split)
            room = generate.room_of(task.scene)
            assert room in constants.GOALS_VALID[task_type]


def test_every_task_type_is_possible_in_both_splits():
    for task_type in TYPES:
        for split in ("train", "valid_unseen"):
            assert any(generate.candidate_tasks(task_type, generate.scene(n))
                       for n in generate.scene_numbers(split)), (task_type, split)


@pytest.mark.parametrize("bad", [-1, generate.MAX_INDEX, True, "3"])
def test_bad_keys_name_the_field(bad):
    with pytest.raises(ConfigError, match="seed"):
        generate.check_game_key("train", "pick_and_place_simple", bad)
    with pytest.raises(ConfigError, match="task_type"):
        generate.check_game_key("train", "juggle", 0)
    with pytest.raises(ConfigError, match="split"):
        generate.resolve_split("valid")
    assert generate.resolve_split("test") == "valid_unseen"


def test_bad_constructor_arguments_name_the_field():
    with pytest.raises(ConfigError, match="task_type"):
        AlfworldEnv("juggle")
    with pytest.raises(ConfigError, match="split"):
        AlfworldEnv(split="dev")


# -- the env through the registry ---------------------------------------------------------


def test_every_id_is_registered_with_a_50_step_limit():
    for env_id in ALL_IDS:
        spec = gym_agents.spec(env_id)
        assert spec.max_episode_steps == 50 and spec.extra == "alfworld"
    assert gym_agents.make("alfworld/all-unseen-v0").unwrapped.split == "valid_unseen"
    assert gym_agents.make("alfworld/all-v0", split="test").unwrapped.split == "valid_unseen"


@pytest.mark.parametrize("env_id", DEFAULT_IDS)
def test_every_task_id_resets_and_steps(env_id, train_games):
    env = gym_agents.make(env_id)
    obs, info = env.reset(seed=0)
    task_type = TASKS[env_id.split("/")[1][:-3]][0]
    assert info["task_type"] == (TYPES[0] if task_type == "all" else task_type)
    assert info["task_id"].startswith(f"train/{info['task_type']}-")
    assert obs.text.startswith("-= Welcome to TextWorld, ALFRED! =-")
    assert "Your task is to: " in obs.text
    commands = obs.metadata["admissible_commands"]
    assert commands and env.valid_actions() == commands and "look" in commands
    (tool,) = obs.tools
    assert tool.name == "command" and tool.parameters["properties"]["command"]["enum"] == commands
    obs, reward, terminated, _, info = env.step(next(c for c in commands if c.startswith("go to")))
    assert obs.text.startswith("You arrive at") and reward == 0.0 and not terminated
    assert not info["invalid_action"] and info["success"] is False
    env.close()


def test_all_cycles_through_the_six_task_types(train_games):
    env = gym_agents.make("alfworld/all-v0")
    seen = [env.reset(seed=s)[1]["task_type"] for s in range(6)]
    assert seen == list(TYPES)


@pytest.mark.parametrize("seed", range(6))
def test_oracle_wins_each_task_type(seed, train_games):
    env = gym_agents.make("alfworld/all-v0")
    info, total, steps = play_oracle(env, seed)
    assert info["success"] and total == 1.0 and steps < 50


def test_check_env_passes(train_games):
    check_env(gym_agents.make("alfworld/pick_two_obj_and_place-v0"))


def test_invalid_actions_are_observations_that_do_not_reach_the_game(train_games):
    env = gym_agents.make("alfworld/pick_and_place-v0")
    obs, _ = env.reset(seed=0)
    commands = obs.metadata["admissible_commands"]
    first = env.oracle_action()
    for action in ["dance wildly", "", "  ", ToolCall("shout", {"command": "look"}),
                   ToolCall("command", {}), ToolCall("command", {"command": 3}), 42]:
        obs, reward, terminated, truncated, info = env.step(action)
        assert info["invalid_action"] is True, action
        assert reward == 0.0 and not terminated and not truncated
        assert obs.metadata["admissible_commands"] == commands
        assert "Valid commands: " in obs.text
    assert "'dance wildly' is not a valid command" in env.step("dance wildly")[0].text
    assert env.oracle_action() == first


def test_tool_calls_and_messy_text_play_like_clean_commands(train_games):
    env = gym_agents.make("alfworld/look_at_obj_in_light-v0")
    env.reset(seed=0)
    clean = env.step(env.oracle_action())
    env.reset(seed=0)
    messy = env.step("  " + env.oracle_action().upper().replace(" ", "   ") + " ")
    env.reset(seed=0)
    tool = env.step(ToolCall("command", {"command": env.oracle_action()}))
    for result in (messy, tool):
        assert not result.info["invalid_action"]
        assert result.observation.text == clean.observation.text


def test_oracle_stops_once_the_agent_leaves_the_walkthrough(train_games):
    env = gym_agents.make("alfworld/pick_clean_then_place-v0")
    obs, _ = env.reset(seed=0)
    detour = next(c for c in obs.metadata["admissible_commands"]
                  if c.startswith("go to") and c != env.oracle_action())
    env.step(detour)
    with pytest.raises(OracleUnavailable, match="left it"):
        env.oracle_action()
    env.reset(seed=0)
    assert env.oracle_action()


def test_a_finished_game_rejects_further_steps(train_games):
    env = gym_agents.make("alfworld/pick_heat_then_place-v0")
    info, _, _ = play_oracle(env, 0)
    assert info["success"]
    obs, reward, terminated, _, info = env.step("look")
    assert info["invalid_action"] and terminated and reward == 0.0
    assert "task is done" in obs.text


def test_async_twins_play_two_episodes_at_once(train_games):
    async def episode(seed):
        env = gym_agents.make("alfworld/all-v0")
        await env.reset_async(seed=seed)
        while True:
            result = await env.step_async(env.oracle_action())
            if result.terminated:
                return result.info["success"]

    async def both():
        return await asyncio.gather(episode(0), episode(1))

    assert asyncio.run(both()) == [True, True]


# -- official data -------------------------------------------------------------------------


def test_alfworld_data_runs_the_same_ids_unchanged(train_games, monkeypatch):
    # Generated games are laid out the official way, so they stand in for json_2.1.1.
    monkeypatch.setenv("ALFWORLD_DATA", str(train_games / "alfworld"))
    env = gym_agents.make("alfworld/all-v0", split="train")
    listed = env.unwrapped._trial_for(0)  # sorted like AlfredTWEnv: by folder name
    assert listed.name.startswith("trial_G")
    info, total, _ = play_oracle(env, 0)
    assert info["success"] and total == 1.0
    heat = gym_agents.make("alfworld/pick_heat_then_place-v0", split="train")
    assert heat.reset(seed=0)[1]["task_type"] == "pick_heat_then_place_in_recep"
    with pytest.raises(ConfigError, match="seed must be below"):
        heat.reset(seed=10_000)


def test_alfworlds_own_loader_and_expert_read_the_games(train_games):
    """AlfredTWEnv collects the games, and the handcoded expert reads traj_data.json."""
    tw_env = generate.import_alfworld("alfworld.agents.environment.alfred_tw_env")
    textworld = pytest.importorskip("textworld")
    config = {"env": {"goal_desc_human_anns_prob": 0, "task_types": [1, 2, 3, 4, 5, 6],
                      "domain_randomization": False, "expert_type": "handcoded"},
              "dataset": {"data_path": str(train_games / "alfworld" / "json_2.1.1" / "train"),
                          "num_train_games": -1},
              "general": {"training_method": "dagger"}}
    loader = tw_env.AlfredTWEnv(config, train_eval="train")
    ours = {str(generate.find_game("train", t, 0) / "game.tw-pddl") for t in TYPES}
    assert ours <= set(loader.game_files)
    # alfworld's wrappers, its expert included, over the PDDL env, as alfworld-generate builds it.
    env = textworld.envs.PddlEnv(textworld.EnvInfos(admissible_commands=True, won=True,
                                                    extras=["gamefile", "expert_plan"]))
    env = tw_env.AlfredExpert(tw_env.AlfredInfos(tw_env.AlfredDemangler(env)),
                              expert_type=tw_env.AlfredExpertType.HANDCODED)
    env.load(str(generate.find_game("train", "pick_and_place_simple", 0) / "game.tw-pddl"))
    state = env.reset()
    assert state["extra.expert_plan"] == ["look"]  # the expert starts by looking around
    plan = env.step("look")[0]["extra.expert_plan"]
    assert plan and plan[0] in state["admissible_commands"]


# -- CLI ---------------------------------------------------------------------------------


def test_cli_generate_reports_cached_games(train_games, capsys):
    code = cli_main(["alfworld", "generate", "--n", "6", "--jobs", "1"])
    assert code == 0
    out = capsys.readouterr().out
    assert "pick_two_obj_and_place" in out and "ALFWORLD_DATA=" in out


# -- slow: eval over the unseen split, alfworld's own batch env -------------------------


SLOW_SEEDS = 12  # two games of each task type


@pytest.fixture(scope="module")
def unseen_games(shared_cache):
    pregenerate([("valid_unseen", *generate.game_key("all", s)) for s in range(SLOW_SEEDS)])
    return shared_cache


@pytest.mark.slow
def test_eval_oracle_wins_every_unseen_game_and_random_rarely(unseen_games, tmp_path):
    rates = {}
    for agent in ("oracle", "random"):
        out = tmp_path / agent
        assert cli_main(["eval", "--env", "alfworld/all-v0", "--agent", agent, "--episodes",
                         str(SLOW_SEEDS), "--concurrency", "2", "--out", str(out),
                         "--quiet"]) == 0
        rates[agent] = json.loads((out / "summary.json").read_text())["envs"]["alfworld/all-v0"]
    assert rates["oracle"]["success_rate"] == 1.0 and rates["oracle"]["infra_errors"] == 0
    assert rates["random"]["success_rate"] <= 0.25


@pytest.mark.slow
def test_alfworlds_batch_env_wins_with_our_walkthroughs(unseen_games):
    """The textworld.gym env `AlfredTWEnv.init_env` builds plays our games to a win."""
    tw_env = generate.import_alfworld("alfworld.agents.environment.alfred_tw_env")
    folder = unseen_games / "alfworld" / "json_2.1.1" / "valid_unseen"
    config = {"env": {"goal_desc_human_anns_prob": 0, "task_types": [1, 2, 3, 4, 5, 6],
                      "domain_randomization": False, "expert_type": "handcoded"},
              "dataset": {"eval_ood_data_path": str(folder), "num_eval_games": -1},
              "general": {"training_method": "dqn"},
              "rl": {"training": {"max_nb_steps_per_episode": 50}}}
    loader = tw_env.AlfredTWEnv(config, train_eval="eval_out_of_distribution")
    assert len(loader.game_files) >= SLOW_SEEDS
    env = loader.init_env(batch_size=1)
    try:
        for _ in range(6):
            _, infos = env.reset()
            game = json.loads(Path(infos["extra.gamefile"][0]).read_text())
            for command in game["walkthrough"]:
                _, _, dones, infos = env.step([command])
            assert infos["won"][0] and dones[0]
    finally:
        env.close()
