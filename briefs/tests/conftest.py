from cases.tests.conftest import city, dark_report  # noqa: F401  (departments, routing, a routed report)
from grants.tests.conftest import evaluator, grid  # noqa: F401  (the same 4 x 4 grid of zones)
