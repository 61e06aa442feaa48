"""A reference solution of notebooks/exercises/consumer_loop.py (the lab's tests run it: every
scenario of level 2 clean). Not the only right answer: the scenarios judge behaviour."""

from boletia.adapters.errors import PermanentFailure
from boletia.consumers.student_loop import CommitFailed


class ConsumerLoop:
    def __init__(self, kafka):
        self.kafka = kafka

    def step(self) -> None:
        done = []
        try:
            for message in self.kafka.poll():
                try:
                    self.kafka.handle(message)
                except PermanentFailure as exc:   # never succeeds: aside, then past it
                    self.kafka.dead_letter(message, str(exc))
                except Exception as exc:  # noqa: BLE001 - may pass later: again, from it
                    self.kafka.retry(message, exc)
                    return                        # nothing past it is committed
                done.append(message)
        finally:
            try:
                self.kafka.commit(*done)          # only what was done; at worst it comes back
            except CommitFailed as exc:
                self.kafka.log(f"commit refused, going on (a redelivery is harmless): {exc}")
