"""Message contracts shared by the orchestrator and the participants, and nothing else."""
