"""The one way a precompile fails."""


class PrecompileError(Exception):
    """Exceptional halt inside a precompile (invalid input or out of gas): the call consumes all gas it was given."""
