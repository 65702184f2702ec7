"""The diversion system as a generative model with ground truth.

``load_case`` reads a case (cases/NAME/case.yaml); ``run`` writes simulated statistics,
customs records, licences and certificates plus ``truth.jsonl``; ``evaluate`` ingests such a
folder, runs the detection stages and scores them against the truth. Everything written is
labelled as simulated.
"""

from transship.simulate.case import Case, case_files, load_case
from transship.simulate.run import SimulationResult, run

__all__ = ["Case", "SimulationResult", "case_files", "load_case", "run"]
