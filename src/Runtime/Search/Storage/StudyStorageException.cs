namespace StrategyLab.Runtime.Search.Storage;

/// <summary>What went wrong with a study storage, so that a command line can choose its exit code.</summary>
public enum StudyStorageFault
{
    /// <summary>The storage URL cannot be read (exit code 2).</summary>
    BadLocation,
    /// <summary>The storage cannot be reached or opened: server down, folder missing, login refused (exit code 1).</summary>
    Unreachable,
    /// <summary>The storage was written by a program of another schema version, or holds foreign tables (exit code 1).</summary>
    SchemaVersion,
    /// <summary>A study of that name exists with another strategy, data, search space or objectives (exit code 2).</summary>
    DefinitionMismatch,
    /// <summary>No study or trial of that name or id (exit code 2).</summary>
    NotFound,
    /// <summary>Parameters, values or a study definition that the study cannot hold (exit code 2).</summary>
    InvalidInput,
    /// <summary>The trial is no longer running: finished, or failed by another worker when its heartbeat expired (exit code 1).</summary>
    TrialNotRunning,
    /// <summary>The storage failed while answering (exit code 1).</summary>
    Failure,
}

/// <summary>
/// A study storage error, worded for the person running the search in one line that names the
/// storage with its password hidden, e.g. <c>storage postgresql://lab:***@db:5432/studies is unreachable: connection refused</c>.
/// </summary>
public sealed class StudyStorageException(StudyStorageFault fault, string message)
    : Exception(message.ReplaceLineEndings(" "))
{
    /// <summary>The kind of error.</summary>
    public StudyStorageFault Fault { get; } = fault;

    /// <summary>2 for usage errors (a bad URL, a mismatched study, bad input), 1 for runtime failures.</summary>
    public int ExitCode => Fault is StudyStorageFault.BadLocation or StudyStorageFault.DefinitionMismatch
        or StudyStorageFault.NotFound or StudyStorageFault.InvalidInput ? 2 : 1;
}
