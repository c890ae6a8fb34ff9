"""Errors that describe a user's mistake (bad input), as opposed to a bug in jitvm.

The CLI prints an `InputError` as one line naming the input and the problem and exits with status 2;
everything else is a bug and keeps its traceback.
"""


class InputError(Exception):
    """Bad input from the user: malformed hex or JSON, an unknown fork, a missing file, a bad ELF...

    `source` names the input (a path, a field, an argument); the message says what is wrong with it.
    """

    def __init__(self, source: str, problem: str):
        super().__init__(source, problem)  # both in args, so the error pickles across processes
        self.source = source
        self.problem = problem

    def __str__(self) -> str:
        return f"{self.source}: {self.problem}"


def parse_hex(text: str, source: str) -> bytes:
    """Decode hex with or without a 0x prefix, or raise an InputError naming `source`."""
    if not isinstance(text, str):
        raise InputError(source, f"expected a hex string, got {type(text).__name__}")
    digits = text[2:] if text[:2] in ("0x", "0X") else text
    if len(digits) % 2:
        raise InputError(source, f"odd number of hex digits ({len(digits)})")
    try:
        return bytes.fromhex(digits)
    except ValueError:
        bad = next((c for c in digits if c not in "0123456789abcdefABCDEF"), "?")
        raise InputError(source, f"not hex (found {bad!r})") from None


def parse_int(text, source: str) -> int:
    """Parse a JSON number or a decimal / 0x-hex string as a non-negative integer."""
    if isinstance(text, bool):
        raise InputError(source, "expected an integer, got a boolean")
    if isinstance(text, int):
        value = text
    elif isinstance(text, str):
        try:
            value = int(text, 16) if text[:2] in ("0x", "0X") else int(text, 10)
        except ValueError:
            raise InputError(source, f"not an integer: {text[:40]!r}") from None
    else:
        raise InputError(source, f"expected an integer, got {type(text).__name__}")
    if value < 0:
        raise InputError(source, f"negative value {value}")
    return value
