/// The checker: names, arity, argument names and types, window units against the bar interval, and time safety.
/// It also elaborates the tree: defs are inlined, comprehensions expanded, lags and infix operators become
/// operator calls, and every argument default is filled in from the runtime's catalogue.
module StrategyLab.Strategy.Dsl.Check

open StrategyLab.Runtime.Plan
open StrategyLab.Strategy.Dsl.Diagnostics
open StrategyLab.Strategy.Dsl.Syntax

/// A checked per-asset series, before node ids are assigned
[<RequireQualifiedAccess>]
type Series =
    /// a data column such as close
    | Column of name: string * range: Range
    /// a scalar broadcast to every bar and asset
    | Constant of value: ScalarExpr
    /// an operator of OperatorCatalogue; inputs follow its series parameters, args its scalar parameters
    | Op of name: string * inputs: Series list * args: ScalarExpr list * range: Range
    /// the out-of-sample predictions of a model
    | ModelOutput of model: string * range: Range

/// A checked portfolio leg
[<RequireQualifiedAccess>]
type Leg =
    | Rank of side: StrategyLab.Runtime.Plan.Side * top: bool * count: ScalarExpr * by: Series
    | Quantile of side: StrategyLab.Runtime.Plan.Side * bucket: ScalarExpr * bins: ScalarExpr * by: Series
    | Threshold of side: StrategyLab.Runtime.Plan.Side * entry: Series * exit: Series option

/// A checked model declaration; hyperparameters are complete and in catalogue order
type CheckedModel =
    {
        Name: string
        Kind: string
        Inputs: (Series * ScalarExpr option) list
        Label: string option
        Hyperparameters: (string * ScalarExpr) list
        Training: TrainingSpec option
        Members: (string * ScalarExpr) list
        FitWeights: bool
        Range: Range
    }

/// A checked strategy: what lowering turns into a StrategyPlan
type Checked =
    {
        Name: string
        Description: string
        Dataset: string
        Bar: BarInterval
        Universe: UniverseSpec
        Parameters: ParameterSpec list
        /// let, signal and label definitions in source order
        Named: (string * SeriesRole * Series * Range) list
        /// models with ensemble members before the ensembles that use them
        Models: CheckedModel list
        Legs: Leg list
        /// where the portfolio statement is (the file start when there is none)
        PortfolioRange: Range
        /// where the rebalance statement is, when there is one
        RebalanceRange: Range option
        Weighting: Weighting
        Scope: QuantileScope
        Gross: ScalarExpr option
        Net: ScalarExpr option
        Leverage: ScalarExpr option
        /// rebalance interval in bars and the rank buffer, when given
        RebalanceEvery: ScalarExpr option
        /// True when the rebalance period was written as a duration, so that it starts on the calendar
        RebalanceCalendar: bool
        KeepWithinRank: ScalarExpr option
        Costs: CostSpec option
        Risk: RiskLimit list
        Execution: ExecutionSpec option
        Exits: ExitSpec option
    }

/// Checks a program whose includes are already spliced in (statements from other files keep their file in their
/// ranges; program.File is the main file). Returns every diagnostic found, or the checked strategy.
val check: program: Program -> Result<Checked, Diagnostic list>
