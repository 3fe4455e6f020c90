"""In-process probes of ``POST /xapi/statements``: CPU per statement and per phase."""
