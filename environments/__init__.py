"""Environment families; each registers its ids in register_envs()."""

if __name__ != "gym_agents.environments":
    # Imported under its bare folder name (e.g. from a checkout on sys.path):
    # that would load a second copy and register everything twice.
    raise ImportError(f"import this package as 'gym_agents.environments', not as {__name__!r}")


def register_envs() -> None:
    """Register every built-in family (cheap: entry points are strings)."""
    from gym_agents.environments.alfworld.registration import register_alfworld_envs
    from gym_agents.environments.mle.registration import register_mle_envs
    from gym_agents.environments.scienceworld.registration import register_scienceworld_envs
    from gym_agents.environments.swe.registration import register_swe_envs
    from gym_agents.environments.textworld.registration import register_textworld_envs
    from gym_agents.environments.toy import register_toy_envs
    from gym_agents.environments.web.registration import register_web_envs

    register_toy_envs()
    register_textworld_envs()
    register_alfworld_envs()
    register_scienceworld_envs()
    register_swe_envs()
    register_web_envs()
    register_mle_envs()
