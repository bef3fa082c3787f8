"""MLE micro-tasks: real datasets at micro scale, hidden-label grading, medals."""
