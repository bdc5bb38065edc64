using System.Collections.Immutable;
using System.Globalization;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Search.Storage;

/// <summary>The checks and attribute changes every storage applies alike, so that they behave the same.</summary>
internal static class TrialRules
{
    /// <summary>Whether a trial in that state counts toward a study's target number of trials (a failed one's retry counts instead).</summary>
    public static bool CountsTowardBudget(TrialState state) =>
        state is TrialState.Complete or TrialState.Pruned or TrialState.Running or TrialState.Waiting;

    public static void CheckParameters(StudyRecord study, IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var space = study.Definition.Space;
        foreach (var name in parameters.Keys.Order(StringComparer.Ordinal))
            if (space.Find(name) is null)
                throw Invalid(study, $"parameter '{name}' is not in the search space");
        foreach (var p in space.Parameters)
        {
            var active = SearchSpace.IsActive(p, parameters);
            var given = parameters.TryGetValue(p.Name, out var value);
            if (active && !given)
                throw Invalid(study, $"parameter '{p.Name}' has no value");
            if (!active && given)
                throw Invalid(study, $"parameter '{p.Name}' has a value but is inactive ({Describe(p.When!)})");
            if (given && !p.Distribution.Contains(value))
                throw Invalid(study, $"parameter {p.Name} = {value} is outside {Describe(p.Distribution)}");
        }
    }

    public static void CheckFinish(StudyRecord study, int number, TrialState state, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var objectives = study.Definition.Objectives.Length;
        var ok = state switch
        {
            TrialState.Complete => values.Count == objectives,
            TrialState.Pruned => values.Count == 0 || values.Count == objectives,
            TrialState.Failed => values.Count == 0,
            _ => throw Invalid(study, $"trial {number} cannot finish as {Name(state)}: a trial finishes COMPLETE, PRUNED or FAILED"),
        };
        if (!ok)
            throw Invalid(study, $"trial {number} finishes {Name(state)} with {values.Count} values; the study has {objectives} objectives");
    }

    public static void CheckWorker(string worker)
    {
        if (string.IsNullOrWhiteSpace(worker))
            throw new StudyStorageException(StudyStorageFault.InvalidInput, "a worker name is needed to start or claim a trial");
    }

    public static void CheckStep(int step)
    {
        if (step < 0)
            throw new StudyStorageException(StudyStorageFault.InvalidInput, $"intermediate step {step} is negative");
    }

    public static void CheckTimeout(TimeSpan heartbeatTimeout, int maxAttempts)
    {
        if (heartbeatTimeout < TimeSpan.Zero)
            throw new StudyStorageException(StudyStorageFault.InvalidInput, $"heartbeat timeout {heartbeatTimeout} is negative");
        if (maxAttempts < 1)
            throw new StudyStorageException(StudyStorageFault.InvalidInput, $"max attempts {maxAttempts} is below 1");
    }

    public static StudyStorageException NotRunning(long trialId, int number, TrialState state) =>
        new(StudyStorageFault.TrialNotRunning, $"trial {number} (id {trialId}) is {Name(state)}, no longer RUNNING: another worker may have failed it when its heartbeat expired");

    public static StudyStorageException NoTrial(long trialId) =>
        new(StudyStorageFault.NotFound, $"no trial with id {trialId}");

    public static StudyStorageException NoStudy(long studyId) =>
        new(StudyStorageFault.NotFound, $"no study with id {studyId}");

    public static StudyStorageException NoStudy(string name, string location) =>
        new(StudyStorageFault.NotFound, $"no study named '{name}' in storage {location}");

    public static StudyStorageException Mismatch(StudyDefinition requested, string why) =>
        new(StudyStorageFault.DefinitionMismatch, $"study '{requested.Name}' exists with another definition: {why}; choose another study name or delete the stored one");

    public static ImmutableSortedDictionary<string, string> WithWorker(ImmutableSortedDictionary<string, string> attributes, string worker) =>
        attributes.SetItem(TrialAttributes.Worker, worker);

    public static ImmutableSortedDictionary<string, string> Merge(ImmutableSortedDictionary<string, string> attributes, IReadOnlyDictionary<string, string> added)
    {
        ArgumentNullException.ThrowIfNull(added);
        return attributes.SetItems(added);
    }

    public static ImmutableSortedDictionary<string, string> Failed(ImmutableSortedDictionary<string, string> attributes, TimeSpan heartbeatTimeout) =>
        attributes.SetItem(TrialAttributes.Reason,
            $"no heartbeat for more than {heartbeatTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s: its worker stopped");

    public static ImmutableSortedDictionary<string, string> Abandoned(ImmutableSortedDictionary<string, string> attributes) =>
        attributes.SetItem(TrialAttributes.Reason, $"its worker {attributes.GetValueOrDefault(TrialAttributes.Worker, "?")} stopped while it ran");

    /// <summary>True when <paramref name="workerGone"/> says the trial's worker is gone.</summary>
    public static bool IsAbandoned(IReadOnlyDictionary<string, string> attributes, Func<string, bool>? workerGone) =>
        workerGone is not null && attributes.TryGetValue(TrialAttributes.Worker, out var w) && workerGone(w);

    public static int Attempt(IReadOnlyDictionary<string, string> attributes) =>
        attributes.TryGetValue(TrialAttributes.Attempt, out var a) && int.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 1;

    /// <summary>The attributes of the retry of a failed trial, or null when it was the last attempt allowed.</summary>
    public static ImmutableSortedDictionary<string, string>? Retry(int failedNumber, IReadOnlyDictionary<string, string> failedAttributes, int maxAttempts)
    {
        var attempt = Attempt(failedAttributes) + 1;
        if (attempt > maxAttempts)
            return null;
        return ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, string>
        {
            [TrialAttributes.RetryOf] = failedNumber.ToString(CultureInfo.InvariantCulture),
            [TrialAttributes.Attempt] = attempt.ToString(CultureInfo.InvariantCulture),
        });
    }

    public static ImmutableSortedDictionary<string, string> Attributes(IReadOnlyDictionary<string, string> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        return attributes.ToImmutableSortedDictionary(StringComparer.Ordinal);
    }

    public static string Name(TrialState state) => state.ToString().ToUpperInvariant();

    public static TrialState ParseState(string text) => text switch
    {
        "WAITING" => TrialState.Waiting,
        "RUNNING" => TrialState.Running,
        "COMPLETE" => TrialState.Complete,
        "PRUNED" => TrialState.Pruned,
        "FAILED" => TrialState.Failed,
        _ => throw new StudyStorageException(StudyStorageFault.Failure, $"unknown trial state '{text}' in storage"),
    };

    public static string Describe(Distribution distribution) => distribution switch
    {
        IntDistribution d => $"int {d.Low}..{d.High}" + (d.Step != 1 ? $" step {d.Step}" : "") + (d.Log ? " log" : ""),
        FloatDistribution d => $"float {Number(d.Low)}..{Number(d.High)}" + (d.Step is { } s ? $" step {Number(s)}" : "") + (d.Log ? " log" : ""),
        CategoricalDistribution d => "one of " + string.Join(", ", d.Choices),
        _ => distribution.ToString(),
    };

    public static string Describe(SearchParameter parameter) =>
        Describe(parameter.Distribution) + (parameter.When is { } c ? $" when {c.Parameter} is one of {string.Join(", ", c.Values)}" : "");

    private static string Describe(ParameterCondition condition) =>
        $"it is searched only when {condition.Parameter} is one of {string.Join(", ", condition.Values)}";

    private static string Number(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    private static StudyStorageException Invalid(StudyRecord study, string message) =>
        new(StudyStorageFault.InvalidInput, $"study '{study.Name}': {message}");
}
