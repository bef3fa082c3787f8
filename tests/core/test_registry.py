import subprocess
import sys
import textwrap

import pytest

import gym_agents
from gym_agents import EnvPool, TimeLimit, UnknownEnvError
from gym_agents.errors import RegistrationError


def test_make_builds_a_registered_env_with_its_time_limit():
    env = gym_agents.make("toy/Relay-v0")
    assert isinstance(env, TimeLimit) and env.max_episode_steps == 50
    assert env.spec.id == "toy/Relay-v0"
    assert gym_agents.make("toy/Relay-v0", max_episode_steps=3).max_episode_steps == 3
    assert env.unwrapped.length == 6
    assert gym_agents.make("toy/Relay-v0", length=9).unwrapped.length == 9


def test_unknown_id_lists_the_closest_ids():
    with pytest.raises(UnknownEnvError) as excinfo:
        gym_agents.make("toy/Relay-v1")
    message = str(excinfo.value)
    assert "toy/Relay-v0" in message and "gym-agents list" in message


def test_register_rejects_malformed_ids_and_entry_points():
    with pytest.raises(RegistrationError, match="family/Name-vN"):
        gym_agents.register("NoFamily-v0", "x.y:Z")
    with pytest.raises(RegistrationError, match=r"package\.module:ClassName"):
        gym_agents.register("toy/Bad-v0", "no_colon_here")


def test_make_vec_steps_envs_concurrently():
    pool = gym_agents.make_vec("toy/Relay-v0", 3)
    assert isinstance(pool, EnvPool) and len(pool) == 3
    first = pool.reset(seeds=[1, 2, 3])
    assert len({obs.text for obs, _ in first}) >= 2
    results = pool.step(["red", None, "blue"])
    assert results[1] is None and results[0] is not None and results[2] is not None
    pool.close()


def test_pprint_registry_groups_by_family(capsys):
    gym_agents.pprint_registry(family="toy")
    out = capsys.readouterr().out
    assert "===== toy =====" in out and "toy/GuessNumber-v0" in out


def test_third_party_envs_register_through_the_entry_point_group(tmp_path):
    # A real installed distribution (dist-info on sys.path), not a patched lookup.
    pkg = tmp_path / "myenvs.py"
    pkg.write_text(textwrap.dedent("""
        import gym_agents
        def register_all():
            gym_agents.register("thirdparty/Echo-v0",
                                "gym_agents.environments.toy.relay:RelayEnv",
                                kwargs={"length": 2})
    """))
    dist = tmp_path / "myenvs-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: myenvs\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[gym_agents.envs]\nmyenvs = myenvs:register_all\n")
    code = ("import gym_agents; env = gym_agents.make('thirdparty/Echo-v0'); "
            "print(env.unwrapped.length)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2"
