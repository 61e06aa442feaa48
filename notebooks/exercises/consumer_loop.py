"""Your consumer loop: the at-least-once loop of consumer `notificaciones` (level 2 of 06).

The lab runs THIS class in place of its own loop for the consumer group `notificaciones` (the
emails) when it runs your level (notebook 06, "Level 2"). Every check loads this file afresh.

`kafka` is the lab's, and gives you six things:

    kafka.poll()                 the next messages of ONE partition, in order ([] if none came)
    kafka.handle(message)        do the message's work (send its email); raises
                                   PermanentFailure  if it can never succeed (e.g. an address
                                                     the mail service refuses)
                                   any other error   if a later attempt may pass (the mail
                                                     service or the database is away)
    kafka.commit(*messages)      "the group is done with these": a restart resumes after the
                                 last one given of each partition; raises CommitFailed if
                                 Kafka refused it (its coordinator died, the group rebalanced)
    kafka.retry(message, error)  the next poll of that partition starts again at `message`,
                                 after a pause that grows with each failure
    kafka.dead_letter(message, reason)   put it aside on the dead-letter topic for a person
    kafka.log(text)              a line in the consumer's log

Messages are delivered AT LEAST once: a consumer may die at any moment, and whatever it did
not commit comes back to whoever consumes next. `handle` is safe to repeat (the email ledger
of level 1 stops a second email).

The stub below is the seed's loop. The scenarios of level 2 catch it.
"""

from boletia.adapters.errors import PermanentFailure  # noqa: F401
from boletia.consumers.student_loop import CommitFailed  # noqa: F401


class ConsumerLoop:
    def __init__(self, kafka):
        self.kafka = kafka

    def step(self) -> None:
        """One round: called again and again while the consumer runs."""
        messages = self.kafka.poll()
        # the seed's behaviour: mark the messages done first, then work, and skip what fails
        self.kafka.commit(*messages)
        for message in messages:
            try:
                self.kafka.handle(message)
            except Exception as exc:  # noqa: BLE001
                self.kafka.log(f"{message}: failed, moving on: {exc!r}")
