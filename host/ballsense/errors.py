class UserError(Exception):
    """Bad input or environment: printed as one line that says what was wrong and
    what to do, exit code 2, no traceback."""
