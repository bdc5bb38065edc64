using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace StrategyLab.Runtime.Plan;

/// <summary>
/// One per-asset time series of the plan, a [time × asset] column once evaluated. Nodes refer to
/// their inputs by id; ids are dense and topologically ordered, so <c>plan.Nodes[i].Id == i</c>
/// and every input id is smaller than the node's own id.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$kind")]
[JsonDerivedType(typeof(ColumnNode), "column")]
[JsonDerivedType(typeof(ConstantNode), "constant")]
[JsonDerivedType(typeof(OperatorNode), "operator")]
[JsonDerivedType(typeof(ModelOutputNode), "model")]
public abstract record SeriesNode(int Id)
{
    /// <summary>Returns the ids of the nodes this node reads.</summary>
    [JsonIgnore]
    public abstract ImmutableArray<int> Dependencies { get; }
}

/// <summary>A data column, e.g. <c>close</c> or <c>market_cap</c>; NaN where the asset has no bar.</summary>
public sealed record ColumnNode(int Id, string Column) : SeriesNode(Id)
{
    /// <inheritdoc />
    public override ImmutableArray<int> Dependencies => [];
}

/// <summary>A scalar broadcast to every time and asset, e.g. the <c>0.5</c> of <c>x &gt; 0.5</c>.</summary>
public sealed record ConstantNode(int Id, ScalarExpr Value) : SeriesNode(Id)
{
    /// <inheritdoc />
    public override ImmutableArray<int> Dependencies => [];
}

/// <summary>
/// An operator of <see cref="OperatorCatalogue"/> applied to series inputs (in the order of the
/// operator's series parameters) and scalar arguments (in the order of its scalar parameters, every
/// default already filled in; windows and horizons are in bars).
/// </summary>
public sealed record OperatorNode(int Id, string Operator, ImmutableArray<int> Inputs, ImmutableArray<ScalarExpr> Args)
    : SeriesNode(Id)
{
    /// <inheritdoc />
    public override ImmutableArray<int> Dependencies => Inputs;
}

/// <summary>
/// The out-of-sample prediction of a model of <see cref="StrategyPlan.Models"/>: at each bar, the
/// prediction of the fold whose training data ended before that bar. Depends on the model's inputs,
/// its label (read in training only) and, for ensembles, its members' outputs.
/// </summary>
public sealed record ModelOutputNode(int Id, string Model, ImmutableArray<int> DependsOn) : SeriesNode(Id)
{
    /// <inheritdoc />
    public override ImmutableArray<int> Dependencies => DependsOn;
}

/// <summary>Where in the .strat source a plan element came from, for runtime errors.</summary>
public sealed record SourceLocation(string File, int Line, int Column)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}({Line},{Column})";
}
