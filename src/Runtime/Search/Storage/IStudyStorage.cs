using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Search.Storage;

/// <summary>
/// Where studies and their trials are kept (in memory, SQLite, PostgreSQL), shared by every worker of
/// a study; the only place trial numbers are handed out. Each call is one transaction: a number is
/// never given twice, and a finished trial is never lost, whatever other workers do at the same time.
/// Errors are <see cref="StudyStorageException"/>s worded in one line.
/// </summary>
public interface IStudyStorage : IDisposable
{
    /// <summary>Where the studies are, as a URL with its password hidden.</summary>
    string Location { get; }

    /// <summary>
    /// The study of that name, created when missing. Refuses, writing nothing, a stored study of the
    /// same name with another strategy hash, data, search space, directions, objectives or constraints.
    /// </summary>
    StudyRecord OpenOrCreate(StudyDefinition definition);

    /// <summary>The study of that name, or null.</summary>
    StudyRecord? Find(string name);

    /// <summary>Every study, by name.</summary>
    IReadOnlyList<StudySummary> List();

    /// <summary>Deletes a study and all its trials.</summary>
    void Delete(string name);

    /// <summary>Starts a new trial with these parameters, RUNNING on <paramref name="worker"/>, under the study's next number.</summary>
    FrozenTrial StartTrial(long studyId, IReadOnlyDictionary<string, ScalarValue> parameters, string worker);

    /// <summary>
    /// Like <see cref="StartTrial"/>, unless the study already holds <paramref name="budget"/> trials that count
    /// toward a target (COMPLETE, PRUNED, RUNNING or WAITING): then null, writing nothing. The check and the
    /// start are one step, so workers on several machines together stop at the target.
    /// </summary>
    FrozenTrial? TryStartTrial(long studyId, IReadOnlyDictionary<string, ScalarValue> parameters, string worker, int budget);

    /// <summary>Takes the lowest-numbered WAITING trial (a retry or an enqueued one) and makes it RUNNING on <paramref name="worker"/>; null when none waits. Only one worker gets each.</summary>
    FrozenTrial? ClaimWaiting(long studyId, string worker);

    /// <summary>Queues a trial with given parameters (numbered now) for the next worker to claim.</summary>
    FrozenTrial Enqueue(long studyId, IReadOnlyDictionary<string, ScalarValue> parameters, IReadOnlyDictionary<string, string> attributes);

    /// <summary>Records that the trial's worker is alive; false when the trial is no longer RUNNING (another worker failed it), so its worker should give it up.</summary>
    bool Heartbeat(long trialId);

    /// <summary>Records an intermediate value (one per walk-forward fold) of a RUNNING trial, for pruners; a step reported again is replaced.</summary>
    void Report(long trialId, int step, double value);

    /// <summary>
    /// Ends a RUNNING trial: COMPLETE with one value per objective, PRUNED (no values or one per
    /// objective) or FAILED (no values); <paramref name="attributes"/> are added to the trial's.
    /// A trial no longer RUNNING is a <see cref="StudyStorageFault.TrialNotRunning"/> error.
    /// </summary>
    void Finish(long trialId, TrialState state, IReadOnlyList<double> values, IReadOnlyDictionary<string, string> attributes);

    /// <summary>The study's trials in number order, with their intermediate values.</summary>
    IReadOnlyList<FrozenTrial> Trials(long studyId);

    /// <summary>
    /// Marks FAILED (attribute <c>reason</c>) every RUNNING trial whose last heartbeat is older than
    /// <paramref name="heartbeatTimeout"/>, and queues each one's parameters once as a WAITING trial
    /// with <c>retry_of</c> = its number, unless it was already attempt <paramref name="maxAttempts"/>.
    /// Several workers may call it at once: each stale trial is failed and retried exactly once.
    /// Returns how many trials it failed. A RUNNING trial whose worker <paramref name="workerGone"/> says is
    /// gone (a process of this machine that no longer runs) is failed and retried the same way at once.
    /// </summary>
    int FailStale(long studyId, TimeSpan heartbeatTimeout, int maxAttempts = TrialAttributes.DefaultMaxAttempts, Func<string, bool>? workerGone = null);
}

/// <summary>The trial attributes storage itself writes.</summary>
public static class TrialAttributes
{
    /// <summary>The worker that runs or ran the trial (its latest one, for a claimed trial).</summary>
    public const string Worker = "worker";

    /// <summary>Why a trial failed, e.g. that its heartbeat expired.</summary>
    public const string Reason = "reason";

    /// <summary>On a retry: the number of the failed trial it repeats.</summary>
    public const string RetryOf = "retry_of";

    /// <summary>On a retry: which attempt at these parameters it is (the first trial is attempt 1).</summary>
    public const string Attempt = "attempt";

    /// <summary>How many times FailStale runs the same parameters before it stops retrying them.</summary>
    public const int DefaultMaxAttempts = 3;
}
