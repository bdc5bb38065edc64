/// Explain: a plan as a readable tree
module StrategyLab.Strategy.Dsl.Explain

open StrategyLab.Runtime.Plan

/// Returns the plan as an indented tree: header, parameters with their search spaces, models with their inputs,
/// label and training, named series with the operators that compute them, portfolio, rebalance, costs, risk and
/// execution. Node ids (#n) are the plan's; a node shown once is referred to by id afterwards.
val explain: plan: StrategyPlan -> string

/// Returns the source-like text of a scalar expression, e.g. "k + buffer"
val scalar: expr: ScalarExpr -> string
