"""pyros: use ROS topics, services and parameters from any Python process, through the
`pyros-bridge` node, over a Unix socket (standard library only).

    import pyros
    client = pyros.Client()                  # $PYROS_SOCKET, else /run/pyros/default.sock
    client.publish("/chatter", {"data": "hi"}, type="std_msgs/String")
    print(client.call("/add_two_ints", {"a": 1, "b": 2}))

Errors are exceptions derived from `pyros.Error`, one subclass per protocol error code.
`pyros.compat.PyrosClient` offers the pyros 0.4 method names.
"""

from .client import Client, GraphEvent, GraphWatch, Message, Subscription, default_socket
from .errors import (
    BridgeUnavailable,
    ClientClosed,
    ConnectionLost,
    Error,
    Internal,
    InvalidRequest,
    NoData,
    NotAllowed,
    NotFound,
    Overloaded,
    RosUnavailable,
    ServiceError,
    Timeout,
    TooLarge,
    TypeMismatch,
)
from .compat import PyrosClient

__version__ = "0.5.0"

__all__ = [
    "BridgeUnavailable",
    "Client",
    "ClientClosed",
    "ConnectionLost",
    "Error",
    "GraphEvent",
    "GraphWatch",
    "Internal",
    "InvalidRequest",
    "Message",
    "NoData",
    "NotAllowed",
    "NotFound",
    "Overloaded",
    "PyrosClient",
    "RosUnavailable",
    "ServiceError",
    "Subscription",
    "Timeout",
    "TooLarge",
    "TypeMismatch",
    "default_socket",
]
