"""One base class for the errors a user can cause and fix: the CLI and the app print them as one line."""


class VstError(Exception):
    """Bad input or a missing resource, with a message that says what to do."""
