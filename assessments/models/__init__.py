"""The annual rating's models, split by sub-domain and re-exported here under the one app label
`assessments` (the migrations name models as `assessments.<model>`, never by module path).

- ratings: per-year settings, each grassroots organization's round, member and organization
  ratings;
- inputs: what the rules count besides ratings (assigned tasks, cell meetings);
- indicators: the Resolution 22 dashboard's indicators, targets and new-rural recognitions;
- tallies: the dashboard's per-unit counters (assessments.indicators.tally keeps them);
- reports: report jobs (document numbers and the register live in the documents app);
- regime: the 2025– regime's facts (form categories, peer groups, quota ceilings, points);
- review: the review at scale (snapshots at a return or decision, per-version round
  summaries, units' explanations of their numbers against a target);
- dossier: quarterly self-assessments (Mẫu 05), dossier documents received (Điều 17) and
  re-ratings of a decided round (Mẫu 03).

The rules themselves are in assessments.rules (pure); the scheme of a year in
assessments.schemes (data).
"""

from .dossier import DossierDocument, QuarterlyAssessment, RatingReopening
from .indicators import Indicator, IndicatorTarget, NewRuralRecognition
from .inputs import AssignedTask, CellMeeting
from .ratings import MemberRating, OrganizationRating, RatingRound, RatingYear
from .regime import (
    MemberCategory,
    PeerGroup,
    PeerGroupAssignment,
    PointsItem,
    QuotaCeilingDecision,
    ScoreSheet,
)
from .reports import ReportJob
from .review import RoundFacts, RoundSnapshot, RoundSummary, TargetExplanation
from .tallies import (
    CADRE_COUNTERS,
    TALLY_COUNTERS,
    IndicatorRollup,
    IndicatorTally,
    IndicatorTallyDirty,
    IndicatorTallyWindow,
    tally_column,
)

__all__ = [
    "CADRE_COUNTERS",
    "TALLY_COUNTERS",
    "AssignedTask",
    "CellMeeting",
    "DossierDocument",
    "Indicator",
    "IndicatorRollup",
    "IndicatorTally",
    "IndicatorTallyDirty",
    "IndicatorTallyWindow",
    "IndicatorTarget",
    "MemberCategory",
    "MemberRating",
    "NewRuralRecognition",
    "OrganizationRating",
    "PeerGroup",
    "PeerGroupAssignment",
    "PointsItem",
    "QuarterlyAssessment",
    "QuotaCeilingDecision",
    "RatingReopening",
    "RatingRound",
    "RatingYear",
    "ReportJob",
    "RoundSnapshot",
    "RoundFacts",
    "RoundSummary",
    "ScoreSheet",
    "TargetExplanation",
    "tally_column",
]
