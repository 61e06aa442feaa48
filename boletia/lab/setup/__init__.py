"""What every runtime does once its processes run: jars, collections, topics, connectors."""
