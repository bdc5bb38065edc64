using System.Collections.Immutable;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Search;

/// <summary>Where a trial is in its life.</summary>
public enum TrialState
{
    /// <summary>Queued with its parameters (a retry of a failed trial, or one given by hand); the next worker takes it.</summary>
    Waiting,
    /// <summary>A worker is running it and sends heartbeats.</summary>
    Running,
    /// <summary>Finished with its objective values.</summary>
    Complete,
    /// <summary>Stopped early by a pruner on its intermediate values.</summary>
    Pruned,
    /// <summary>Raised an error, was interrupted, or its worker stopped sending heartbeats.</summary>
    Failed,
}

/// <summary>Whether an objective is better higher or lower.</summary>
public enum Direction
{
    /// <summary>Higher is better (Sharpe, return).</summary>
    Maximize,
    /// <summary>Lower is better (drawdown).</summary>
    Minimize,
}

/// <summary>
/// A trial as storage holds it: its number (unique in its study, handed out by storage alone), state,
/// parameters, objective values (one per objective once complete), intermediate values by step
/// (walk-forward fold), times and free-form attributes (the worker, the trial it retries, a failure's reason).
/// </summary>
public sealed record FrozenTrial(
    long Id,
    int Number,
    TrialState State,
    ImmutableSortedDictionary<string, ScalarValue> Params,
    ImmutableArray<double> Values,
    ImmutableSortedDictionary<int, double> Intermediate,
    DateTimeOffset? Started,
    DateTimeOffset? Finished,
    ImmutableSortedDictionary<string, string> Attributes)
{
    /// <summary>True once the trial will not change any more.</summary>
    public bool IsFinished => State is TrialState.Complete or TrialState.Pruned or TrialState.Failed;
}

/// <summary>
/// Proposes the next trial's parameters from the trials so far (finished ones, and running ones
/// whose parameters it may avoid); it keeps no state of its own between calls that storage does not
/// hold, so that workers on many machines share one search.
/// </summary>
public interface ISampler
{
    /// <summary>A value for every active parameter of <paramref name="space"/>.</summary>
    IReadOnlyDictionary<string, ScalarValue> Propose(SearchSpace space, IReadOnlyList<Direction> directions, IReadOnlyList<FrozenTrial> trials, Random random);
}

/// <summary>Decides from intermediate values (one per walk-forward fold) whether a running trial stops early.</summary>
public interface IPruner
{
    /// <summary>True when <paramref name="running"/>, at its latest step, should stop.</summary>
    bool ShouldPrune(FrozenTrial running, IReadOnlyList<FrozenTrial> trials, Direction direction);
}
