"""Host simulation: physics plant, virtual hardware and faults, scenarios, models, CLI."""
