"""The error a user can fix by changing a run's settings or a scenario's values."""


class SimulationError(Exception):
    """A problem with the run's settings (not a bug): the message says what to change."""
