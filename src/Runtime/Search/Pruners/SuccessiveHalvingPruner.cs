namespace StrategyLab.Runtime.Search.Pruners;

/// <summary>
/// Asynchronous successive halving (Li et al. 2020, as Optuna's SuccessiveHalvingPruner): rung k is reached
/// at step r · η^(s + k) (r the minimum resource, η the reduction factor, s the minimum early-stopping rate);
/// a trial that reaches a rung goes on only if its value there is among the best 1/η of the values every
/// trial had on reaching that rung (itself included); with fewer than η values it must be the best.
/// </summary>
/// <remarks>
/// A trial's value at a rung is its intermediate value at its first reported step at or beyond the rung's
/// step, read from storage, so the decision is the same on every worker and needs no record of its own.
/// Each rung is judged once, at the step that first reaches it. Steps are what workers report (for
/// walk-forward folds, the number of folds done makes the resource). A NaN value at a rung stops the trial.
/// </remarks>
public sealed class SuccessiveHalvingPruner : IPruner
{
    /// <summary>Creates the pruner; Optuna's defaults are a minimum resource of 1, η = 4 and s = 0.</summary>
    public SuccessiveHalvingPruner(int minResource = 1, int reductionFactor = 4, int minEarlyStoppingRate = 0)
    {
        if (minResource < 1)
            throw new ArgumentOutOfRangeException(nameof(minResource), "the minimum resource must be at least 1");
        if (reductionFactor < 2)
            throw new ArgumentOutOfRangeException(nameof(reductionFactor), "the reduction factor must be at least 2");
        if (minEarlyStoppingRate < 0)
            throw new ArgumentOutOfRangeException(nameof(minEarlyStoppingRate), "the minimum early-stopping rate must be 0 or more");
        (MinResource, ReductionFactor, MinEarlyStoppingRate) = (minResource, reductionFactor, minEarlyStoppingRate);
    }

    /// <summary>The step of the first rung when the minimum early-stopping rate is 0.</summary>
    public int MinResource { get; }

    /// <summary>η: each rung is η times the step of the one before and keeps the best 1/η.</summary>
    public int ReductionFactor { get; }

    /// <summary>s: the first rung is at r · η^s.</summary>
    public int MinEarlyStoppingRate { get; }

    /// <summary>The step of rung <paramref name="rung"/> (0-based), or null beyond the range of steps.</summary>
    public int? RungStep(int rung)
    {
        double step = MinResource * Math.Pow(ReductionFactor, MinEarlyStoppingRate + rung);
        return step <= int.MaxValue ? (int)step : null;
    }

    /// <inheritdoc />
    public bool ShouldPrune(FrozenTrial running, IReadOnlyList<FrozenTrial> trials, Direction direction)
    {
        ArgumentNullException.ThrowIfNull(running);
        ArgumentNullException.ThrowIfNull(trials);
        if (running.Intermediate.IsEmpty)
            return false;
        var latest = running.Intermediate.Keys.Last();
        for (var rung = 0; RungStep(rung) is { } rungStep && rungStep <= latest; rung++)
        {
            // judged at an earlier step, and passed: the trial is still running
            if (!ValueAt(running, rungStep, out var reachedAt, out var value) || reachedAt != latest)
                continue;
            if (double.IsNaN(value))
                return true;
            var competing = new List<double> { value };
            foreach (var t in trials)
                if (t.Number != running.Number && t.State != TrialState.Waiting && ValueAt(t, rungStep, out _, out var v) && !double.IsNaN(v))
                    competing.Add(v);
            if (!Promotable(value, competing, direction))
                return true;
        }
        return false;
    }

    // the trial's value at its first step at or beyond `step`
    private static bool ValueAt(FrozenTrial trial, int step, out int reachedAt, out double value)
    {
        foreach (var (s, v) in trial.Intermediate)
            if (s >= step)
            {
                (reachedAt, value) = (s, v);
                return true;
            }
        (reachedAt, value) = (0, double.NaN);
        return false;
    }

    // among the best ⌊n / η⌋ values (the best one when that is 0)
    private bool Promotable(double value, List<double> competing, Direction direction)
    {
        competing.Sort();
        var index = Math.Max((competing.Count / ReductionFactor) - 1, 0);
        return direction == Direction.Maximize ? value >= competing[^(index + 1)] : value <= competing[index];
    }
}
