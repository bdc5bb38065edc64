namespace StrategyLab.Runtime.Search.Storage;

/// <summary>Opens the study storage a URL names.</summary>
public static class StudyStorage
{
    /// <summary>Opens the storage at <paramref name="url"/> (see <see cref="StorageUrl"/>), checking or creating its tables.</summary>
    public static IStudyStorage Open(string url) => Open(StorageUrl.Parse(url));

    /// <summary>Opens the storage at <paramref name="url"/>, checking or creating its tables.</summary>
    public static IStudyStorage Open(StorageUrl url) => url switch
    {
        SqliteStorageUrl sqlite => new SqliteStudyStorage(sqlite),
        PostgresStorageUrl postgres => new PostgresStudyStorage(postgres),
        MemoryStorageUrl => new InMemoryStudyStorage(),
        _ => throw new ArgumentOutOfRangeException(nameof(url), url, "unknown kind of storage"),
    };
}
