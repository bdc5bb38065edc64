namespace StrategyLab.Runtime.Data;

/// <summary>
/// What an import found and did: errors stop it, repairs and notes are kept for the user to read.
/// Errors beyond <see cref="MaxErrors"/> are counted but not kept.
/// </summary>
public sealed class ImportLog
{
    /// <summary>The most errors kept in full.</summary>
    public const int MaxErrors = 1000;

    private readonly List<DataIssue> _errors = [];
    private readonly List<DataIssue> _repairs = [];
    private readonly List<string> _notes = [];

    /// <summary>Errors found, in file order (at most <see cref="MaxErrors"/>).</summary>
    public IReadOnlyList<DataIssue> Errors => _errors;

    /// <summary>How many errors were found in all.</summary>
    public int ErrorCount { get; private set; }

    /// <summary>Repairs made because the repair policy asked for them.</summary>
    public IReadOnlyList<DataIssue> Repairs => _repairs;

    /// <summary>Facts the user should know (rows outside the dataset, a cache rebuilt and why).</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Told, now and then while a file is parsed, the file and the fraction of it read so far.</summary>
    public Action<string, double>? OnProgress { get; init; }

    /// <summary>Records an error.</summary>
    public void Error(DataIssue issue)
    {
        ErrorCount++;
        if (_errors.Count < MaxErrors)
            _errors.Add(issue);
    }

    /// <summary>How many rows were dropped as invalid, as the repair policy allowed; each is also a repair.</summary>
    public int DroppedRows { get; private set; }

    /// <summary>Records a repair.</summary>
    public void Repair(DataIssue issue) => _repairs.Add(issue);

    /// <summary>Records a row dropped as invalid.</summary>
    public void DropRow(DataIssue issue)
    {
        DroppedRows++;
        Repair(issue);
    }

    /// <summary>Records a note.</summary>
    public void Note(string note) => _notes.Add(note);

    /// <summary>Throws <see cref="DataValidationException"/> when any error was found.</summary>
    public void ThrowIfErrors()
    {
        if (ErrorCount > 0)
            throw new DataValidationException(_errors);
    }
}
