import pytest

from gym_agents import Observation
from gym_agents.episode import Episode, Turn
from gym_agents.errors import StoreError
from gym_agents.store import EpisodeStore, StoreWarning


def episode(seed: int) -> Episode:
    turn = Turn(index=0, action="go north", observation=Observation("You go north."), reward=0.5,
                terminated=True, info={"success": True, "nan": float("nan")},
                prompt_token_ids=[1, 2], token_ids=[3], logprobs=[-0.1])
    return Episode(env_id="toy/Relay-v0", seed=seed, success=True, total_reward=0.5,
                   initial_observation=Observation("start"), turns=[turn])


def test_append_and_read_back_token_exact(tmp_path):
    with EpisodeStore(tmp_path / "e.jsonl") as store:
        store.append(episode(1))
        store.append(episode(2))
    [a, b] = list(EpisodeStore(tmp_path / "e.jsonl"))
    assert (a.seed, b.seed) == (1, 2)
    assert a.turns[0].prompt_token_ids == [1, 2] and a.turns[0].logprobs == [-0.1]
    assert a.turns[0].info["nan"] is None  # NaN is not JSON: stored as null


def test_corrupt_lines_are_skipped_with_a_warning(tmp_path):
    path = tmp_path / "e.jsonl"
    with EpisodeStore(path) as store:
        store.append(episode(1))
    with open(path, "a") as f:
        f.write("{not json\n[1, 2]\n")
    with EpisodeStore(path) as store:
        store.append(episode(2))
    with pytest.warns(StoreWarning, match="corrupt line"):
        seeds = [ep.seed for ep in EpisodeStore(path)]
    assert seeds == [1, 2]


def test_a_half_written_last_line_does_not_swallow_the_next_episode(tmp_path):
    path = tmp_path / "e.jsonl"
    with EpisodeStore(path) as store:
        store.append(episode(1))
    with open(path, "a") as f:
        f.write('{"env_id": "toy/Relay-v0", "se')  # as left by a SIGKILL mid-write
    with EpisodeStore(path) as store:
        store.append(episode(2))
    with pytest.warns(StoreWarning):
        assert [ep.seed for ep in EpisodeStore(path)] == [1, 2]


def test_a_file_where_a_folder_should_be_is_a_clear_error(tmp_path):
    (tmp_path / "blocker").write_text("")
    with pytest.raises(StoreError, match="Choose another --out folder"):
        EpisodeStore(tmp_path / "blocker" / "e.jsonl").append(episode(1))
