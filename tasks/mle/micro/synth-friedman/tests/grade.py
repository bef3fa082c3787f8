"""Grade a submission for this task on its hidden labels: python tests/grade.py FILE.csv"""
import json
import sys
from pathlib import Path

from gym_agents.environments.mle.grading import grade
from gym_agents.environments.mle.suite import Task

task = Task(Path(__file__).resolve().parents[1])
print(json.dumps(grade(task, Path(sys.argv[1]).read_bytes()).to_info(), indent=2))
