"""The lab around Boletia, in rooms by job (each imports only from the rooms listed after it):

- `experiments/` load, chaos scenarios and the invariant checker;
- `notebook/`    what the lessons use to talk to the lab and look inside it (client, observe, diagram);
- `runtimes/`    one port (`port.py`) and its local, docker and kind implementations;
- `setup/`       what every runtime does once its processes run: jars, collections, topics, connectors;
- `i18n/`        the course's editions in other languages, rendered from gettext catalogues;
- `components.py`, `hooks.py`, `errors.py`: the one list of components, what the lab plugs into a
  consumer process (readiness, faults), and the error a student can act on.
"""
