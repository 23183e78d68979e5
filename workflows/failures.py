"""Turning an activity failure into the order's rejection code and a reason a person can read."""

from temporalio.exceptions import ActivityError, ApplicationError, TimeoutError

from contracts.rejections import RejectionCode

_REJECTIONS = {code.value for code in RejectionCode}


def describe_failure(step: str, error: ActivityError) -> tuple[str, str]:
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type == "NoReply":
        return "Timeout", f"{step} got no answer before its deadline: {cause.message}"
    if isinstance(cause, ApplicationError) and cause.type:
        return cause.type, cause.message
    if isinstance(cause, TimeoutError):
        return "Timeout", f"{step} got no answer before its deadline"
    return "Error", f"{step} failed: {cause or error}"


def is_business_rejection(error: ActivityError) -> bool:
    """A participant refused the command in its own transaction, so it changed nothing."""
    cause = error.cause
    return isinstance(cause, ApplicationError) and cause.type in _REJECTIONS
