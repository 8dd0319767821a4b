"""The one exception of the file-reading layer (its own module: the readers all raise it)."""


class ImportFileError(Exception):
    """The file cannot be read as a table at all (format, encoding, size, limits)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
