using System.Collections.Immutable;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Search.Storage;

/// <summary>Studies kept in this process, for searches whose results need not outlive it; thread-safe.</summary>
public sealed class InMemoryStudyStorage(TimeProvider? clock = null) : IStudyStorage
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, StudySlot> _studies = [];
    private readonly Dictionary<long, TrialSlot> _trials = [];
    private long _lastStudyId;
    private long _lastTrialId;

    /// <inheritdoc />
    public string Location => "memory:";

    /// <inheritdoc />
    public StudyRecord OpenOrCreate(StudyDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        definition.Validate();
        lock (_gate)
        {
            if (FindSlot(definition.Name) is { } existing)
            {
                if (definition.MismatchWith(existing.Record.Definition) is { } why)
                    throw TrialRules.Mismatch(definition, why);
                return existing.Record;
            }
            var record = new StudyRecord(++_lastStudyId, definition);
            _studies.Add(record.Id, new StudySlot(record));
            return record;
        }
    }

    /// <inheritdoc />
    public StudyRecord? Find(string name)
    {
        lock (_gate)
            return FindSlot(name)?.Record;
    }

    /// <inheritdoc />
    public IReadOnlyList<StudySummary> List()
    {
        lock (_gate)
        {
            return [.. _studies.Values.OrderBy(s => s.Record.Name, StringComparer.Ordinal).Select(s =>
            {
                var d = s.Record.Definition;
                var counts = s.Trials.GroupBy(t => t.State).ToImmutableSortedDictionary(g => g.Key, g => g.Count());
                return new StudySummary(s.Record.Id, d.Name, d.StrategyName, d.DatasetName, d.Directions, d.Created, counts);
            })];
        }
    }

    /// <inheritdoc />
    public void Delete(string name)
    {
        lock (_gate)
        {
            var slot = FindSlot(name) ?? throw TrialRules.NoStudy(name, Location);
            foreach (var t in slot.Trials)
                _trials.Remove(t.Id);
            _studies.Remove(slot.Record.Id);
        }
    }

    /// <inheritdoc />
    public FrozenTrial StartTrial(long studyId, IReadOnlyDictionary<string, ScalarValue> parameters, string worker) =>
        TryStartTrial(studyId, parameters, worker, int.MaxValue)!;

    /// <inheritdoc />
    public FrozenTrial? TryStartTrial(long studyId, IReadOnlyDictionary<string, ScalarValue> parameters, string worker, int budget)
    {
        TrialRules.CheckWorker(worker);
        lock (_gate)
        {
            var study = Study(studyId);
            TrialRules.CheckParameters(study.Record, parameters);
            if (study.Trials.Count(t => TrialRules.CountsTowardBudget(t.State)) >= budget)
                return null;
            var now = _clock.GetUtcNow();
            var trial = Add(study, TrialState.Running, parameters, TrialRules.WithWorker(ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal), worker));
            trial.Started = now;
            trial.Heartbeat = now;
            return trial.Freeze();
        }
    }

    /// <inheritdoc />
    public FrozenTrial? ClaimWaiting(long studyId, string worker)
    {
        TrialRules.CheckWorker(worker);
        lock (_gate)
        {
            var trial = Study(studyId).Trials.FirstOrDefault(t => t.State == TrialState.Waiting);
            if (trial is null)
                return null;
            var now = _clock.GetUtcNow();
            trial.State = TrialState.Running;
            trial.Started = now;
            trial.Heartbeat = now;
            trial.Attributes = TrialRules.WithWorker(trial.Attributes, worker);
            return trial.Freeze();
        }
    }

    /// <inheritdoc />
    public FrozenTrial Enqueue(long studyId, IReadOnlyDictionary<string, ScalarValue> parameters, IReadOnlyDictionary<string, string> attributes)
    {
        var attrs = TrialRules.Attributes(attributes);
        lock (_gate)
        {
            var study = Study(studyId);
            TrialRules.CheckParameters(study.Record, parameters);
            return Add(study, TrialState.Waiting, parameters, attrs).Freeze();
        }
    }

    /// <inheritdoc />
    public bool Heartbeat(long trialId)
    {
        lock (_gate)
        {
            var trial = Trial(trialId);
            if (trial.State != TrialState.Running)
                return false;
            trial.Heartbeat = _clock.GetUtcNow();
            return true;
        }
    }

    /// <inheritdoc />
    public void Report(long trialId, int step, double value)
    {
        TrialRules.CheckStep(step);
        lock (_gate)
        {
            var trial = Running(trialId);
            trial.Intermediate = trial.Intermediate.SetItem(step, value);
        }
    }

    /// <inheritdoc />
    public void Finish(long trialId, TrialState state, IReadOnlyList<double> values, IReadOnlyDictionary<string, string> attributes)
    {
        lock (_gate)
        {
            var trial = Running(trialId);
            TrialRules.CheckFinish(Study(trial.StudyId).Record, trial.Number, state, values);
            trial.Attributes = TrialRules.Merge(trial.Attributes, attributes);
            trial.State = state;
            trial.Values = [.. values];
            trial.Finished = _clock.GetUtcNow();
            trial.Heartbeat = null;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<FrozenTrial> Trials(long studyId)
    {
        lock (_gate)
            return [.. Study(studyId).Trials.Select(t => t.Freeze())];
    }

    /// <inheritdoc />
    public int FailStale(long studyId, TimeSpan heartbeatTimeout, int maxAttempts = TrialAttributes.DefaultMaxAttempts, Func<string, bool>? workerGone = null)
    {
        TrialRules.CheckTimeout(heartbeatTimeout, maxAttempts);
        lock (_gate)
        {
            var study = Study(studyId);
            var now = _clock.GetUtcNow();
            var stale = study.Trials.Where(t => t.State == TrialState.Running
                && (t.Heartbeat < now - heartbeatTimeout || TrialRules.IsAbandoned(t.Attributes, workerGone))).ToList();
            foreach (var trial in stale)
            {
                trial.State = TrialState.Failed;
                trial.Finished = now;
                trial.Attributes = trial.Heartbeat < now - heartbeatTimeout
                    ? TrialRules.Failed(trial.Attributes, heartbeatTimeout)
                    : TrialRules.Abandoned(trial.Attributes);
                trial.Heartbeat = null;
                if (TrialRules.Retry(trial.Number, trial.Attributes, maxAttempts) is { } retry)
                    Add(study, TrialState.Waiting, trial.Params, retry);
            }
            return stale.Count;
        }
    }

    /// <summary>Nothing to release: the studies live as long as this object.</summary>
    public void Dispose()
    {
    }

    private StudySlot? FindSlot(string name) => _studies.Values.FirstOrDefault(s => s.Record.Name == name);

    private StudySlot Study(long studyId) => _studies.GetValueOrDefault(studyId) ?? throw TrialRules.NoStudy(studyId);

    private TrialSlot Trial(long trialId) => _trials.GetValueOrDefault(trialId) ?? throw TrialRules.NoTrial(trialId);

    private TrialSlot Running(long trialId)
    {
        var trial = Trial(trialId);
        return trial.State == TrialState.Running ? trial : throw TrialRules.NotRunning(trialId, trial.Number, trial.State);
    }

    private TrialSlot Add(StudySlot study, TrialState state, IReadOnlyDictionary<string, ScalarValue> parameters, ImmutableSortedDictionary<string, string> attributes)
    {
        var trial = new TrialSlot(++_lastTrialId, study.Record.Id, study.Trials.Count, parameters.ToImmutableSortedDictionary(StringComparer.Ordinal))
        {
            State = state,
            Attributes = attributes,
        };
        study.Trials.Add(trial);
        _trials.Add(trial.Id, trial);
        return trial;
    }

    private sealed class StudySlot(StudyRecord record)
    {
        public StudyRecord Record { get; } = record;

        public List<TrialSlot> Trials { get; } = [];
    }

    private sealed class TrialSlot(long id, long studyId, int number, ImmutableSortedDictionary<string, ScalarValue> parameters)
    {
        public long Id { get; } = id;

        public long StudyId { get; } = studyId;

        public int Number { get; } = number;

        public ImmutableSortedDictionary<string, ScalarValue> Params { get; } = parameters;

        public TrialState State { get; set; }

        public ImmutableArray<double> Values { get; set; } = [];

        public ImmutableSortedDictionary<int, double> Intermediate { get; set; } = ImmutableSortedDictionary<int, double>.Empty;

        public DateTimeOffset? Started { get; set; }

        public DateTimeOffset? Finished { get; set; }

        public DateTimeOffset? Heartbeat { get; set; }

        public ImmutableSortedDictionary<string, string> Attributes { get; set; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

        public FrozenTrial Freeze() => new(Id, Number, State, Params, Values, Intermediate, Started, Finished, Attributes);
    }
}
