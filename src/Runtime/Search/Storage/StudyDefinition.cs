using System.Collections.Immutable;

namespace StrategyLab.Runtime.Search.Storage;

/// <summary>
/// What a study searches, fixed when it is created: the strategy (name, content hash and its whole
/// source, so that workers on other machines can run the study from storage alone), the data it
/// runs on, the search space, the objectives and their directions, the constraints, the sampler,
/// when and by which program version it was created, and how each trial is scored (period, costs,
/// accounting, folds), so that a resumed study measures its new trials as it measured the old ones.
/// </summary>
public sealed record StudyDefinition(
    string Name,
    string StrategyName,
    string StrategyHash,
    string StrategySource,
    string DatasetName,
    string DataHash,
    SearchSpace Space,
    ImmutableArray<Direction> Directions,
    ImmutableArray<string> Objectives,
    string Constraints,
    string SamplerName,
    long? SamplerSeed,
    DateTimeOffset Created,
    string ProgramVersion,
    string Scoring = "")
{
    /// <summary>The longest study name storage accepts.</summary>
    public const int MaxNameLength = 200;

    /// <summary>Refuses a definition storage cannot hold, in one line naming the field.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > MaxNameLength || Name.Any(char.IsControl))
            throw Invalid($"study name '{Name}' must be 1 to {MaxNameLength} printable characters");
        if (Directions.IsDefaultOrEmpty || Objectives.IsDefault || Directions.Length != Objectives.Length)
            throw Invalid($"study '{Name}' needs one direction for each objective, and at least one objective");
        if (Objectives.Distinct(StringComparer.Ordinal).Count() != Objectives.Length)
            throw Invalid($"study '{Name}' names an objective twice: {string.Join(", ", Objectives)}");
        if (Space is null || Space.Parameters.IsDefault)
            throw Invalid($"study '{Name}' has no search space");
        var names = Space.Parameters.Select(p => p.Name).ToList();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
            throw Invalid($"study '{Name}' names a parameter twice in its search space");
    }

    /// <summary>
    /// Why a stored definition of the same name cannot take this study's trials, or null when it can:
    /// another strategy hash, dataset or data hash, search space, directions, objectives, constraints or scoring.
    /// The sampler may change between runs, as in Optuna.
    /// </summary>
    public string? MismatchWith(StudyDefinition stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (StrategyHash != stored.StrategyHash)
            return $"strategy '{stored.StrategyName}' of hash {Short(stored.StrategyHash)} there, '{StrategyName}' of hash {Short(StrategyHash)} here";
        if (DatasetName != stored.DatasetName || DataHash != stored.DataHash)
            return $"data '{stored.DatasetName}' of hash {Short(stored.DataHash)} there, '{DatasetName}' of hash {Short(DataHash)} here";
        if (SpaceMismatch(stored.Space, Space) is { } space)
            return space;
        if (!Directions.SequenceEqual(stored.Directions) || !Objectives.SequenceEqual(stored.Objectives))
            return $"objectives {Describe(stored)} there, {Describe(this)} here";
        if (Constraints != stored.Constraints)
            return $"constraints '{stored.Constraints}' there, '{Constraints}' here";
        if (Scoring != stored.Scoring)
            return $"trials scored on '{stored.Scoring}' there, '{Scoring}' here";
        return null;
    }

    private static string? SpaceMismatch(SearchSpace there, SearchSpace here)
    {
        if (StudyJson.Space(there) == StudyJson.Space(here))
            return null;
        foreach (var p in there.Parameters)
        {
            var mine = here.Find(p.Name);
            if (mine is null)
                return $"search space has parameter '{p.Name}' there, not here";
            if (StudyJson.Parameter(mine) != StudyJson.Parameter(p))
                return $"search space parameter '{p.Name}' is {TrialRules.Describe(p)} there, {TrialRules.Describe(mine)} here";
        }
        var added = here.Parameters.FirstOrDefault(p => there.Find(p.Name) is null);
        return added is not null
            ? $"search space has parameter '{added.Name}' here, not there"
            : "search space lists its parameters in another order there";
    }

    private static string Describe(StudyDefinition d) =>
        string.Join(", ", d.Objectives.Zip(d.Directions, (o, dir) => $"{dir.ToString().ToLowerInvariant()} {o}"));

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;

    private static StudyStorageException Invalid(string message) => new(StudyStorageFault.InvalidInput, message);
}

/// <summary>A study as storage holds it: its definition and the id its trials refer to.</summary>
public sealed record StudyRecord(long Id, StudyDefinition Definition)
{
    /// <summary>The study's name.</summary>
    public string Name => Definition.Name;
}

/// <summary>A line of a study listing: the study and how many of its trials are in each state.</summary>
public sealed record StudySummary(
    long Id,
    string Name,
    string StrategyName,
    string DatasetName,
    ImmutableArray<Direction> Directions,
    DateTimeOffset Created,
    ImmutableSortedDictionary<TrialState, int> TrialsByState)
{
    /// <summary>How many trials the study has, in any state.</summary>
    public int TrialCount => TrialsByState.Values.Sum();

    /// <summary>How many of the study's trials are in <paramref name="state"/>.</summary>
    public int Count(TrialState state) => TrialsByState.GetValueOrDefault(state);
}
