"""What the lessons use to talk to the lab and look inside it."""
