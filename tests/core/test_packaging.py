import tomllib

from tests.conftest import REPO

MAPPED = {"gym_agents": "gym_agents", "environments": "gym_agents.environments",
          "scaffolds": "gym_agents.scaffolds", "trainers": "gym_agents.trainers",
          "sandboxes": "gym_agents.sandboxes", "tasks": "gym_agents.tasks"}


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    for folder, namespace in MAPPED.items():
        assert config["package-dir"][namespace] == folder
        for init in (REPO / folder).rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            rel = init.parent.relative_to(REPO / folder).parts
            name = ".".join((namespace, *rel))
            assert name in listed, f"{name} is missing from [tool.setuptools] packages"


def test_console_script_and_typed_marker():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["gym-agents"] == "gym_agents.cli.main:main"
    assert (REPO / "gym_agents" / "py.typed").exists()
    for extra in ("textworld", "alfworld", "web", "docker", "train", "vllm", "ray", "all", "dev"):
        assert extra in project["optional-dependencies"]
