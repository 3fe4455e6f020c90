"""One blueprint per xAPI resource."""
