"""Why a model call produced no result. Kept apart from the client so that code which only
needs to catch these (the compile job) does not import httpx on the offline path."""

from __future__ import annotations


class ModelError(Exception):
    """A model call that did not produce a usable result. The message is safe to show and log."""


class QuotaExceeded(ModelError):
    """The provider says the account is out of quota or over a spend limit: retrying cannot help."""


class EndpointDown(ModelError):
    """The circuit breaker is open for this endpoint: calls fail fast until it cools down."""


class BadOutput(ModelError):
    """The reply was not JSON matching the schema, even after one repair attempt."""

    short = "no output matching the schema"  # for `engine: offline (model failed: …)`


class Truncated(ModelError):
    """The reply hit the output-token limit, even after one retry with a larger limit."""

    short = "output cut at the token limit"  # for `engine: offline (model failed: …)`


class BudgetExceeded(ModelError):
    """The call would cross a spending cap; it was not made and its job stays pending."""


class Refused(ModelError):
    """The model declined to answer (OpenAI `refusal`, Anthropic stop_reason `refusal`, a content
    filter): asking again with the same input would be refused again."""

    short = "the model refused"  # for `engine: offline (model failed: …)`


class RequestRefused(ModelError):
    """The server refused the request kbd sent (a 4xx, or a 5xx whose body names a request field):
    sending it again would be refused again, so it is never retried. The message carries the
    server's own words (secrets redacted) and the config change that fixes it."""

    def __init__(self, message: str, status: int = 0, about_format: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.about_format = about_format  # it refused the way the schema was sent (`structured:`)


class SchemaRejected(RequestRefused):
    """The provider refused the result schema kbd sent: a configuration problem (`structured:` for
    a server that does not support strict schemas), never retried."""


class TooLong(RequestRefused):
    """The request does not fit the model's context window: a smaller part might."""

    short = "too long for the model's context"  # for `engine: offline (model failed: …)`


# What one note's call can fail with while the model itself works: the note is then written by
# the offline engine and marked, and `kbd compile --redo` tries the model again.
NOTE_FAILURES = (BadOutput, Truncated, Refused, TooLong)
