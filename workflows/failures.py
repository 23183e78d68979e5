"""Turning a step's failure into the order's rejection code and a reason a person can read.

A regular activity's failure arrives as an ActivityError wrapping the cause; a local
activity's may arrive as the cause itself. Both are read the same way here.
"""

from temporalio.exceptions import ActivityError, ApplicationError, FailureError, TimeoutError

from ordersaga.contracts.rejections import RejectionCode

_REJECTIONS = {code.value for code in RejectionCode}


def describe_failure(step: str, error: FailureError) -> tuple[str, str]:
    cause = _root(error)
    if isinstance(cause, ApplicationError) and cause.type == "NoReply":
        return "Timeout", f"{step} got no answer before its deadline: {cause.message}"
    if isinstance(cause, ApplicationError) and cause.type:
        return cause.type, cause.message
    if isinstance(cause, TimeoutError):
        return "Timeout", f"{step} got no answer before its deadline"
    return "Error", f"{step} failed: {cause}"


def is_business_rejection(error: FailureError) -> bool:
    """A participant refused the command in its own transaction, so it changed nothing."""
    cause = _root(error)
    return isinstance(cause, ApplicationError) and cause.type in _REJECTIONS


def _root(error: FailureError) -> BaseException:
    if isinstance(error, ActivityError) and error.cause is not None:
        return error.cause
    return error
