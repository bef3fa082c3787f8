"""Agent loops and context managers that drive an LLM through an env."""

if __name__ != "gym_agents.scaffolds":
    # Imported under its bare folder name (e.g. from a checkout on sys.path):
    # that would load a second copy and register everything twice.
    raise ImportError(f"import this package as 'gym_agents.scaffolds', not as {__name__!r}")
