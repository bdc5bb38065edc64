using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace StrategyLab.Runtime.Search.Storage;

/// <summary>
/// Studies in one SQLite file, the default beside the runs; processes on one machine may share it.
/// WAL lets readers go on while one writer writes; every write is a <c>BEGIN IMMEDIATE</c>
/// transaction, so two processes never read the same trial counter, and a busy file is waited for
/// (up to 30 s) rather than failed.
/// </summary>
public sealed class SqliteStudyStorage : SqlStudyStorage
{
    private const int BusyTimeoutSeconds = 30;

    private readonly string _connectionString;
    private readonly TimeProvider _clock;

    /// <summary>Opens (creating when missing) the file; its folder must exist.</summary>
    public SqliteStudyStorage(SqliteStorageUrl url, TimeProvider? clock = null)
        : base((url ?? throw new ArgumentNullException(nameof(url))).Display)
    {
        _clock = clock ?? TimeProvider.System;
        var path = Path.GetFullPath(url.Path);
        var folder = Path.GetDirectoryName(path);
        if (folder is not null && !Directory.Exists(folder))
            throw new StudyStorageException(StudyStorageFault.Unreachable, $"storage {Location} cannot be opened: folder {folder} does not exist");
        if (Directory.Exists(path))
            throw new StudyStorageException(StudyStorageFault.Unreachable, $"storage {Location} cannot be opened: {path} is a folder");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = BusyTimeoutSeconds,
        }.ToString();
        try
        {
            Initialise();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    protected override string IdColumn => "INTEGER PRIMARY KEY AUTOINCREMENT";

    /// <inheritdoc />
    protected override string RealColumn => "REAL";

    /// <inheritdoc />
    protected override string ForUpdate => "";

    /// <inheritdoc />
    protected override string ForUpdateSkipLocked => "";

    /// <inheritdoc />
    protected override DbConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            // SQLite's own busy handler retries in short steps; the driver's fallback sleeps 150 ms a try
            Execute(connection, null, $"PRAGMA busy_timeout = {BusyTimeoutSeconds * 1000}");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    protected override DbTransaction BeginWrite(DbConnection connection) =>
        ((SqliteConnection)connection).BeginTransaction(deferred: false); // BEGIN IMMEDIATE: the write lock first, then the reads

    /// <inheritdoc />
    protected override DbTransaction BeginRead(DbConnection connection) =>
        ((SqliteConnection)connection).BeginTransaction(deferred: true);

    /// <inheritdoc />
    protected override long Now(DbConnection connection, DbTransaction transaction) => Microseconds(_clock.GetUtcNow());

    /// <inheritdoc />
    protected override bool TableExists(DbConnection connection, DbTransaction transaction, string table) =>
        Convert.ToInt64(Scalar(connection, transaction, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @name", ("@name", table))) > 0;

    /// <inheritdoc />
    protected override void LockSchema(DbConnection connection, DbTransaction transaction)
    {
        // BEGIN IMMEDIATE already holds the file's write lock
    }

    /// <inheritdoc />
    protected override void PrepareDatabase(DbConnection connection) =>
        Execute(connection, null, "PRAGMA journal_mode = WAL");

    /// <inheritdoc />
    protected override StudyStorageException Translate(Exception error) => error switch
    {
        SqliteException { SqliteErrorCode: 14 } => new(StudyStorageFault.Unreachable, $"storage {Location} cannot be opened: {Reason(error)}"),
        SqliteException { SqliteErrorCode: 26 } => new(StudyStorageFault.Unreachable, $"storage {Location} is not a SQLite database"),
        SqliteException { SqliteErrorCode: 8 } => new(StudyStorageFault.Unreachable, $"storage {Location} is read-only"),
        SqliteException { SqliteErrorCode: 5 or 6 } => new(StudyStorageFault.Failure, $"storage {Location} stayed locked by another process for more than {BusyTimeoutSeconds} s"),
        SqliteException { SqliteErrorCode: 11 } => new(StudyStorageFault.Failure, $"storage {Location} is corrupt: {Reason(error)}"),
        _ => new(StudyStorageFault.Failure, $"storage {Location} failed: {Reason(error)}"),
    };

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing || _connectionString is null)
            return;
        using var pooled = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(pooled);
    }

    // "SQLite Error 14: 'unable to open database file'." reads better as "unable to open database file"
    private static string Reason(Exception error) =>
        error is SqliteException e && e.Message.IndexOf('\'', StringComparison.Ordinal) is var open and >= 0 && e.Message.LastIndexOf('\'') is var close && close > open
            ? e.Message[(open + 1)..close]
            : error.Message;
}
