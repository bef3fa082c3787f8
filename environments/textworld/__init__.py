"""TextWorld family: games made by TextWorld's own generator, played by its engine."""
