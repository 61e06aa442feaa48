"""Schemathesis hooks for the contract fuzz (loaded with SCHEMATHESIS_HOOKS).

Two seed paths share a prefix: GET /reservas/eventos (the inventory) is also what
/reservas/{reserva_id} with id "eventos", and /reservas/{evento}/{email} with evento
"eventos", look like. Flask routes the literal path first, as the seed's Go router did, so
those two values are the other operation, not a bad id: they are left out of the fuzz.
"""

import schemathesis


@schemathesis.hook
def filter_path_parameters(ctx, path_parameters):
    return not path_parameters or (path_parameters.get("reserva_id") != "eventos"
                                   and path_parameters.get("evento") != "eventos")
