"""Task suites as data: tasks/<family>/<suite>/..."""

if __name__ != "gym_agents.tasks":
    # Imported under its bare folder name (e.g. from a checkout on sys.path):
    # that would load a second copy and register everything twice.
    raise ImportError(f"import this package as 'gym_agents.tasks', not as {__name__!r}")
