"""How an adapter says a failure is the message's own fault."""


class PermanentFailure(Exception):
    """This message can never succeed (it cannot be decoded, or a service refused it for
    good): the consumer dead-letters it with this reason and moves on. Every other error is
    transient, and the message is retried until it succeeds."""
