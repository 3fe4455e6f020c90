"""Getting told: the scheduler, run records, retraining lists, alerts and their delivery."""
