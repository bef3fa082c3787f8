"""SWE family: real PyPI packages with injected bugs, graded by their own test suites.

`suite` fetches pinned sdists and builds a suite's docker image, `mutators` injects
bugs with libcst, `builder` turns bugs into SWE-bench instances, `testrun` runs a
repository's tests in a sandbox, `env` is the episode runtime and `grader` scores
a submission in a clean sandbox.
"""
