using System.Collections.Immutable;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Models.Training;
using StrategyLab.Runtime.Runs;
using StrategyLab.Runtime.Search.Statistics;
using StrategyLab.Runtime.Search.Storage;

namespace StrategyLab.Runtime.Search;

/// <summary>
/// One window of a walk-forward optimisation: its study (the in-sample search), the trial it chose, and
/// that trial's parameters traded on the out-of-sample bars. <see cref="OutOfSample"/> is null, and the
/// window flat, when no trial cleared the constraints.
/// </summary>
public sealed record WalkForwardWindowResult(WalkForwardWindow Window, string Study, FrozenTrial? Chosen, PeriodOutcome? OutOfSample, long[] Times);

/// <summary>A walk-forward optimisation's windows and their stitched out-of-sample record: the study's honest result.</summary>
public sealed record WalkForwardOutcome(WalkForwardOptimization Scheme, IReadOnlyList<WalkForwardWindowResult> Windows, WalkForwardOutOfSample Stitched)
{
    /// <summary>The bar times of <see cref="WalkForwardOutOfSample.Returns"/>, in order.</summary>
    public ImmutableArray<long> Times { get; init; } = [];
}

/// <summary>
/// Walk-forward optimisation: a study on each in-sample window (its bars less the embargoed ones, each
/// contiguous piece a scoring period), the best trial that clears the constraints traded on the next
/// out-of-sample window starting flat, and the out-of-sample windows' returns stitched into one record.
/// Each window's study is kept in storage as <c>NAME/wf-K</c>, so a stopped optimisation resumes.
/// </summary>
public static class WalkForwardStudy
{
    /// <summary>The name of window <paramref name="index"/>'s study.</summary>
    public static string WindowStudy(string name, int index) => $"{name}/wf-{index}";

    /// <summary>
    /// Runs every window's study to <see cref="StudyOptions.Trials"/> trials, chooses and trades; a
    /// cancelled <paramref name="stop"/> ends after the running trials, before the next window, and
    /// returns null.
    /// </summary>
    /// <exception cref="PlanException">The period holds no window, or the options use folds (a window is scored whole).</exception>
    public static WalkForwardOutcome? Run(IStudyStorage storage, string name, PreparedRun run, string source, StudyOptions options, WalkForwardOptimization scheme,
        string worker, CancellationToken stop = default, Action<WalkForwardWindow, TrialFinished>? finished = null,
        Func<ParameterSet, ModelTrainingResult?>? models = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scheme);
        var windows = Windows(run, options, scheme);
        var results = new List<WalkForwardWindowResult>();
        foreach (var window in windows)
        {
            var inSample = options with { Periods = InSamplePeriods(window) };
            var study = storage.OpenOrCreate(inSample.Define(WindowStudy(name, window.Index), run, source));
            var outcome = new StudyRunner(storage, study, run, inSample, worker, models)
                .Run(stop, finished is null ? null : f => finished(window, f));
            if (outcome.Interrupted)
                return null;
            results.Add(Trade(run, options, window, study, storage.Trials(study.Id), models));
        }
        var stitched = WalkForwardOutOfSample.Stitch([.. results.Select(r => r.OutOfSample?.Returns ?? new double[r.Times.Length])], run.Panel.Interval.BarsPerYear);
        return new WalkForwardOutcome(scheme, results, stitched) { Times = [.. results.SelectMany(r => r.Times)] };
    }

    /// <summary>The windows of the settings' period, refused when the options split trials into folds.</summary>
    public static IReadOnlyList<WalkForwardWindow> Windows(PreparedRun run, StudyOptions options, WalkForwardOptimization scheme)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scheme);
        if (options.CrossValidation.Folds > 1)
            throw new PlanException("--walk-forward scores each in-sample window whole: give --cv or --walk-forward, not both");
        var (start, end) = TrialEvaluation.WholePeriod(run, options.Settings);
        return scheme.Windows(new BarRange(start, end));
    }

    // the in-sample bars less the embargoed ones, as contiguous pieces of at least 2 bars
    private static IReadOnlyList<BarRange> InSamplePeriods(WalkForwardWindow window)
    {
        var pieces = new List<BarRange>();
        var from = window.InSample.Start;
        foreach (var cut in window.Embargoed.OrderBy(e => e.Start))
        {
            if (cut.Start - from >= 2)
                pieces.Add(new BarRange(from, cut.Start));
            from = Math.Max(from, cut.End);
        }
        if (window.InSample.End - from >= 2)
            pieces.Add(new BarRange(from, window.InSample.End));
        return pieces.Count > 0
            ? pieces
            : throw new PlanException($"--walk-forward: window {window.Index}'s in-sample bars are all embargoed");
    }

    // the chosen trial's parameters on the out-of-sample bars; flat when no trial qualifies
    private static WalkForwardWindowResult Trade(PreparedRun run, StudyOptions options, WalkForwardWindow window, StudyRecord study,
        IReadOnlyList<FrozenTrial> trials, Func<ParameterSet, ModelTrainingResult?>? models)
    {
        var chosen = BestTrial.Select(trials, options.Objectives[0].Direction, options.Constraints);
        var oos = window.OutOfSample;
        var times = run.Panel.Times[oos.Start..oos.End].ToArray();
        if (chosen is null)
            return new WalkForwardWindowResult(window, study.Name, null, null, times);
        var parameters = run.Bind(chosen.Params);
        var outcome = TrialEvaluation.Run(run, parameters, options.Settings, options.Accounting, [(oos.Start, oos.End)], models?.Invoke(parameters))[0];
        return new WalkForwardWindowResult(window, study.Name, chosen, outcome, outcome.Times);
    }
}
