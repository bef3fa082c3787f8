import subprocess
import sys

from tests.conftest import REPO

HEAVY = ("torch", "transformers", "vllm", "playwright", "docker", "textworld", "ray", "jericho")


def test_import_loads_no_heavy_module_and_prints_nothing():
    code = (
        "import sys, gym_agents, gym_agents.testing, gym_agents.evaluation\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout == "\n", f"heavy modules imported: {proc.stdout.strip()}"
    assert proc.stderr == ""


def test_registering_every_family_stays_light():
    code = (
        "import sys, gym_agents\n"
        "gym_agents.registration.load_plugins()\n"
        "assert len(gym_agents.registration.registry) > 2\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == ""


def test_bare_import_of_a_mapped_folder_is_refused():
    for name in ("environments", "scaffolds", "trainers", "sandboxes", "tasks"):
        proc = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=REPO,
                              capture_output=True, text=True)
        assert proc.returncode != 0
        assert f"import this package as 'gym_agents.{name}'" in proc.stderr
