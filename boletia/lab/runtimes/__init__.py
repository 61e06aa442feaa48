"""The runtimes behind one port (`port.Runtime`); `factory.get_runtime` picks one by name."""
