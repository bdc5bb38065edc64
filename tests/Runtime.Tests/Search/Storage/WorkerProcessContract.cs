using System.Globalization;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Storage;
using StrategyLab.Tests.Servers;

namespace StrategyLab.Runtime.Tests.Search.Storage;

/// <summary>
/// Worker processes sharing one study, as on many machines: run at once, killed with SIGKILL in the
/// middle of a trial or at any moment. Run against each storage several processes can share.
/// </summary>
public abstract class WorkerProcessContract : IDisposable
{
    private const string Study = "shared";

    // heartbeats every 100 ms; a trial counts as dead after 5 s without one. A live worker on a machine
    // busy with the whole test suite may still pause that long: then its trial is failed and rerun like
    // a dead one's, which the tests allow, as long as every failed trial is rerun once.
    private static readonly string[] Stale = ["--stale-ms", "5000"];

    // where no worker is killed, only a minute's silence counts as death
    private static readonly string[] NoDeaths = ["--stale-ms", "60000"];

    /// <summary>The URL of an empty store of the test's own.</summary>
    protected abstract string NewStorageUrl();

    /// <summary>Releases what the store needs.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>The fake study's loss, worked out here by hand: (x - 500)² / 1000, plus 0.5 for kind b.</summary>
    private static double Loss(FrozenTrial trial)
    {
        var x = trial.Params["x"].Number;
        return (x - 500) * (x - 500) / 1000 + (trial.Params["kind"].Text == "b" ? 0.5 : 0);
    }

    /// <summary>The parameters a worker seeded <paramref name="seed"/> gives its i-th new trial (tests/StudyWorker/FakeStudy.cs).</summary>
    private static IEnumerable<(double X, string Kind)> Expected(int seed, int trials) =>
        Enumerable.Range(0, trials).Select(i => ((double)((seed * 7919L + i * 104729L) % 1001), (seed + i) % 2 == 0 ? "a" : "b"));

    private static IReadOnlyList<FrozenTrial> Trials(string url)
    {
        using var storage = StudyStorage.Open(url);
        return storage.Trials(storage.Find(Study)!.Id);
    }

    [Fact]
    public void ThreeWorkerProcessesNumberTrialsWithoutGapsOrDuplicatesAndLoseNoResult()
    {
        var url = NewStorageUrl();
        using var a = WorkerProcess.Start(url, Study, "a", seed: 1, trials: 25, NoDeaths);
        using var b = WorkerProcess.Start(url, Study, "b", seed: 2, trials: 25, NoDeaths);
        using var c = WorkerProcess.Start(url, Study, "c", seed: 3, trials: 25, NoDeaths);
        WorkerProcess.WaitForAll(a, b, c);

        var trials = Trials(url);

        Assert.Equal(Enumerable.Range(0, 75), trials.Select(t => t.Number));
        Assert.All(trials, t =>
        {
            Assert.Equal(TrialState.Complete, t.State);
            Assert.Equal(Loss(t), t.Values.Single());
            Assert.Equal(3, t.Intermediate.Count);
        });
        foreach (var (worker, seed) in new[] { (a, 1), (b, 2), (c, 3) })
        {
            var own = trials.Where(t => t.Attributes[TrialAttributes.Worker] == worker.Name).ToList();
            Assert.Equal(Expected(seed, 25).Order(), own.Select(t => (t.Params["x"].Number, t.Params["kind"].Text!)).Order());
            Assert.Equal(worker.Finished.Order(), own.Select(t => (t.Number, t.Values[0])).Order());
        }
    }

    [Fact]
    public void AWorkerKilledMidTrialHasItsTrialFailedAndRerunByAnother()
    {
        var url = NewStorageUrl();
        // 8 + 8 + c's 3 new trials, and at least the killed one's retry
        using var a = WorkerProcess.Start(url, Study, "a", seed: 1, trials: 8, [.. Stale, "--drain-until", "20"]);
        using var b = WorkerProcess.Start(url, Study, "b", seed: 2, trials: 8, [.. Stale, "--drain-until", "20"]);
        using var c = WorkerProcess.Start(url, Study, "c", seed: 3, trials: 8, [.. Stale, "--stall-at", "2"]);
        var stalled = int.Parse(c.WaitFor("stalled ").Split(' ')[1], CultureInfo.InvariantCulture);
        c.Kill();
        WorkerProcess.WaitForAll(a, b);

        var trials = Trials(url);

        var killed = trials[stalled];
        Assert.Equal((TrialState.Failed, "c"), (killed.State, killed.Attributes[TrialAttributes.Worker]));
        Assert.Equal("no heartbeat for more than 5 s: its worker stopped", killed.Attributes[TrialAttributes.Reason]);
        Assert.Equal([(0, Loss(killed) / 3)], killed.Intermediate.Select(p => (p.Key, p.Value)));
        var retry = Assert.Single(trials, t => t.Attributes.GetValueOrDefault(TrialAttributes.RetryOf) == stalled.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(TrialState.Complete, retry.State);
        Assert.Equal(killed.Params, retry.Params);
        Assert.Equal(Loss(retry), retry.Values.Single());
        Assert.Contains(retry.Attributes[TrialAttributes.Worker], new[] { "a", "b" });
        Assert.Contains((retry.Number, retry.Values[0]), a.Finished.Concat(b.Finished));
        Assert.All(c.Finished, f => Assert.Equal((TrialState.Complete, f.Loss), (trials[f.Number].State, trials[f.Number].Values[0])));
        AssertNothingLost(trials, newTrials: 19);
    }

    [Fact]
    public void AStudyKilledMidTrialResumesWithoutLosingAFinishedTrial()
    {
        var url = NewStorageUrl();
        int stalled;
        IReadOnlyList<(int Number, double Loss)> before;
        using (var first = WorkerProcess.Start(url, Study, "first", seed: 5, trials: 6, [.. Stale, "--stall-at", "3"]))
        {
            stalled = int.Parse(first.WaitFor("stalled ").Split(' ')[1], CultureInfo.InvariantCulture);
            first.Kill();
            before = first.Finished;
        }
        using (var resumed = WorkerProcess.Start(url, Study, "resumed", seed: 6, trials: 0, [.. Stale, "--drain"]))
            resumed.WaitForSuccess();

        var trials = Trials(url);

        Assert.Equal([0, 1, 2], before.Select(f => f.Number));
        Assert.All(before, f => Assert.Equal((TrialState.Complete, f.Loss), (trials[f.Number].State, trials[f.Number].Values[0])));
        Assert.Equal(3, stalled);
        Assert.Equal(TrialState.Failed, trials[3].State);
        var retry = Assert.Single(trials, t => t.Attributes.GetValueOrDefault(TrialAttributes.RetryOf) == "3");
        Assert.Equal((TrialState.Complete, "resumed"), (retry.State, retry.Attributes[TrialAttributes.Worker]));
        Assert.Equal(trials[3].Params, retry.Params);
        Assert.Equal(5, trials.Count); // 3 finished, the killed one and its retry
    }

    [Fact]
    public void AWorkerKilledAtAnyMomentLosesNoTrialItFinished()
    {
        var url = NewStorageUrl();
        using var a = WorkerProcess.Start(url, Study, "a", seed: 1, trials: 20, Stale);
        using var c = WorkerProcess.Start(url, Study, "c", seed: 3, trials: 1000, Stale);
        c.WaitFor("finished ", count: 10);
        c.Kill(); // wherever it is: between trials, in a transaction, or mid-trial
        a.WaitForSuccess();
        using (var d = WorkerProcess.Start(url, Study, "d", seed: 4, trials: 0, [.. Stale, "--drain"]))
            d.WaitForSuccess();

        var trials = Trials(url);

        Assert.All(c.Finished, f => Assert.Equal((TrialState.Complete, f.Loss), (trials[f.Number].State, trials[f.Number].Values[0])));
        AssertNothingLost(trials, newTrials: null);
    }

    /// <summary>
    /// Numbers run 0.. without a gap; every trial is COMPLETE with its own parameters' loss, or FAILED
    /// and rerun exactly once with the same parameters (a retry that may itself have failed and been
    /// rerun); the trials that are no retry are the <paramref name="newTrials"/> the workers started.
    /// </summary>
    private static void AssertNothingLost(IReadOnlyList<FrozenTrial> trials, int? newTrials)
    {
        Assert.Equal(Enumerable.Range(0, trials.Count), trials.Select(t => t.Number));
        Assert.All(trials, t => Assert.True(t.State is TrialState.Complete or TrialState.Failed, $"trial {t.Number} is {t.State}"));
        Assert.All(trials.Where(t => t.State == TrialState.Complete), t => Assert.Equal(Loss(t), t.Values.Single()));
        var failed = trials.Where(t => t.State == TrialState.Failed).ToList();
        foreach (var f in failed)
        {
            var retry = Assert.Single(trials, t => t.Attributes.GetValueOrDefault(TrialAttributes.RetryOf) == f.Number.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(f.Params, retry.Params);
        }
        var retries = trials.Count(t => t.Attributes.ContainsKey(TrialAttributes.RetryOf));
        Assert.Equal(failed.Count, retries);
        if (newTrials is { } expected)
            Assert.Equal(expected, trials.Count - retries);
    }
}

public sealed class SqliteWorkerProcessTests : WorkerProcessContract
{
    private readonly Data.TempFolder _folder = new();

    protected override string NewStorageUrl() => "sqlite:" + Path.Combine(_folder.Path, "studies.db");

    public override void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
        base.Dispose();
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresWorkerProcessTests(PostgresServer server) : WorkerProcessContract
{
    // a worker's first connection includes compiling the driver in a fresh process: with the test
    // suite's other processes on two cores it can take longer than the default five seconds
    protected override string NewStorageUrl() => server.Url(server.CreateDatabase()) + "?connect_timeout=60";
}
