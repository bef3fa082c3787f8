"""A suite's packages: pinned sdists from PyPI, their layout, and the docker image they run in.

A suite folder (`tasks/swe/<suite>/`) holds `suite.json` (each package's name,
version, sdist sha256, source and test paths, test dependencies) and
`instances.jsonl` (SWE-bench instances). Everything else is rebuilt from PyPI
on first use: the sdists are fetched with pip, checked against their sha256,
cached under `cache_dir("swe")`, and baked into `gym-agents/swe-<suite>`, an
image FROM `gym-agents/swe` with a venv holding pytest and the test
dependencies. Episodes then run with the network off.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from gym_agents.errors import ConfigError, EnvInfraError
from gym_agents.paths import cache_dir

TASKS_ROOT = Path(__file__).resolve().parents[2] / "tasks" / "swe"
REPOS_IN_IMAGE = "/opt/swe/repos"
REPO_DIR = "/work/repo"
PYTEST = "pytest==8.3.4"
PLUGIN = Path(__file__).with_name("pytest_report.py")
SITE = "/opt/venv/lib/python3.11/site-packages"  # Debian bookworm's Python
# Folders that are never library code, and test-runner plumbing we never install.
NOT_PACKAGES = {"tests", "test", "docs", "doc", "examples", "benchmarks", "build", "dist"}
NOT_MODULES = {"setup.py", "conftest.py", "versioneer.py", "benchmark.py", "noxfile.py",
               "fabfile.py", "tasks.py"}
SKIP_DEPS = {"pytest", "pytest-cov", "coverage", "flake8", "mypy", "black", "pylint",
             "check-manifest", "readme-renderer", "sphinx", "twine", "isort", "ruff"}
_SPEC = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9._+!-]+)$")


@dataclass
class Package:
    """One pinned sdist and where its code and tests are."""

    name: str
    version: str
    sha256: str = ""
    source_paths: list[str] = field(default_factory=list)  # packages (dirs) and modules (.py)
    test_paths: list[str] = field(default_factory=list)
    test_deps: list[str] = field(default_factory=list)
    test_timeout: float = 120.0

    @property
    def dirname(self) -> str:
        return f"{self.name}-{self.version}"

    @property
    def repo_in_image(self) -> str:
        return f"{REPOS_IN_IMAGE}/{self.dirname}"

    @property
    def spec(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass
class Suite:
    name: str
    packages: list[Package]
    python_deps: list[str] = field(default_factory=lambda: [PYTEST])

    def package(self, name: str, version: str) -> Package:
        for package in self.packages:
            if package.name == name and package.version == version:
                return package
        raise ConfigError(f"suite {self.name!r} has no package {name}=={version}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: dict) -> Suite:
        return cls(data["name"], [Package(**p) for p in data["packages"]],
                   list(data.get("python_deps", [PYTEST])))

    @property
    def image(self) -> str:
        """The image tag: content-addressed, so a changed suite never runs on a stale image."""
        content = [[p.name, p.version, p.sha256, p.test_deps] for p in self.packages]
        digest = hashlib.sha256(json.dumps([content, self.python_deps, PLUGIN.read_text(),
                                            dockerfile(self)]).encode()).hexdigest()[:12]
        return f"gym-agents/swe-{self.name}:{digest}"


def parse_spec(spec: str) -> tuple[str, str]:
    match = _SPEC.match(spec.strip())
    if not match:
        raise ConfigError(f"{spec!r} is not a pinned package; write it as NAME==VERSION "
                          "(e.g. toolz==1.0.0)")
    return match.group(1), match.group(2)


def suite_dir(name_or_path: str | Path) -> Path:
    """A suite folder: a path, or the name of a suite shipped under tasks/swe/."""
    path = Path(name_or_path)
    if (path / "suite.json").exists():
        return path
    shipped = TASKS_ROOT / str(name_or_path)
    if (shipped / "suite.json").exists():
        return shipped
    known = sorted(p.parent.name for p in TASKS_ROOT.glob("*/suite.json"))
    raise ConfigError(f"no SWE suite {name_or_path!r}: give a folder with suite.json and "
                      f"instances.jsonl, or one of the shipped suites {known}")


def load_suite(name_or_path: str | Path) -> tuple[Suite, list[dict]]:
    folder = suite_dir(name_or_path)
    suite = Suite.from_dict(json.loads((folder / "suite.json").read_text()))
    lines = (folder / "instances.jsonl").read_text().splitlines()
    return suite, [json.loads(line) for line in lines if line.strip()]


# -- sdists ----------------------------------------------------------------------


def sdist_path(name: str, version: str) -> Path:
    """The sdist in the cache, fetched from PyPI with pip when missing."""
    folder = cache_dir("swe", "sdists", f"{name}-{version}")
    found = sorted(folder.glob("*.tar.gz")) + sorted(folder.glob("*.zip"))
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         "--dest", str(folder), f"{name}=={version}"], capture_output=True, text=True)
    found = sorted(folder.glob("*.tar.gz")) + sorted(folder.glob("*.zip"))
    if proc.returncode != 0 or not found:
        raise EnvInfraError(f"could not download the sdist of {name}=={version} from PyPI "
                            f"(is PyPI reachable?):\n{proc.stderr[-2000:]}")
    return found[0]


def fetch_sdist(package: Package) -> Path:
    """The sdist, checked against the pinned sha256 (recorded on first fetch)."""
    path = sdist_path(package.name, package.version)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if package.sha256 and digest != package.sha256:
        raise EnvInfraError(f"{path} has sha256 {digest}, but the suite pins "
                            f"{package.sha256}; delete it to fetch it again")
    package.sha256 = digest
    return path


def extract_sdist(path: Path, dest: Path) -> Path:
    """Unpack an sdist into dest/ and return its top folder."""
    dest.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".zip":
        shutil.unpack_archive(path, dest)
    else:
        with tarfile.open(path) as tar:
            tar.extractall(dest, filter="data")
    tops = [p for p in dest.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise EnvInfraError(f"{path.name} does not unpack to one folder")
    return tops[0]


# -- layout ----------------------------------------------------------------------


def is_test_file(path: str) -> bool:
    """Test code and test configuration: what the grader always takes from the original."""
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    return (any(p in ("tests", "test", "testing") for p in parts[:-1])
            or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py")


def detect_layout(repo: Path) -> tuple[list[str], list[str]]:
    """(source paths, test paths) of an unpacked sdist, relative to its root."""
    root = repo / "src" if (repo / "src").is_dir() else repo
    prefix = "src/" if root != repo else ""
    sources = []
    for entry in sorted(root.iterdir()):
        package = entry.is_dir() and (entry / "__init__.py").exists()
        module = entry.suffix == ".py" and not is_test_file(entry.name)
        if (package and entry.name not in NOT_PACKAGES) or (module and
                                                            entry.name not in NOT_MODULES):
            sources.append(prefix + entry.name)
    tests = [d for d in ("tests", "test") if (repo / d).is_dir()]
    tests += [p.name for p in sorted(repo.glob("test_*.py"))]
    for source in sources:
        tests += [f"{source}/{d}" for d in ("tests", "test") if (repo / source / d).is_dir()]
    return sources, tests


def detect_test_deps(repo: Path) -> list[str]:
    """Test dependencies named in tox.ini's [testenv] deps (coverage and linters left out)."""
    tox = repo / "tox.ini"
    if not tox.exists():
        return []
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(tox.read_text())
    except configparser.Error:
        return []
    deps = []
    for line in parser.get("testenv", "deps", fallback="").splitlines():
        line = line.split("#")[0].strip()
        name = re.split(r"[<>=!~\[; ]", line)[0].lower() if line else ""
        if name and not line.startswith(("-", "{", ".")) and name not in SKIP_DEPS:
            deps.append(line)
    return deps


# -- the image -------------------------------------------------------------------


def dockerfile(suite: Suite) -> str:
    return f"""\
# gym-agents/swe-{suite.name}: generated by gym_agents.environments.swe.suite
FROM gym-agents/swe:latest
USER root
COPY wheels /tmp/wheels
COPY requirements.txt /tmp/requirements.txt
RUN python3 -m venv /opt/venv \\
 && /opt/venv/bin/pip install --no-index --find-links /tmp/wheels -r /tmp/requirements.txt \\
 && rm -rf /tmp/wheels /root/.cache
COPY pytest_report.py {SITE}/gym_swe_report.py
# The episode's repository is importable from anywhere, as with `pip install -e`.
RUN printf '{REPO_DIR}\\n{REPO_DIR}/src\\n' > {SITE}/gym_swe_repo.pth
COPY repos {REPOS_IN_IMAGE}
RUN chmod -R a+rX,go-w /opt/swe
ENV PATH=/opt/venv/bin:$PATH
USER agent
"""


def image_exists(tag: str) -> bool:
    from gym_agents.sandboxes.docker_engine import docker_client
    from gym_agents.sandboxes.images import image_exists as exists

    return exists(docker_client(), tag)


def ensure_image(suite: Suite, *, log=print) -> str:
    """Build the suite's image unless it exists; return its tag."""
    from gym_agents.sandboxes import images
    from gym_agents.sandboxes.docker_engine import docker_client

    tag = suite.image
    if image_exists(tag):
        return tag
    client = docker_client()
    images.build("swe", client=client, log=log)
    with tempfile.TemporaryDirectory(prefix="gym-agents-swe-image-") as tmp:
        context = Path(tmp)
        (context / "repos").mkdir()
        for package in suite.packages:
            top = extract_sdist(fetch_sdist(package), context / "unpack" / package.dirname)
            top.rename(context / "repos" / package.dirname)
        shutil.rmtree(context / "unpack", ignore_errors=True)
        requirements = suite.python_deps + sorted({d for p in suite.packages for d in p.test_deps})
        (context / "requirements.txt").write_text("\n".join(requirements) + "\n")
        log(f"downloading wheels: {', '.join(requirements)}")
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary", ":all:",
             "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
             "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64",
             "--dest", str(context / "wheels"), "-r", str(context / "requirements.txt")],
            capture_output=True, text=True)
        if proc.returncode != 0:
            raise EnvInfraError(f"could not download the test dependencies {requirements} "
                                f"from PyPI:\n{proc.stderr[-2000:]}")
        shutil.copy(PLUGIN, context / "pytest_report.py")
        (context / "Dockerfile").write_text(dockerfile(suite))
        log(f"docker build -> {tag}")
        try:
            client.images.build(path=str(context), tag=tag, rm=True, forcerm=True)
        except Exception as exc:
            tail = "".join(str(line.get("stream", "")) for line in getattr(exc, "build_log", []))
            raise EnvInfraError(f"building {tag} failed: {exc}\n{tail[-2000:]}") from exc
    return tag
