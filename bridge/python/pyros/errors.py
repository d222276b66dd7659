"""Exceptions raised by the pyros client: one subclass of `Error` per protocol error code."""


class Error(Exception):
    """A failed request. `code` is the protocol error code (PROTOCOL.md §3)."""

    code = "error"

    def __init__(self, message="", code=None, detail=None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.detail = detail

    def __str__(self):
        return "{}: {}".format(self.code, self.message)


class NotFound(Error):
    """The topic, service, parameter, type or subscription does not exist."""

    code = "not_found"


class NotAllowed(Error):
    """The name is not exposed by this socket's profile for this operation."""

    code = "not_allowed"


class TypeMismatch(Error):
    """A type differs from the topic's type, or a field has the wrong type."""

    code = "type_mismatch"


class Timeout(Error):
    """Nothing arrived in time (a service call, a reply, `get_latest` with `wait`)."""

    code = "timeout"


class NoData(Timeout):
    """`get_latest` found no suitable message (a `Timeout`, so one `except` covers both)."""

    code = "no_data"


class RosUnavailable(Error):
    """The ROS master (or the mock's injected fault) is down."""

    code = "ros_unavailable"


class Overloaded(Error):
    """Too many requests in flight on this connection."""

    code = "overloaded"


class TooLarge(Error):
    """A frame exceeds the bridge's `max_frame`."""

    code = "too_large"


class InvalidRequest(Error):
    """Malformed request, bad field or invalid name."""

    code = "invalid_request"


class ServiceError(Error):
    """The service handler failed."""

    code = "service_error"


class Internal(Error):
    """A bug in the bridge."""

    code = "internal"


class BridgeUnavailable(Error):
    """Client side: the bridge socket could not be connected to."""

    code = "bridge_unavailable"


class ConnectionLost(Error):
    """Client side: the connection dropped while the request was in flight."""

    code = "connection_lost"


class ClientClosed(Error):
    """Client side: the client (or subscription) was closed."""

    code = "closed"


BY_CODE = {
    cls.code: cls
    for cls in (
        NotFound,
        NotAllowed,
        TypeMismatch,
        Timeout,
        NoData,
        RosUnavailable,
        Overloaded,
        TooLarge,
        InvalidRequest,
        ServiceError,
        Internal,
        BridgeUnavailable,
        ConnectionLost,
        ClientClosed,
    )
}


def from_reply(error):
    """Builds the exception for a reply's `error` object; unknown codes give a plain `Error`."""
    if not isinstance(error, dict):
        return Error(str(error), code="internal")
    code = str(error.get("code", "internal"))
    cls = BY_CODE.get(code, Error)
    return cls(str(error.get("message", "")), code=code, detail=error.get("detail"))
