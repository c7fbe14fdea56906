"""Errors that mean 'the input is wrong', as opposed to a bug in gridaudit.

The CLI prints these as one sentence and exits with code 2; anything else is a bug (code 1).
"""


class InputError(Exception):
    """Bad input, a missing file or a refused model: the user can fix it."""


EXIT_BAD_INPUT = 2
EXIT_BUG = 1
