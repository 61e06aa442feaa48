"""A reference solution of notebooks/exercises/nemesis.py (level 4): the lab's tests grade it
(clean on the fixed design, every hidden broken design caught). Not the only right answer."""

# a message that comes back after its work was done: a refund (reembolsos, on the cancels of
# boletia.reservas) and an email (notificaciones) each redelivered after the consumer's write
STEPS = [
    {"verb": "crash", "consumer": "reembolsos", "times": 2, "topic": "boletia.reservas",
     "delay": 1.0},
    {"verb": "crash", "consumer": "notificaciones", "times": 2, "delay": 0.5},
]


def invariant(view: dict) -> list[str]:
    # conservation: capacity = for sale + held by active reservations, per event
    held: dict[str, int] = {}
    for r in view["reservas"]:
        if r["estado"] == "A":
            held[r["evento"]] = held.get(r["evento"], 0) + r["cantidad"]
    out = []
    for nombre, e in view["eventos"].items():
        if e["disponible"] is None:
            out.append(f"{nombre}: not in inventario")
        elif e["capacidad"] != e["disponible"] + held.get(nombre, 0):
            out.append(f"{nombre}: capacity {e['capacidad']} != for sale {e['disponible']} + "
                       f"held {held.get(nombre, 0)}")
    return out
