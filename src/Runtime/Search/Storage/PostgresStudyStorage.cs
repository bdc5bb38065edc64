using System.Data;
using System.Data.Common;
using System.Net.Sockets;
using Npgsql;

namespace StrategyLab.Runtime.Search.Storage;

/// <summary>
/// Studies in a PostgreSQL database shared by workers on many machines. Writes run in READ
/// COMMITTED transactions that lock what they change: the study's row while a trial number is
/// handed out, a waiting trial's row (skipping those another worker holds) while it is claimed.
/// Heartbeats and their expiry are read on the server's clock, so workers' clocks need not agree.
/// </summary>
public sealed class PostgresStudyStorage : SqlStudyStorage
{
    // any constant: the lock only makes workers that create the tables at the same time take turns
    private const long SchemaLockKey = 0x53_4C_53_54_55_44_59;

    private readonly NpgsqlDataSource _source;
    private readonly int _connectTimeoutSeconds;
    private readonly TimeProvider? _clock;

    /// <summary>
    /// Connects (failing within the URL's connect timeout when the server does not answer) and checks
    /// or creates the tables. Times are read on the server's clock unless <paramref name="clock"/> is given.
    /// </summary>
    public PostgresStudyStorage(PostgresStorageUrl url, TimeProvider? clock = null)
        : base((url ?? throw new ArgumentNullException(nameof(url))).Display)
    {
        _connectTimeoutSeconds = url.ConnectTimeoutSeconds;
        _clock = clock;
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = url.Host,
            Port = url.Port,
            Database = url.Database,
            Username = url.User,
            Password = url.Password,
            Timeout = url.ConnectTimeoutSeconds,
            CommandTimeout = 60,
            ApplicationName = "strategylab",
            Pooling = true,
        };
        if (url.SslMode is { } ssl)
            builder.SslMode = ssl switch
            {
                "disable" => SslMode.Disable,
                "allow" => SslMode.Allow,
                "prefer" => SslMode.Prefer,
                "require" => SslMode.Require,
                "verify-ca" => SslMode.VerifyCA,
                _ => SslMode.VerifyFull,
            };
        _source = NpgsqlDataSource.Create(builder);
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
    protected override string IdColumn => "bigserial PRIMARY KEY";

    /// <inheritdoc />
    protected override string RealColumn => "double precision";

    /// <inheritdoc />
    protected override string ForUpdate => " FOR UPDATE";

    /// <inheritdoc />
    protected override string ForUpdateSkipLocked => " FOR UPDATE SKIP LOCKED";

    /// <inheritdoc />
    protected override DbConnection Connect() => _source.OpenConnection();

    /// <inheritdoc />
    protected override DbTransaction BeginWrite(DbConnection connection) =>
        ((NpgsqlConnection)connection).BeginTransaction(IsolationLevel.ReadCommitted);

    /// <inheritdoc />
    protected override DbTransaction BeginRead(DbConnection connection) =>
        ((NpgsqlConnection)connection).BeginTransaction(IsolationLevel.RepeatableRead);

    /// <inheritdoc />
    protected override long Now(DbConnection connection, DbTransaction transaction) => _clock is { } clock
        ? Microseconds(clock.GetUtcNow())
        : Convert.ToInt64(Scalar(connection, transaction, "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint"));

    /// <inheritdoc />
    protected override bool TableExists(DbConnection connection, DbTransaction transaction, string table) =>
        Convert.ToInt64(Scalar(connection, transaction,
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = @name", ("@name", table))) > 0;

    /// <inheritdoc />
    protected override void LockSchema(DbConnection connection, DbTransaction transaction) =>
        Scalar(connection, transaction, "SELECT pg_advisory_xact_lock(@key)", ("@key", SchemaLockKey));

    /// <inheritdoc />
    protected override StudyStorageException Translate(Exception error)
    {
        if (error is PostgresException pg)
            return pg.SqlState switch
            {
                PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification =>
                    new(StudyStorageFault.Unreachable, $"storage {Location} refused the login: {pg.MessageText}"),
                PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections =>
                    new(StudyStorageFault.Unreachable, $"storage {Location} is unreachable: {pg.MessageText}"),
                PostgresErrorCodes.InsufficientPrivilege =>
                    new(StudyStorageFault.Failure, $"storage {Location} refused: {pg.MessageText}"),
                _ => new(StudyStorageFault.Failure, $"storage {Location} failed: {pg.MessageText} ({pg.SqlState})"),
            };
        for (var inner = error; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
                return new(StudyStorageFault.Unreachable, $"storage {Location} is unreachable: {socket.Message}");
            if (inner is TimeoutException)
                return new(StudyStorageFault.Unreachable, $"storage {Location} is unreachable: no answer within {_connectTimeoutSeconds} s");
        }
        return new(StudyStorageFault.Unreachable, $"storage {Location} is unreachable: {error.Message}");
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _source?.Dispose();
    }
}
