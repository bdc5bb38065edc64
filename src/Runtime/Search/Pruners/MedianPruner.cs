namespace StrategyLab.Runtime.Search.Pruners;

/// <summary>
/// Stops a trial whose intermediate value at its latest step (walk-forward fold) is worse than the median
/// of the complete trials' values at that same step. Nothing is stopped before
/// <paramref name="startupTrials"/> trials have completed, nor before step <paramref name="warmupSteps"/>;
/// a NaN intermediate value is stopped once there is a median to compare with.
/// </summary>
/// <remarks>
/// The value compared is the one reported at the step itself, so a worker reports whatever should be
/// compared fold for fold: the fold's own score, or the running score of the folds so far. The median of an
/// even count is the mean of the middle two; complete trials without a value at the step, or with NaN, are
/// left out, and with none left the trial goes on.
/// </remarks>
/// <param name="startupTrials">Complete trials needed before any trial is stopped (Optuna's default 5).</param>
/// <param name="warmupSteps">Steps below this are never judged (0: judge from the first).</param>
public sealed class MedianPruner(int startupTrials = 5, int warmupSteps = 0) : IPruner
{
    /// <summary>Complete trials needed before any trial is stopped.</summary>
    public int StartupTrials { get; } = startupTrials >= 0 ? startupTrials : throw new ArgumentOutOfRangeException(nameof(startupTrials), "startup trials must be 0 or more");

    /// <summary>Steps below this are never judged.</summary>
    public int WarmupSteps { get; } = warmupSteps >= 0 ? warmupSteps : throw new ArgumentOutOfRangeException(nameof(warmupSteps), "warm-up steps must be 0 or more");

    /// <inheritdoc />
    public bool ShouldPrune(FrozenTrial running, IReadOnlyList<FrozenTrial> trials, Direction direction)
    {
        ArgumentNullException.ThrowIfNull(running);
        ArgumentNullException.ThrowIfNull(trials);
        if (running.Intermediate.IsEmpty)
            return false;
        var (step, value) = running.Intermediate.Last();
        if (step < WarmupSteps)
            return false;
        var complete = trials.Where(t => t.State == TrialState.Complete && t.Number != running.Number).ToList();
        if (complete.Count < StartupTrials)
            return false;
        var atStep = complete
            .Select(t => t.Intermediate.TryGetValue(step, out var v) ? v : double.NaN)
            .Where(v => !double.IsNaN(v))
            .Order()
            .ToArray();
        if (atStep.Length == 0)
            return false;
        if (double.IsNaN(value))
            return true;
        var half = atStep.Length / 2;
        var median = atStep.Length % 2 == 1 ? atStep[half] : 0.5 * (atStep[half - 1] + atStep[half]);
        return direction == Direction.Maximize ? value < median : value > median;
    }
}
