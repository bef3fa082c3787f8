"""Sandboxes that run untrusted code: docker, bwrap and local backends."""

if __name__ != "gym_agents.sandboxes":
    # Imported under its bare folder name (e.g. from a checkout on sys.path):
    # that would load a second copy and register everything twice.
    raise ImportError(f"import this package as 'gym_agents.sandboxes', not as {__name__!r}")
