"""The incident-linkage simulation and its power study."""
