"""ALFWorld family: ALFRED household tasks as text games, generated offline, played by
alfworld's own TextWorld PDDL engine."""
