"""Studies of the readiness flags: power, false alarms and the information bound."""
