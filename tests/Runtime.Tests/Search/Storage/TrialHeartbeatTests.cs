using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Storage;

namespace StrategyLab.Runtime.Tests.Search.Storage;

public sealed class TrialHeartbeatTests
{
    private static readonly Dictionary<string, ScalarValue> Parameters = new() { ["x"] = ScalarValue.Of(1), ["kind"] = ScalarValue.Of("a") };

    [Fact]
    public void BeatsUntilDisposedAndKeepsTheTrialFresh()
    {
        var clock = new ManualClock();
        using var storage = new CountingStorage(new InMemoryStudyStorage(clock));
        var study = storage.OpenOrCreate(StudyStorageContract.Definition());
        var trial = storage.StartTrial(study.Id, Parameters, "w1");
        clock.Advance(TimeSpan.FromMinutes(10));

        using (var heartbeat = new TrialHeartbeat(storage, trial.Id, TimeSpan.FromMilliseconds(5)))
        {
            while (storage.Beats < 3)
                Thread.Sleep(5);
            Assert.False(heartbeat.Lost);
        }
        var afterDispose = storage.Beats;
        Thread.Sleep(50);

        Assert.Equal(afterDispose, storage.Beats);
        Assert.Equal(0, storage.FailStale(study.Id, TimeSpan.FromMinutes(5))); // beaten after the clock moved
    }

    [Fact]
    public void SaysTheTrialIsLostOnceAnotherWorkerFailedIt()
    {
        var clock = new ManualClock();
        using var storage = new CountingStorage(new InMemoryStudyStorage(clock));
        var study = storage.OpenOrCreate(StudyStorageContract.Definition());
        var trial = storage.StartTrial(study.Id, Parameters, "w1");
        clock.Advance(TimeSpan.FromMinutes(10));
        storage.FailStale(study.Id, TimeSpan.FromMinutes(1));

        using var heartbeat = new TrialHeartbeat(storage, trial.Id, TimeSpan.FromMilliseconds(5));
        while (!heartbeat.Lost)
            Thread.Sleep(5);
        Thread.Sleep(50);

        Assert.Equal(1, storage.Beats); // told once, it stops
        Assert.Null(heartbeat.LastError);
    }

    [Fact]
    public void KeepsBeatingThroughAStorageError()
    {
        using var storage = new CountingStorage(new InMemoryStudyStorage()) { FailBeats = 2 };
        var study = storage.OpenOrCreate(StudyStorageContract.Definition());
        var trial = storage.StartTrial(study.Id, Parameters, "w1");

        using var heartbeat = new TrialHeartbeat(storage, trial.Id, TimeSpan.FromMilliseconds(5));
        while (storage.Beats < 4)
            Thread.Sleep(5);

        Assert.False(heartbeat.Lost);
        Assert.Null(heartbeat.LastError); // cleared by the beats that went through
    }

    /// <summary>Counts heartbeats (failing the first <see cref="FailBeats"/> as an unreachable server would) and passes everything on.</summary>
    private sealed class CountingStorage(IStudyStorage inner) : IStudyStorage
    {
        private int _beats;

        public int FailBeats { get; init; }

        public int Beats => Volatile.Read(ref _beats);

        public string Location => inner.Location;

        public bool Heartbeat(long trialId) => Interlocked.Increment(ref _beats) <= FailBeats
            ? throw new StudyStorageException(StudyStorageFault.Unreachable, "storage is unreachable")
            : inner.Heartbeat(trialId);

        public StudyRecord OpenOrCreate(StudyDefinition definition) => inner.OpenOrCreate(definition);

        public StudyRecord? Find(string name) => inner.Find(name);

        public IReadOnlyList<StudySummary> List() => inner.List();

        public void Delete(string name) => inner.Delete(name);

        public FrozenTrial StartTrial(long studyId, IReadOnlyDictionary<string, ScalarValue> parameters, string worker) => inner.StartTrial(studyId, parameters, worker);

        public FrozenTrial? TryStartTrial(long studyId, IReadOnlyDictionary<string, ScalarValue> parameters, string worker, int budget) =>
            inner.TryStartTrial(studyId, parameters, worker, budget);

        public FrozenTrial? ClaimWaiting(long studyId, string worker) => inner.ClaimWaiting(studyId, worker);

        public FrozenTrial Enqueue(long studyId, IReadOnlyDictionary<string, ScalarValue> parameters, IReadOnlyDictionary<string, string> attributes) =>
            inner.Enqueue(studyId, parameters, attributes);

        public void Report(long trialId, int step, double value) => inner.Report(trialId, step, value);

        public void Finish(long trialId, TrialState state, IReadOnlyList<double> values, IReadOnlyDictionary<string, string> attributes) =>
            inner.Finish(trialId, state, values, attributes);

        public IReadOnlyList<FrozenTrial> Trials(long studyId) => inner.Trials(studyId);

        public int FailStale(long studyId, TimeSpan heartbeatTimeout, int maxAttempts = TrialAttributes.DefaultMaxAttempts, Func<string, bool>? workerGone = null) =>
            inner.FailStale(studyId, heartbeatTimeout, maxAttempts, workerGone);

        public void Dispose() => inner.Dispose();
    }
}
