"""The error the query layers raise for a request a module does not allow."""


class QueryError(ValueError):
    """A request the module does not allow; ``str(error)`` is one sentence fit for the user."""
