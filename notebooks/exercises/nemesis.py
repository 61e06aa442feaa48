"""Level 4, the nemesis: this time you attack the pipeline instead of defending it.

Two things to write, both judged on the real lab (notebook 06, "Level 4"):

1. `STEPS`: the fault the lab injects while customers book and cancel. A list of 1 to 4 steps,
   each one of the lab's fault verbs with its arguments, carried out in order, each `delay`
   seconds after the one before (default 1):

       {"verb": "crash", "consumer": "inventario", "times": 2, "topic": "boletia.inventario"}
             the consumer exits after its next `times` writes, before their commit, and is
             started again; `topic` (optional): only on messages of that topic
       {"verb": "slow", "consumer": "notificaciones", "seconds": 1.0}
             the consumer sleeps before each commit, until the run ends
       {"verb": "fail-writes", "times": 5, "service": "inventario"}
             MongoDB fails the next `times` writes (of `service` alone, when given)
       {"verb": "kill", "component": "kafka-2", "seconds": 3}
             SIGKILLed, kept down `seconds`, started again
       {"verb": "pause", "component": "mongo", "seconds": 3}
             frozen (SIGSTOP) for `seconds`, then resumed

   Consumers: inventario (reads boletia.inventario), reembolsos (boletia.reservas),
   notificaciones (boletia.reservas). Components: mongo, ses, kafka-1..3, connect,
   eventos, reservas and the consumers.

2. `invariant(view)`: a check of the lab's state once everything has settled. Return one line
   (a string) per violation you find, an empty list when all is well. `view` is plain data:

       {"eventos":  {"<nombre>": {"capacidad": 40, "disponible": 12}, ...},
        "reservas": [{"id": "...", "evento": "<nombre>", "cantidad": 2, "estado": "A"}, ...]}

   `capacidad`: the tickets the organiser put on sale; `disponible`: the tickets still for sale
   now; a reservation's `estado`: A active, X cancelled by its customer, C its event cancelled.
   Your invariant: **no ticket appears or disappears**. It is judged on small worlds first
   (some damaged: it must say so; some healthy: it must stay silent), then on the real runs.

Your nemesis is graded on broken designs you have not seen: it scores when its run on each
ends *violated* (the fault exposed the bug), and only if its run on the fixed design ends
*clean* (no false alarm). Think about which fault makes a message come back to a consumer
that has already done its work, and what the lab's state would show then.
"""

STEPS: list[dict] = []


def invariant(view: dict) -> list[str]:
    return []
