using System.Collections.Immutable;
using System.Globalization;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Models.Training;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Runs;
using StrategyLab.Runtime.Search.Pruners;
using StrategyLab.Runtime.Search.Samplers;
using StrategyLab.Runtime.Search.Storage;

namespace StrategyLab.Runtime.Search;

/// <summary>
/// How a study searches: its objectives (one, or two for a Pareto front), constraints, how each trial
/// is scored (walk-forward folds, accounting, period), the sampler and pruner, and how many trials the
/// study should hold when this worker stops.
/// </summary>
public sealed record StudyOptions
{
    /// <summary>What is optimised, in order; two give a Pareto front.</summary>
    public required IReadOnlyList<Objective> Objectives { get; init; }

    /// <summary>What the chosen trial must satisfy (e.g. <c>maxdd &lt; 0.25</c>).</summary>
    public ConstraintSet Constraints { get; init; } = ConstraintSet.None;

    /// <summary>Each trial is scored on these folds of the period: the mean of each metric over them.</summary>
    public CrossValidation CrossValidation { get; init; } = CrossValidation.None;

    /// <summary>
    /// The bar ranges each trial is scored on, in place of the period's folds (a walk-forward window's
    /// in-sample bars less its embargo); null to split the settings' period by <see cref="CrossValidation"/>.
    /// </summary>
    public IReadOnlyList<BarRange>? Periods { get; init; }

    /// <summary>The settings over the bars trials are scored on: the settings' period, or the span of <see cref="Periods"/>.</summary>
    public RunSettings ScoredSettings(PreparedRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (Periods is not { Count: > 0 } periods)
            return Settings;
        var times = run.Panel.Times;
        var end = periods[^1].End;
        return Settings with { From = times[periods[0].Start], To = end < run.Panel.TimeCount ? times[end] : null };
    }

    /// <summary>How returns are counted.</summary>
    public Accounting Accounting { get; init; } = Accounting.Ledger;

    /// <summary>The period, costs and capital of every trial.</summary>
    public RunSettings Settings { get; init; } = RunSettings.Default;

    /// <summary><c>tpe</c>, <c>random</c>, <c>grid</c> or <c>cmaes</c>.</summary>
    public string Sampler { get; init; } = "tpe";

    /// <summary>The seed of every proposal (the proposal of the study's n-th trial draws from seed + n).</summary>
    public long Seed { get; init; }

    /// <summary><c>none</c>, <c>median</c> or <c>halving</c> (stopping trials on their first folds).</summary>
    public string Pruner { get; init; } = "none";

    /// <summary>The worker stops once the study holds this many complete or pruned trials.</summary>
    public int Trials { get; init; } = 100;

    /// <summary>Trials this worker runs at a time.</summary>
    public int Jobs { get; init; } = 1;

    /// <summary>No trial starts after this long; null for no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>How often a running trial tells storage it is alive, and how old a heartbeat may get before its trial is failed and rerun.</summary>
    public (TimeSpan Interval, TimeSpan Timeout) Heartbeat { get; init; } = (TrialHeartbeat.DefaultInterval, TrialHeartbeat.DefaultTimeout);

    /// <summary>The objectives' directions.</summary>
    public IReadOnlyList<Direction> Directions => [.. Objectives.Select(o => o.Direction)];

    /// <summary>
    /// How each trial is measured, as the study keeps it: accounting, period, costs, capital and folds.
    /// A study resumed with other terms would rank trials measured two ways, so storage refuses it.
    /// </summary>
    public string Scoring
    {
        get
        {
            static string Time(long? ms) => ms is { } t ? DateTimeOffset.FromUnixTimeMilliseconds(t).ToString(TimeFormat, CultureInfo.InvariantCulture) : "";
            static string Number(double? x) => x is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "plan";
            var s = Settings;
            return $"{Accounting.ToString().ToLowerInvariant()}; period {Time(s.From)}..{Time(s.To)}; fee {Number(s.Fee)}; "
                + $"min notional {Number(s.MinNotional)}; capital {Number(s.Capital)}; "
                + (Periods is null
                    ? $"folds {CrossValidation.Folds}, purge {CrossValidation.Purge}"
                    : "bars " + string.Join(", ", Periods.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Start}..{p.End}"))));
        }
    }

    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>These options measuring trials as <paramref name="scoring"/> (a stored study's <see cref="Scoring"/>) says: accounting, period, costs, capital, folds.</summary>
    /// <exception cref="FormatException">Text <see cref="Scoring"/> did not write.</exception>
    public StudyOptions WithScoring(string scoring)
    {
        ArgumentNullException.ThrowIfNull(scoring);
        var parts = scoring.Split("; ");
        FormatException Bad() => new($"study scoring '{scoring}' is not one this program writes");
        if (parts.Length != 6 || !Enum.TryParse<Accounting>(parts[0], ignoreCase: true, out var accounting))
            throw Bad();
        string After(int i, string label) => parts[i].StartsWith(label + " ", StringComparison.Ordinal) ? parts[i][(label.Length + 1)..] : throw Bad();
        double? Number(string text) => text == "plan" ? null : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        long? Time(string text) => text.Length == 0 ? null
            : DateTimeOffset.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds();
        int Int(string text) => int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
        try
        {
            var period = After(1, "period").Split("..");
            var settings = Settings with
            {
                From = Time(period[0]),
                To = Time(period[1]),
                Fee = Number(After(2, "fee")),
                MinNotional = Number(After(3, "min notional")),
                Capital = Number(After(4, "capital")) ?? RunSettings.DefaultCapital,
            };
            if (parts[5].StartsWith("bars ", StringComparison.Ordinal))
            {
                var bars = After(5, "bars").Split(", ").Select(r => r.Split("..")).Select(r => new BarRange(Int(r[0]), Int(r[1])));
                return this with { Accounting = accounting, Settings = settings, Periods = [.. bars] };
            }
            var folds = After(5, "folds").Split(", purge ");
            return this with { Accounting = accounting, Settings = settings, CrossValidation = new CrossValidation(Int(folds[0]), Int(folds[1])), Periods = null };
        }
        catch (Exception e) when (e is FormatException or OverflowException or IndexOutOfRangeException)
        {
            throw Bad();
        }
    }

    /// <summary>The study this search defines over <paramref name="run"/>: its strategy (with <paramref name="source"/>), data, declared search space, objectives, constraints and scoring.</summary>
    /// <exception cref="PlanException">The strategy declares nothing to search.</exception>
    public StudyDefinition Define(string name, PreparedRun run, string source)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new StudyDefinition(name, run.Plan.Name, run.Plan.ContentHash(), source, run.Plan.Dataset, run.DataHash, PlanSearchSpace.From(run.Plan),
            [.. Directions], [.. Objectives.Select(o => o.Metric)], Constraints.ToString(), Sampler, Seed, DateTimeOffset.UtcNow, PreparedRun.Version, Scoring);
    }

    /// <summary>
    /// Refuses, before any trial runs, a search no trial could complete: no objective or more than two,
    /// a trade figure under weights accounting (which has no round trips), an unknown sampler or
    /// pruner, pruning without folds to prune on, CMA-ES with two objectives, a grid over a float
    /// without a step.
    /// </summary>
    /// <exception cref="PlanException">The first such problem, in one line.</exception>
    public void Validate(SearchSpace space)
    {
        ArgumentNullException.ThrowIfNull(space);
        if (Objectives.Count is < 1 or > 2)
            throw new PlanException($"--objective: give one objective, or two for a Pareto front; found {Objectives.Count}");
        if (Objectives.Select(o => o.Metric).Distinct().Count() != Objectives.Count)
            throw new PlanException("--objective: the same metric is given twice");
        foreach (var metric in Objectives.Select(o => o.Metric).Concat(Constraints.Constraints.Select(c => c.Metric)))
            if (Accounting == Accounting.Weights && metric is "trades" or "win_rate" or "profit_factor")
                throw new PlanException($"'{metric}' counts round trips, which weights accounting does not have; use --accounting ledger");
        if (Trials < 1 || Jobs < 1)
            throw new PlanException($"--trials and --jobs: expected at least 1, found {Trials} and {Jobs}");
        CreateSampler();
        if (CreatePruner() is not null && CrossValidation.Folds < 2)
            throw new PlanException($"--pruner {Pruner}: a trial is stopped on its first walk-forward folds; give --cv walk-forward:folds=N with N of 2 or more");
        if (Sampler == "cmaes" && Objectives.Count > 1)
            throw new PlanException("--sampler cmaes: CMA-ES optimises one objective; use tpe or random for a Pareto front");
        if (Sampler == "grid" && space.Parameters.FirstOrDefault(p => p.Distribution is FloatDistribution { Step: null }) is { } unstepped)
            throw new PlanException($"--sampler grid: parameter '{unstepped.Name}' is a real range without a step; declare one (param {unstepped.Name} = … in LOW..HIGH by STEP) or use tpe");
    }

    /// <summary>Parses <c>--constraint</c> texts, each naming a metric trials report.</summary>
    /// <exception cref="PlanException">A malformed constraint, or one on a metric no trial reports.</exception>
    public static ConstraintSet ParseConstraints(IEnumerable<string> texts)
    {
        ConstraintSet set;
        try
        {
            set = ConstraintSet.Parse(texts);
        }
        catch (FormatException e)
        {
            throw new PlanException("--constraint: " + e.Message);
        }
        foreach (var c in set.Constraints)
            TrialMetrics.Require(c.Metric, $"--constraint '{c}'");
        return set;
    }

    /// <summary>The sampler of that name, or a one-line error naming the ones there are.</summary>
    public ISampler CreateSampler() => Sampler switch
    {
        "tpe" => new TpeSampler(new TpeOptions { Constraints = Constraints.Constraints.IsEmpty ? null : Constraints }),
        // the parameters drawn together, as Optuna's multivariate TPE, with Watanabe 2023's kernels and weights (docs/performance.md)
        "tpe-multivariate" => new TpeSampler(new TpeOptions { Multivariate = true, Constraints = Constraints.Constraints.IsEmpty ? null : Constraints }),
        "random" => new RandomSampler(),
        "grid" => new GridSampler(),
        "cmaes" => new CmaEsSampler(),
        _ => throw new PlanException($"--sampler: expected tpe, tpe-multivariate, random, grid or cmaes, found '{Sampler}'"),
    };

    /// <summary>The pruner of that name (null for none), or a one-line error naming the ones there are.</summary>
    public IPruner? CreatePruner() => Pruner switch
    {
        "none" => null,
        "median" => new MedianPruner(),
        "halving" => new SuccessiveHalvingPruner(),
        _ => throw new PlanException($"--pruner: expected none, median or halving, found '{Pruner}'"),
    };
}

/// <summary>What one worker's run of a study did, and why it stopped.</summary>
public sealed record StudyRunOutcome(int Completed, int Pruned, int Failed, string StoppedBecause)
{
    /// <summary>Why a run stopped when its caller cancelled it (Ctrl+C).</summary>
    public const string InterruptedReason = "it was interrupted";

    /// <summary>True when the caller stopped the run before the study reached its target.</summary>
    public bool Interrupted => StoppedBecause == InterruptedReason;
}

/// <summary>A finished trial as the worker saw it, for progress displays.</summary>
public sealed record TrialFinished(FrozenTrial Trial, int StudyFinished, int Target);

/// <summary>
/// One worker of a study: takes the study's waiting trials (retries of failed ones) first, otherwise
/// asks the sampler for parameters from every trial in storage and starts a new trial, evaluates it on
/// the prepared run fold by fold (reporting each fold's value, so that the pruner may stop it), and
/// finishes it with its objective values and every metric as attributes. Storage alone numbers trials,
/// so any number of workers, on any number of machines, share one study. Trials that were running in a
/// worker that died are failed and rerun once their heartbeat is older than the timeout, or at once when
/// the worker was a process of this machine that no longer runs (<see cref="LocalWorker"/>).
/// </summary>
public sealed class StudyRunner(IStudyStorage storage, StudyRecord study, PreparedRun run, StudyOptions options, string worker,
    Func<ParameterSet, ModelTrainingResult?>? models = null)
{
    private readonly ISampler _sampler = options.CreateSampler();
    private readonly IPruner? _pruner = options.CreatePruner();
    private readonly object _gate = new();
    private int _completed;
    private int _pruned;
    private int _failed;

    /// <summary>Runs trials until the study holds <see cref="StudyOptions.Trials"/>, the time is up, the grid is exhausted or <paramref name="stop"/> is cancelled (the running trials finish).</summary>
    public StudyRunOutcome Run(CancellationToken stop = default, Action<TrialFinished>? finished = null)
    {
        var deadline = options.Timeout is { } t ? DateTimeOffset.UtcNow + t : DateTimeOffset.MaxValue;
        var period = TrialEvaluation.WholePeriod(run, options.Settings);
        var folds = options.Periods ?? options.CrossValidation.Split(new BarRange(period.Start, period.End));
        var settings = options.Jobs > 1 ? options.Settings with { Threads = 1 } : options.Settings;
        string? why = null;
        void Stop(string reason)
        {
            lock (_gate)
                why ??= reason;
        }
        var workers = Enumerable.Range(0, options.Jobs).Select(_ => Task.Factory.StartNew(() =>
        {
            while (why is null)
            {
                if (stop.IsCancellationRequested)
                {
                    Stop(StudyRunOutcome.InterruptedReason);
                    break;
                }
                if (DateTimeOffset.UtcNow >= deadline)
                {
                    Stop("the time is up");
                    break;
                }
                var (trial, reason) = Next();
                if (trial is null)
                    Stop(reason!);
                else
                    Evaluate(trial, settings, folds, finished);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        try
        {
            Task.WaitAll(workers);
        }
        catch (AggregateException e)
        {
            // the first worker's error as it was thrown (a storage or plan error is one line for the user)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return new StudyRunOutcome(_completed, _pruned, _failed, why ?? StudyRunOutcome.InterruptedReason);
    }

    // a waiting trial, else a new one, else why there is none
    private (FrozenTrial? Trial, string? Stop) Next()
    {
        storage.FailStale(study.Id, options.Heartbeat.Timeout, workerGone: LocalWorker.IsGone);
        if (storage.ClaimWaiting(study.Id, worker) is { } waiting)
            return (waiting, null);
        lock (_gate)
        {
            var trials = storage.Trials(study.Id);
            var full = $"the study holds {options.Trials} trials";
            // running and waiting trials count, so that workers together stop at the target; the storage checks again as it starts one
            if (trials.Count(t => TrialRules.CountsTowardBudget(t.State)) >= options.Trials)
                return (null, full);
            var random = new Random(HashCode.Combine(options.Seed, trials.Count));
            try
            {
                var parameters = _sampler.Propose(study.Definition.Space, options.Directions, trials, random);
                return storage.TryStartTrial(study.Id, parameters, worker, options.Trials) is { } started ? (started, null) : (null, full);
            }
            catch (GridExhaustedException)
            {
                return (null, "every grid point has a trial");
            }
        }
    }

    private void Evaluate(FrozenTrial trial, RunSettings settings, IReadOnlyList<BarRange> folds, Action<TrialFinished>? finished)
    {
        using var heartbeat = new TrialHeartbeat(storage, trial.Id, options.Heartbeat.Interval);
        TrialState state;
        IReadOnlyList<double> values = [];
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var parameters = run.Bind(trial.Params);
            var scored = new List<PeriodOutcome>();
            var pruned = false;
            var intermediate = trial.Intermediate;
            TrialEvaluation.Run(run, parameters, settings, options.Accounting, [.. folds.Select(f => (f.Start, f.End))], models?.Invoke(parameters),
                (k, outcome) =>
                {
                    scored.Add(outcome);
                    var value = Mean(scored, options.Objectives[0].Metric);
                    storage.Report(trial.Id, k, value);
                    intermediate = intermediate.SetItem(k, value);
                    // the last fold completes the trial whatever its value; an earlier one may stop it
                    pruned = _pruner is not null && k < folds.Count - 1
                        && _pruner.ShouldPrune(trial with { Intermediate = intermediate }, storage.Trials(study.Id), options.Objectives[0].Direction);
                    return !pruned;
                });
            var metrics = TrialMetrics.Known.ToDictionary(m => m.Name, m => Mean(scored, m.Name), StringComparer.Ordinal);
            foreach (var (key, text) in TrialMetrics.Attributes(metrics))
                attributes[key] = text;
            attributes["folds"] = scored.Count.ToString(CultureInfo.InvariantCulture);
            state = pruned ? TrialState.Pruned : TrialState.Complete;
            values = pruned ? [] : [.. options.Objectives.Select(o => metrics[o.Metric])];
        }
        catch (Exception e) when (e is PlanException or ModelStoreException)
        {
            state = TrialState.Failed;
            attributes[TrialAttributes.Reason] = e.Message;
        }
        if (heartbeat.Lost)
            return; // another worker failed this trial for a missed heartbeat; its retry takes its place
        storage.Finish(trial.Id, state, values, attributes);
        int done;
        lock (_gate)
        {
            _ = state switch
            {
                TrialState.Complete => ++_completed,
                TrialState.Pruned => ++_pruned,
                _ => ++_failed,
            };
            done = storage.Trials(study.Id).Count(t => t.State is TrialState.Complete or TrialState.Pruned);
        }
        finished?.Invoke(new TrialFinished(trial with { State = state, Values = [.. values] }, done, options.Trials));
    }

    // a metric's mean over the folds scored so far; NaN folds (no trades) are left out
    private static double Mean(List<PeriodOutcome> folds, string metric)
    {
        var finite = folds.Select(f => f.Metrics[metric]).Where(double.IsFinite).ToList();
        return finite.Count == 0 ? double.NaN : finite.Average();
    }
}
