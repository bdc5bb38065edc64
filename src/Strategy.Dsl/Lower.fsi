/// Lowering: a checked strategy to the runtime's StrategyPlan. Assigns node ids in topological order (equal
/// sub-expressions share one node), fills statement defaults (costs, execution, rebalance, exposure) and records
/// where each node came from.
module StrategyLab.Strategy.Dsl.Lower

open StrategyLab.Runtime.Plan
open StrategyLab.Strategy.Dsl.Diagnostics

/// Returns the plan, or the diagnostics for what cannot be lowered (rank hysteresis without a ranked leg, a
/// quantile outside its bins)
val lower: ``checked``: Check.Checked -> Result<StrategyPlan, Diagnostic list>
