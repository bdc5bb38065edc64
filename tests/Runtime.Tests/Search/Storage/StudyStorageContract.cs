using System.Collections.Concurrent;
using System.Collections.Immutable;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Storage;

namespace StrategyLab.Runtime.Tests.Search.Storage;

/// <summary>
/// What every study storage must do alike, run against each of them (in memory, SQLite, PostgreSQL).
/// <see cref="Open"/> gives another handle on the same store (a second worker); the clock is a
/// <see cref="ManualClock"/> so that heartbeats expire when a test says so.
/// </summary>
public abstract class StudyStorageContract : IDisposable
{
    private static readonly Dictionary<string, string> NoAttributes = [];

    private readonly List<IStudyStorage> _opened = [];

    /// <summary>The clock every handle of the store reads.</summary>
    internal ManualClock Clock { get; } = new();

    /// <summary>A new handle on this test's store, with <see cref="Clock"/>.</summary>
    protected abstract IStudyStorage OpenStore();

    /// <summary>Closes every handle the test opened.</summary>
    public virtual void Dispose()
    {
        foreach (var s in _opened)
            s.Dispose();
        GC.SuppressFinalize(this);
    }

    private IStudyStorage Open()
    {
        var storage = OpenStore();
        _opened.Add(storage);
        return storage;
    }

    /// <summary>x in 0..1000; kind a or b; rate (log scale) only for kind b.</summary>
    internal static SearchSpace Space { get; } = new(
    [
        new SearchParameter("x", new IntDistribution(0, 1000)),
        new SearchParameter("kind", new CategoricalDistribution([ScalarValue.Of("a"), ScalarValue.Of("b")])),
        new SearchParameter("rate", new FloatDistribution(0.001, 1, Log: true), new ParameterCondition("kind", [ScalarValue.Of("b")])),
    ]);

    internal static StudyDefinition Definition(string name = "momentum-search") => new(
        Name: name,
        StrategyName: "momentum",
        StrategyHash: "9f2c4e1a7b3d5f60",
        StrategySource: "strategy momentum \"Momentum, 12 months\"\n# café ü\nparam k = 5 in 3..10\n",
        DatasetName: "daily_top100",
        DataHash: "a1b2c3d4",
        Space: Space,
        Directions: [Direction.Maximize, Direction.Minimize],
        Objectives: ["sharpe", "max_drawdown"],
        Constraints: "turnover <= 2",
        SamplerName: "tpe",
        SamplerSeed: 42,
        Created: new DateTimeOffset(2026, 2, 3, 4, 5, 6, 789, TimeSpan.Zero),
        ProgramVersion: "0.1.0");

    private static ImmutableDictionary<string, ScalarValue> Params(long x, string kind = "a", double? rate = null)
    {
        var p = new Dictionary<string, ScalarValue> { ["x"] = ScalarValue.Of(x), ["kind"] = ScalarValue.Of(kind) };
        if (rate is { } r)
            p["rate"] = ScalarValue.Of(r);
        return p.ToImmutableDictionary();
    }

    [Fact]
    public void StoresTheWholeDefinitionAndReturnsTheSameStudyWhenOpenedAgain()
    {
        var storage = Open();
        var created = storage.OpenOrCreate(Definition());
        var again = Open().OpenOrCreate(Definition() with { SamplerName = "random", SamplerSeed = null, Created = DateTimeOffset.UnixEpoch });
        var found = Open().Find("momentum-search")!;

        Assert.Equal(created.Id, again.Id);
        Assert.Equal(created.Id, found.Id);
        var d = found.Definition;
        var expected = Definition();
        Assert.Equal(
            (expected.Name, expected.StrategyName, expected.StrategyHash, expected.StrategySource, expected.DatasetName, expected.DataHash,
             expected.Constraints, expected.SamplerName, expected.SamplerSeed, expected.Created, expected.ProgramVersion),
            (d.Name, d.StrategyName, d.StrategyHash, d.StrategySource, d.DatasetName, d.DataHash,
             d.Constraints, d.SamplerName, d.SamplerSeed, d.Created, d.ProgramVersion));
        Assert.Equal(Space, d.Space);
        Assert.Equal([Direction.Maximize, Direction.Minimize], d.Directions.ToArray());
        Assert.Equal(["sharpe", "max_drawdown"], d.Objectives.ToArray());
        Assert.Null(storage.Find("no-such-study"));
    }

    public static TheoryData<string, string> Changes() => new()
    {
        { "strategy", "strategy 'momentum' of hash 9f2c4e1a7b3d there, 'momentum' of hash 000000000000 here" },
        { "data", "data 'daily_top100' of hash a1b2c3d4 there, 'daily_top100' of hash ffff here" },
        { "range", "search space parameter 'x' is int 0..1000 there, int 0..2000 here" },
        { "condition", "search space parameter 'rate' is float 0.001..1 log when kind is one of \"b\" there, float 0.001..1 log when kind is one of \"a\" here" },
        { "added", "search space has parameter 'extra' here, not there" },
        { "directions", "objectives maximize sharpe, minimize max_drawdown there, minimize sharpe, minimize max_drawdown here" },
        { "objectives", "objectives maximize sharpe, minimize max_drawdown there, maximize sortino, minimize max_drawdown here" },
        { "constraints", "constraints 'turnover <= 2' there, 'turnover <= 3' here" },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void RefusesASameNamedStudyWithAnotherDefinitionAndLeavesItUntouched(string change, string why)
    {
        var storage = Open();
        var study = storage.OpenOrCreate(Definition());
        var trial = storage.StartTrial(study.Id, Params(3), "w1");
        storage.Finish(trial.Id, TrialState.Complete, [1.5, 0.2], NoAttributes);
        var changed = change switch
        {
            "strategy" => Definition() with { StrategyHash = "000000000000000" },
            "data" => Definition() with { DataHash = "ffff" },
            "range" => Definition() with { Space = new SearchSpace(Space.Parameters.SetItem(0, new SearchParameter("x", new IntDistribution(0, 2000)))) },
            "condition" => Definition() with
            {
                Space = new SearchSpace(Space.Parameters.SetItem(2, Space.Parameters[2] with { When = new ParameterCondition("kind", [ScalarValue.Of("a")]) })),
            },
            "added" => Definition() with { Space = new SearchSpace(Space.Parameters.Add(new SearchParameter("extra", new IntDistribution(1, 2)))) },
            "directions" => Definition() with { Directions = [Direction.Minimize, Direction.Minimize] },
            "objectives" => Definition() with { Objectives = ["sortino", "max_drawdown"] },
            _ => Definition() with { Constraints = "turnover <= 3" },
        };

        var error = Assert.Throws<StudyStorageException>(() => Open().OpenOrCreate(changed));

        Assert.Equal(StudyStorageFault.DefinitionMismatch, error.Fault);
        Assert.Equal($"study 'momentum-search' exists with another definition: {why}; choose another study name or delete the stored one", error.Message);
        var stored = Open().Find("momentum-search")!;
        Assert.Equal(Definition().StrategyHash, stored.Definition.StrategyHash);
        Assert.Equal(Space, stored.Definition.Space);
        Assert.Equal([TrialState.Complete], storage.Trials(study.Id).Select(t => t.State));
        Assert.Single(storage.List());
    }

    [Fact]
    public void RefusesADefinitionWithoutOneDirectionPerObjective()
    {
        var error = Assert.Throws<StudyStorageException>(() => Open().OpenOrCreate(Definition() with { Directions = [Direction.Maximize] }));

        Assert.Equal(StudyStorageFault.InvalidInput, error.Fault);
        Assert.Equal("study 'momentum-search' needs one direction for each objective, and at least one objective", error.Message);
        Assert.Empty(Open().List());
    }

    [Fact]
    public void NumbersTrialsFromZeroAndKeepsTheirParameters()
    {
        var storage = Open();
        var study = storage.OpenOrCreate(Definition());

        var first = storage.StartTrial(study.Id, Params(7), "w1");
        var second = storage.StartTrial(study.Id, Params(1000, "b", 0.001), "w2");

        Assert.Equal((0, 1), (first.Number, second.Number));
        var trials = Open().Trials(study.Id);
        Assert.Equal([0, 1], trials.Select(t => t.Number));
        Assert.All(trials, t => Assert.Equal(TrialState.Running, t.State));
        Assert.Equal([("kind", ScalarValue.Of("a")), ("x", ScalarValue.Of(7))], trials[0].Params.Select(p => (p.Key, p.Value)));
        Assert.Equal([("kind", ScalarValue.Of("b")), ("rate", ScalarValue.Of(0.001)), ("x", ScalarValue.Of(1000))], trials[1].Params.Select(p => (p.Key, p.Value)));
        Assert.Equal("w2", trials[1].Attributes[TrialAttributes.Worker]);
        Assert.Equal(Clock.GetUtcNow(), trials[0].Started);
        Assert.Null(trials[0].Finished);
        Assert.Equal(first.Id, trials[0].Id);
    }

    public static TheoryData<string, string> BadParameters() => new()
    {
        { "outside", "study 'momentum-search': parameter x = 1001 is outside int 0..1000" },
        { "unknown", "study 'momentum-search': parameter 'y' is not in the search space" },
        { "missing", "study 'momentum-search': parameter 'kind' has no value" },
        { "inactive", "study 'momentum-search': parameter 'rate' has a value but is inactive (it is searched only when kind is one of \"b\")" },
        { "inactive-missing", "study 'momentum-search': parameter 'rate' has no value" },
        { "text-for-number", "study 'momentum-search': parameter x = \"7\" is outside int 0..1000" },
    };

    [Theory]
    [MemberData(nameof(BadParameters))]
    public void RefusesParametersOutsideTheSearchSpaceWithoutTakingANumber(string problem, string message)
    {
        var storage = Open();
        var study = storage.OpenOrCreate(Definition());
        var bad = problem switch
        {
            "outside" => Params(1001),
            "unknown" => Params(1).Add("y", ScalarValue.Of(1)),
            "missing" => Params(1).Remove("kind"),
            "inactive" => Params(1, "a", 0.5),
            "inactive-missing" => Params(1, "b"),
            _ => Params(1).SetItem("x", ScalarValue.Of("7")),
        };

        var started = Assert.Throws<StudyStorageException>(() => storage.StartTrial(study.Id, bad, "w1"));
        var enqueued = Assert.Throws<StudyStorageException>(() => storage.Enqueue(study.Id, bad, NoAttributes));

        Assert.Equal((StudyStorageFault.InvalidInput, message), (started.Fault, started.Message));
        Assert.Equal(message, enqueued.Message);
        Assert.Equal(0, storage.StartTrial(study.Id, Params(1), "w1").Number);
    }

    [Fact]
    public void FinishKeepsValuesAttributesAndIntermediateValues()
    {
        var storage = Open();
        var study = storage.OpenOrCreate(Definition());
        var trial = storage.StartTrial(study.Id, Params(5), "w1");

        storage.Report(trial.Id, 0, 0.25);
        storage.Report(trial.Id, 1, double.NaN);
        storage.Report(trial.Id, 2, 9);
        storage.Report(trial.Id, 2, -0.5); // a step reported again replaces the first value
        Clock.Advance(TimeSpan.FromMinutes(3));
        storage.Finish(trial.Id, TrialState.Complete, [1.25, double.NegativeInfinity], new Dictionary<string, string> { ["note"] = "ok", ["fold_count"] = "3" });

        var done = Open().Trials(study.Id).Single();
        Assert.Equal(TrialState.Complete, done.State);
        Assert.Equal([1.25, double.NegativeInfinity], done.Values.ToArray());
        Assert.Equal([(0, 0.25), (1, double.NaN), (2, -0.5)], done.Intermediate.Select(p => (p.Key, p.Value)));
        Assert.Equal([("fold_count", "3"), ("note", "ok"), ("worker", "w1")], done.Attributes.Select(p => (p.Key, p.Value)));
        Assert.Equal(TimeSpan.FromMinutes(3), done.Finished - done.Started);
        Assert.True(done.IsFinished);
    }

    [Fact]
    public void RefusesToFinishOrReportATrialThatIsNoLongerRunning()
    {
        var storage = Open();
        var study = storage.OpenOrCreate(Definition());
        var trial = storage.StartTrial(study.Id, Params(5), "w1");
        storage.Finish(trial.Id, TrialState.Pruned, [], NoAttributes);

        var finish = Assert.Throws<StudyStorageException>(() => storage.Finish(trial.Id, TrialState.Complete, [1, 2], NoAttributes));
        var report = Assert.Throws<StudyStorageException>(() => storage.Report(trial.Id, 3, 1));

        Assert.Equal(StudyStorageFault.TrialNotRunning, finish.Fault);
        Assert.Equal($"trial 0 (id {trial.Id}) is PRUNED, no longer RUNNING: another worker may have failed it when its heartbeat expired", finish.Message);
        Assert.Equal(finish.Message, report.Message);
        Assert.False(storage.Heartbeat(trial.Id));
        var kept = storage.Trials(study.Id).Single();
        Assert.Equal((TrialState.Pruned, 0), (kept.State, kept.Values.Length));
        Assert.Empty(kept.Intermediate);
    }

    [Theory]
    [InlineData(TrialState.Complete, 1, "trial 0 finishes COMPLETE with 1 values; the study has 2 objectives")]
    [InlineData(TrialState.Pruned, 1, "trial 0 finishes PRUNED with 1 values; the study has 2 objectives")]
    [InlineData(TrialState.Failed, 2, "trial 0 finishes FAILED with 2 values; the study has 2 objectives")]
    [InlineData(TrialState.Waiting, 0, "trial 0 cannot finish as WAITING: a trial finishes COMPLETE, PRUNED or FAILED")]
    public void RefusesAFinishWithTheWrongNumberOfValuesOrState(TrialState state, int count, string message)
    {
        var storage = Open();
        var study = storage.OpenOrCreate(Definition());
        var trial = storage.StartTrial(study.Id, Params(5), "w1");

        var error = Assert.Throws<StudyStorageException>(() => storage.Finish(trial.Id, state, [.. Enumerable.Repeat(1.0, count)], NoAttributes));

        Assert.Equal((StudyStorageFault.InvalidInput, "study 'momentum-search': " + message), (error.Fault, error.Message));
        Assert.Equal(TrialState.Running, storage.Trials(study.Id).Single().State);
    }

    [Fact]
    public void ClaimsEnqueuedTrialsInNumberOrderKeepingTheirAttributes()
    {
        var storage = Open();
        var study = storage.OpenOrCreate(Definition());
        var queued = storage.Enqueue(study.Id, Params(10), new Dictionary<string, string> { ["source"] = "by hand" });
        storage.Enqueue(study.Id, Params(20, "b", 0.1), NoAttributes);
        var started = storage.StartTrial(study.Id, Params(30), "w1");

        var first = Open().ClaimWaiting(study.Id, "w2")!;
        var second = Open().ClaimWaiting(study.Id, "w3")!;

        Assert.Equal((0, TrialState.Waiting, 2), (queued.Number, queued.State, started.Number));
        Assert.Equal((0, TrialState.Running, queued.Id), (first.Number, first.State, first.Id));
        Assert.Equal([("source", "by hand"), ("worker", "w2")], first.Attributes.Select(p => (p.Key, p.Value)));
        Assert.Equal(Params(10).OrderBy(p => p.Key, StringComparer.Ordinal), first.Params);
        Assert.Equal(1, second.Number);
        Assert.Null(storage.ClaimWaiting(study.Id, "w4"));
        Assert.All(storage.Trials(study.Id), t => Assert.Equal(TrialState.Running, t.State));
        Assert.Equal(Clock.GetUtcNow(), storage.Trials(study.Id)[0].Started);
    }

    [Fact]
    public void GivesEachWaitingTrialToOneWorkerWhenManyClaimAtOnce()
    {
        var study = Open().OpenOrCreate(Definition());
        for (var i = 0; i < 40; i++)
            Open().Enqueue(study.Id, Params(i), NoAttributes);
        var workers = Enumerable.Range(0, 4).Select(_ => Open()).ToList();
        var claimed = new ConcurrentBag<(string Worker, int Number)>();
        using var start = new Barrier(workers.Count);

        Parallel.For(0, workers.Count, new ParallelOptions { MaxDegreeOfParallelism = workers.Count }, w =>
        {
            start.SignalAndWait();
            while (workers[w].ClaimWaiting(study.Id, $"w{w}") is { } trial)
                claimed.Add(($"w{w}", trial.Number));
        });

        Assert.Equal(Enumerable.Range(0, 40), claimed.Select(c => c.Number).Order());
        var trials = Open().Trials(study.Id);
        Assert.All(claimed, c => Assert.Equal(c.Worker, trials[c.Number].Attributes[TrialAttributes.Worker]));
    }

    [Fact]
    public void HandsOutEveryNumberOnceWhenManyThreadsStartAndFinishTrials()
    {
        var study = Open().OpenOrCreate(Definition());
        var workers = Enumerable.Range(0, 6).Select(_ => Open()).ToList();
        var finished = new ConcurrentDictionary<long, (int Number, double Sharpe)>();
        using var start = new Barrier(workers.Count);

        Parallel.For(0, workers.Count, new ParallelOptions { MaxDegreeOfParallelism = workers.Count }, w =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 20; i++)
            {
                var trial = workers[w].StartTrial(study.Id, Params(w * 100 + i), $"w{w}");
                workers[w].Report(trial.Id, 0, i);
                var sharpe = w * 100 + i + 0.5;
                workers[w].Finish(trial.Id, TrialState.Complete, [sharpe, 0.1], NoAttributes);
                Assert.True(finished.TryAdd(trial.Id, (trial.Number, sharpe)));
            }
        });

        var trials = Open().Trials(study.Id);
        Assert.Equal(Enumerable.Range(0, 120), trials.Select(t => t.Number));
        Assert.All(trials, t =>
        {
            Assert.Equal(TrialState.Complete, t.State);
            Assert.Equal(finished[t.Id], (t.Number, t.Values[0]));
            Assert.Equal(t.Params["x"].Number + 0.5, t.Values[0]); // each value stayed with its own parameters
        });
    }

    [Fact]
    public void ManyThreadsStartingWithinABudgetTogetherStartExactlyThatMany()
    {
        var study = Open().OpenOrCreate(Definition());
        var workers = Enumerable.Range(0, 6).Select(_ => Open()).ToList();
        var started = new ConcurrentBag<int>();
        using var start = new Barrier(workers.Count);

        Parallel.For(0, workers.Count, new ParallelOptions { MaxDegreeOfParallelism = workers.Count }, w =>
        {
            start.SignalAndWait();
            for (var i = 0; workers[w].TryStartTrial(study.Id, Params(w * 100 + i), $"w{w}", budget: 25) is { } trial; i++)
            {
                started.Add(trial.Number);
                if (i % 2 == 0) // finished trials still count; failed ones do not
                    workers[w].Finish(trial.Id, i % 4 == 0 ? TrialState.Complete : TrialState.Failed, i % 4 == 0 ? [1.0, 0.1] : [], NoAttributes);
            }
        });

        var trials = Open().Trials(study.Id);
        Assert.Equal(trials.Select(t => t.Number).Order(), started.Order());
        Assert.Equal(25, trials.Count(t => t.State is TrialState.Complete or TrialState.Running));
    }

    [Fact]
    public void AWaitingTrialCountsTowardTheBudgetAndAFailedOneDoesNot()
    {
        var storage = Open();
        var study = storage.OpenOrCreate(Definition());
        var failed = storage.StartTrial(study.Id, Params(1), "w1");
        storage.Finish(failed.Id, TrialState.Failed, [], NoAttributes);
        storage.Enqueue(study.Id, Params(2), NoAttributes);

        Assert.NotNull(storage.TryStartTrial(study.Id, Params(3), "w1", budget: 2));
        Assert.Null(storage.TryStartTrial(study.Id, Params(4), "w1", budget: 2));
        Assert.Equal(3, storage.Trials(study.Id).Count); // the refused start wrote nothing
    }

    [Fact]
    public void FailStaleFailsTrialsWhoseHeartbeatExpiredAndQueuesEachOnceForRetry()
    {
        var storage = Open();
        var study = storage.OpenOrCreate(Definition());
        var dead = storage.StartTrial(study.Id, Params(1, "b", 0.5), "w1");
        var alive = storage.StartTrial(study.Id, Params(2), "w2");
        storage.Report(dead.Id, 0, 0.75);
        Clock.Advance(TimeSpan.FromSeconds(90));
        Assert.True(storage.Heartbeat(alive.Id));
        Clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(0, storage.FailStale(study.Id, TimeSpan.FromSeconds(120))); // 120 s old: not older than the timeout
        Assert.Equal(1, storage.FailStale(study.Id, TimeSpan.FromSeconds(60)));
        Assert.Equal(0, Open().FailStale(study.Id, TimeSpan.FromSeconds(60)));

        var trials = storage.Trials(study.Id);
        Assert.Equal([TrialState.Failed, TrialState.Running, TrialState.Waiting], trials.Select(t => t.State));
        Assert.Equal("no heartbeat for more than 60 s: its worker stopped", trials[0].Attributes[TrialAttributes.Reason]);
        Assert.Equal(Clock.GetUtcNow(), trials[0].Finished);
        Assert.Equal([(0, 0.75)], trials[0].Intermediate.Select(p => (p.Key, p.Value)));
        var retry = trials[2];
        Assert.Equal(dead.Params, retry.Params);
        Assert.Equal([("attempt", "2"), ("retry_of", "0")], retry.Attributes.Select(p => (p.Key, p.Value)));
        Assert.Empty(retry.Intermediate);
        var claimed = Open().ClaimWaiting(study.Id, "w3")!;
        Assert.Equal((2, "w3"), (claimed.Number, claimed.Attributes[TrialAttributes.Worker]));
    }

    [Fact]
    public void FailStaleFailsAtOnceTheTrialsOfAWorkerThatIsGoneAndQueuesThemForRetry()
    {
        var storage = Open();
        var study = storage.OpenOrCreate(Definition());
        var orphan = storage.StartTrial(study.Id, Params(1, "b", 0.5), "host/41");
        storage.StartTrial(study.Id, Params(2), "host/42");

        // heartbeats are fresh: only the gone worker's trial fails, and only once
        Assert.Equal(1, storage.FailStale(study.Id, TimeSpan.FromSeconds(60), workerGone: w => w == "host/41"));
        Assert.Equal(0, Open().FailStale(study.Id, TimeSpan.FromSeconds(60), workerGone: w => w == "host/41"));

        var trials = storage.Trials(study.Id);
        Assert.Equal([TrialState.Failed, TrialState.Running, TrialState.Waiting], trials.Select(t => t.State));
        Assert.Equal("its worker host/41 stopped while it ran", trials[0].Attributes[TrialAttributes.Reason]);
        Assert.Equal(orphan.Params, trials[2].Params);
        Assert.Equal("0", trials[2].Attributes[TrialAttributes.RetryOf]);
    }

    [Fact]
    public void RefusesTheResultOfATrialFailedForItsExpiredHeartbeat()
    {
        var storage = Open();
        var study = storage.OpenOrCreate(Definition());
        var trial = storage.StartTrial(study.Id, Params(1), "w1");
        Clock.Advance(TimeSpan.FromMinutes(5));
        Open().FailStale(study.Id, TimeSpan.FromMinutes(1));

        Assert.False(storage.Heartbeat(trial.Id));
        var error = Assert.Throws<StudyStorageException>(() => storage.Finish(trial.Id, TrialState.Complete, [1, 2], NoAttributes));

        Assert.Equal(StudyStorageFault.TrialNotRunning, error.Fault);
        Assert.Equal([TrialState.Failed, TrialState.Waiting], storage.Trials(study.Id).Select(t => t.State));
    }

    [Fact]
    public void FailStaleRetriesEachStaleTrialOnceWhenManyWorkersCallItAtOnce()
    {
        const int stale = 150;
        var study = Open().OpenOrCreate(Definition());
        var starter = Open();
        var started = Enumerable.Range(0, stale).Select(i => starter.StartTrial(study.Id, Params(i), "dead")).ToList();
        Clock.Advance(TimeSpan.FromMinutes(10));
        var workers = Enumerable.Range(0, 4).Select(_ => Open()).ToList();
        foreach (var w in workers)
            w.Find(study.Name); // connections open and ready, so that the calls below overlap
        var failed = new int[workers.Count];
        using var start = new Barrier(workers.Count);

        Parallel.For(0, workers.Count, new ParallelOptions { MaxDegreeOfParallelism = workers.Count }, w =>
        {
            start.SignalAndWait();
            failed[w] = workers[w].FailStale(study.Id, TimeSpan.FromMinutes(1));
        });

        Assert.Equal(stale, failed.Sum());
        var trials = Open().Trials(study.Id);
        Assert.Equal(Enumerable.Range(0, 2 * stale), trials.Select(t => t.Number));
        Assert.All(trials.Take(stale), t => Assert.Equal(TrialState.Failed, t.State));
        var retries = trials.Skip(stale).ToList();
        Assert.All(retries, t => Assert.Equal(TrialState.Waiting, t.State));
        Assert.Equal(Enumerable.Range(0, stale), retries.Select(t => int.Parse(t.Attributes[TrialAttributes.RetryOf], System.Globalization.CultureInfo.InvariantCulture)).Order());
        Assert.All(retries, r => Assert.Equal(started[int.Parse(r.Attributes[TrialAttributes.RetryOf], System.Globalization.CultureInfo.InvariantCulture)].Params, r.Params));
    }

    [Fact]
    public void StopsRetryingParametersAfterTheLastAttempt()
    {
        var storage = Open();
        var study = storage.OpenOrCreate(Definition());
        storage.StartTrial(study.Id, Params(1), "w1");
        Clock.Advance(TimeSpan.FromMinutes(2));
        storage.FailStale(study.Id, TimeSpan.FromMinutes(1), maxAttempts: 2);
        var retry = storage.ClaimWaiting(study.Id, "w2")!;
        Clock.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(1, storage.FailStale(study.Id, TimeSpan.FromMinutes(1), maxAttempts: 2));

        var trials = storage.Trials(study.Id);
        Assert.Equal([TrialState.Failed, TrialState.Failed], trials.Select(t => t.State));
        Assert.Equal(("2", "0"), (trials[1].Attributes[TrialAttributes.Attempt], trials[1].Attributes[TrialAttributes.RetryOf]));
        Assert.Equal(retry.Id, trials[1].Id);
        Assert.Null(storage.ClaimWaiting(study.Id, "w3"));
    }

    [Fact]
    public void ListsStudiesWithTheirTrialsByStateAndDeletesOneWithItsTrials()
    {
        var storage = Open();
        var kept = storage.OpenOrCreate(Definition("b-study"));
        var deleted = storage.OpenOrCreate(Definition("a-study") with { StrategyName = "other" });
        var t0 = storage.StartTrial(kept.Id, Params(1), "w1");
        storage.StartTrial(kept.Id, Params(2), "w1");
        storage.Enqueue(kept.Id, Params(3), NoAttributes);
        storage.Finish(t0.Id, TrialState.Complete, [1, 2], NoAttributes);
        var gone = storage.StartTrial(deleted.Id, Params(4), "w1");
        storage.Report(gone.Id, 0, 1);

        var listed = Open().List();
        Open().Delete("a-study");

        Assert.Equal(["a-study", "b-study"], listed.Select(s => s.Name));
        Assert.Equal(("other", "daily_top100", 1), (listed[0].StrategyName, listed[0].DatasetName, listed[0].TrialCount));
        Assert.Equal((1, 1, 1, 0, 3), (listed[1].Count(TrialState.Complete), listed[1].Count(TrialState.Running), listed[1].Count(TrialState.Waiting),
            listed[1].Count(TrialState.Failed), listed[1].TrialCount));
        Assert.Equal(Definition().Created, listed[1].Created);
        Assert.Equal(["b-study"], storage.List().Select(s => s.Name));
        Assert.Null(storage.Find("a-study"));
        Assert.Equal(StudyStorageFault.NotFound, Assert.Throws<StudyStorageException>(() => Open().Trials(deleted.Id)).Fault);
        Assert.Equal(3, storage.Trials(kept.Id).Count);
        var missing = Assert.Throws<StudyStorageException>(() => storage.Delete("a-study"));
        Assert.Equal($"no study named 'a-study' in storage {storage.Location}", missing.Message);
        // a study created again under the deleted name starts its numbers afresh and never takes the old id
        var again = storage.OpenOrCreate(Definition("a-study"));
        Assert.NotEqual(deleted.Id, again.Id);
        Assert.Equal(0, storage.StartTrial(again.Id, Params(5), "w1").Number);
    }

    [Fact]
    public void RefusesAnUnknownStudyOrTrial()
    {
        var storage = Open();

        Assert.Equal("no study with id 999", Assert.Throws<StudyStorageException>(() => storage.StartTrial(999, Params(1), "w1")).Message);
        Assert.Equal("no trial with id 999", Assert.Throws<StudyStorageException>(() => storage.Heartbeat(999)).Message);
        Assert.Equal("no trial with id 999", Assert.Throws<StudyStorageException>(() => storage.Finish(999, TrialState.Failed, [], NoAttributes)).Message);
    }
}
