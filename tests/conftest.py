import os

from hypothesis import HealthCheck, settings

# `ci`: derandomized, no example database, bounded; `fuzz`: long campaigns outside CI.
settings.register_profile("ci", derandomize=True, database=None, max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=20000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
