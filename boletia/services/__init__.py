"""The HTTP services: `eventos` (admin area) and `reservas` (public area)."""
