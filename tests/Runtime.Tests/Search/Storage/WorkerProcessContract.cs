using System.Globalization;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Storage;

namespace StrategyLab.Runtime.Tests.Search.Storage;

/// <summary>
/// Worker processes sharing one study, as on many machines: run at once, killed with SIGKILL in the
/// middle of a trial or at any moment. Run against each storage several processes can share.
/// </summary>
public abstract class WorkerProcessContract : IDisposable
{
    private const string Study = "shared";

    // heartbeats every 100 ms; a trial counts as dead after 3 s without one, far beyond any pause of a live worker
    private static readonly string[] Stale = ["--stale-ms", "3000"];

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
        using var a = WorkerProcess.Start(url, Study, "a", seed: 1, trials: 25, Stale);
        using var b = WorkerProcess.Start(url, Study, "b", seed: 2, trials: 25, Stale);
        using var c = WorkerProcess.Start(url, Study, "c", seed: 3, trials: 25, Stale);
        a.WaitForSuccess();
        b.WaitForSuccess();
        c.WaitForSuccess();

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
        // 8 + 8 + c's 2 finished, its killed one, and the retry
        using var a = WorkerProcess.Start(url, Study, "a", seed: 1, trials: 8, [.. Stale, "--drain-until", "20"]);
        using var b = WorkerProcess.Start(url, Study, "b", seed: 2, trials: 8, [.. Stale, "--drain-until", "20"]);
        using var c = WorkerProcess.Start(url, Study, "c", seed: 3, trials: 8, [.. Stale, "--stall-at", "2"]);
        var stalled = int.Parse(c.WaitFor("stalled ").Split(' ')[1], CultureInfo.InvariantCulture);
        c.Kill();
        a.WaitForSuccess();
        b.WaitForSuccess();

        var trials = Trials(url);

        Assert.Equal(Enumerable.Range(0, 20), trials.Select(t => t.Number));
        var killed = trials[stalled];
        Assert.Equal((TrialState.Failed, "c"), (killed.State, killed.Attributes[TrialAttributes.Worker]));
        Assert.Equal("no heartbeat for more than 3 s: its worker stopped", killed.Attributes[TrialAttributes.Reason]);
        Assert.Equal([(0, Loss(killed) / 3)], killed.Intermediate.Select(p => (p.Key, p.Value)));
        var retry = Assert.Single(trials, t => t.Attributes.GetValueOrDefault(TrialAttributes.RetryOf) == stalled.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(TrialState.Complete, retry.State);
        Assert.Equal(killed.Params, retry.Params);
        Assert.Equal(Loss(retry), retry.Values.Single());
        Assert.Contains(retry.Attributes[TrialAttributes.Worker], new[] { "a", "b" });
        Assert.Contains((retry.Number, retry.Values[0]), a.Finished.Concat(b.Finished));
        Assert.All(trials.Where(t => t.Number != stalled), t => Assert.Equal((TrialState.Complete, Loss(t)), (t.State, t.Values.Single())));
        Assert.Equal(2, c.Finished.Count);
        Assert.All(c.Finished, f => Assert.Equal((TrialState.Complete, f.Loss), (trials[f.Number].State, trials[f.Number].Values[0])));
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
        using (var resumed = WorkerProcess.Start(url, Study, "resumed", seed: 6, trials: 1, [.. Stale, "--drain"]))
            resumed.WaitForSuccess();

        var trials = Trials(url);

        Assert.Equal([0, 1, 2], before.Select(f => f.Number));
        Assert.All(before, f => Assert.Equal((TrialState.Complete, f.Loss), (trials[f.Number].State, trials[f.Number].Values[0])));
        Assert.Equal(3, stalled);
        Assert.Equal(TrialState.Failed, trials[3].State);
        var retry = Assert.Single(trials, t => t.Attributes.GetValueOrDefault(TrialAttributes.RetryOf) == "3");
        Assert.Equal((TrialState.Complete, "resumed"), (retry.State, retry.Attributes[TrialAttributes.Worker]));
        Assert.Equal(trials[3].Params, retry.Params);
        Assert.Equal(6, trials.Count); // 3 finished, the killed one, the resumed worker's own and the retry
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

        Assert.Equal(Enumerable.Range(0, trials.Count), trials.Select(t => t.Number));
        Assert.All(c.Finished, f => Assert.Equal((TrialState.Complete, f.Loss), (trials[f.Number].State, trials[f.Number].Values[0])));
        Assert.All(trials, t => Assert.True(t.State is TrialState.Complete or TrialState.Failed, $"trial {t.Number} is {t.State}"));
        foreach (var failed in trials.Where(t => t.State == TrialState.Failed))
        {
            var retry = Assert.Single(trials, t => t.Attributes.GetValueOrDefault(TrialAttributes.RetryOf) == failed.Number.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(TrialState.Complete, retry.State);
            Assert.Equal(failed.Params, retry.Params);
        }
        Assert.All(trials.Where(t => t.State == TrialState.Complete), t => Assert.Equal(Loss(t), t.Values.Single()));
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
    protected override string NewStorageUrl() => server.Url(server.CreateDatabase());
}
