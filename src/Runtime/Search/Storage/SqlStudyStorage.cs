using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Search.Storage;

/// <summary>
/// A study storage in a SQL database (SQLite or PostgreSQL), with the same tables, statements and
/// transactions for both; the dialects differ only in how they start transactions, lock rows and
/// read the time. Each call opens a pooled connection, so one object may be used by many threads.
/// Trial numbers come from a counter on the study's row, raised in the transaction that inserts
/// the trial: the row lock (or SQLite's write lock) lets one transaction at a time through.
/// Times are kept as microseconds since 1970 UTC.
/// </summary>
public abstract class SqlStudyStorage : IStudyStorage
{
    /// <summary>The version of the tables this program reads and writes.</summary>
    public const int SchemaVersion = 1;

    private const string TrialColumns = "id, number, state, params, objective_values, attributes, started, finished";

    private const string StudyFields = "name, strategy_name, strategy_hash, strategy_source, dataset_name, data_hash, search_space, "
        + "directions, objectives, constraints_text, sampler_name, sampler_seed, created, program_version, scoring";

    private const string StudyColumns = "id, " + StudyFields;

    private readonly ConcurrentDictionary<long, StudyRecord> _studies = new();

    /// <summary>Keeps the storage's location, shown with its password hidden.</summary>
    protected SqlStudyStorage(string location) => Location = location;

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>Column type of an id that grows and is never reused.</summary>
    protected abstract string IdColumn { get; }

    /// <summary>Column type of a double.</summary>
    protected abstract string RealColumn { get; }

    /// <summary>What follows a SELECT to lock the rows it reads until the transaction ends (empty where a write transaction locks everything).</summary>
    protected abstract string ForUpdate { get; }

    /// <summary>Like <see cref="ForUpdate"/>, passing over rows another transaction holds.</summary>
    protected abstract string ForUpdateSkipLocked { get; }

    /// <summary>An open connection from the pool.</summary>
    protected abstract DbConnection Connect();

    /// <summary>A transaction that may write: it serialises with other writers as the dialect needs.</summary>
    protected abstract DbTransaction BeginWrite(DbConnection connection);

    /// <summary>A transaction that reads one consistent snapshot.</summary>
    protected abstract DbTransaction BeginRead(DbConnection connection);

    /// <summary>The current time in microseconds since 1970 UTC, as this storage's clock reads it.</summary>
    protected abstract long Now(DbConnection connection, DbTransaction transaction);

    /// <summary>True when the table exists.</summary>
    protected abstract bool TableExists(DbConnection connection, DbTransaction transaction, string table);

    /// <summary>Makes concurrent schema creation wait for each other, where the write transaction does not already.</summary>
    protected abstract void LockSchema(DbConnection connection, DbTransaction transaction);

    /// <summary>Runs once the schema is known to be this program's or absent, before it is created (SQLite turns on WAL here).</summary>
    protected virtual void PrepareDatabase(DbConnection connection)
    {
    }

    /// <summary>The one-line error for a failure of the database or of the way to it.</summary>
    protected abstract StudyStorageException Translate(Exception error);

    /// <summary>Checks the schema version, creating the tables in an empty database. Called at the end of the derived constructor.</summary>
    protected void Initialise()
    {
        // read first: a database of another version is refused before anything is written to it
        var present = Read((c, t) => CheckSchema(c, t));
        if (present)
            return;
        Guard(() =>
        {
            using var connection = Connect();
            PrepareDatabase(connection);
        });
        Write((c, t) =>
        {
            LockSchema(c, t);
            if (!CheckSchema(c, t))
                foreach (var statement in SchemaStatements())
                    Execute(c, t, statement);
            return true;
        });
    }

    /// <inheritdoc />
    public StudyRecord OpenOrCreate(StudyDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        definition.Validate();
        var record = Write((c, t) =>
        {
            if (LoadStudy(c, t, "name = @name", ("@name", definition.Name)) is { } existing)
                return Matching(existing, definition);
            var id = Scalar(c, t, $"""
                INSERT INTO strategylab_studies ({StudyFields})
                VALUES (@name, @strategy_name, @strategy_hash, @strategy_source, @dataset_name, @data_hash, @search_space,
                        @directions, @objectives, @constraints_text, @sampler_name, @sampler_seed, @created, @program_version, @scoring)
                ON CONFLICT (name) DO NOTHING RETURNING id
                """, StudyParameters(definition));
            // another worker created it between our look and our insert: compare with theirs
            return id is null
                ? Matching(LoadStudy(c, t, "name = @name", ("@name", definition.Name))!, definition)
                : new StudyRecord(Convert.ToInt64(id), definition);
        });
        _studies[record.Id] = record;
        return record;
    }

    /// <inheritdoc />
    public StudyRecord? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Read((c, t) => LoadStudy(c, t, "name = @name", ("@name", name)));
    }

    /// <inheritdoc />
    public IReadOnlyList<StudySummary> List() => Read((c, t) =>
    {
        var counts = Query(c, t, "SELECT study_id, state, COUNT(*) FROM strategylab_trials GROUP BY study_id, state", [],
                r => (Study: Convert.ToInt64(r.GetValue(0)), State: TrialRules.ParseState(r.GetString(1)), Count: Convert.ToInt32(r.GetValue(2))))
            .ToLookup(x => x.Study);
        return (IReadOnlyList<StudySummary>)[.. Query(c, t, $"SELECT {StudyColumns} FROM strategylab_studies ORDER BY name", [], ReadStudy)
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .Select(s => new StudySummary(s.Id, s.Name, s.Definition.StrategyName, s.Definition.DatasetName, s.Definition.Directions,
                s.Definition.Created, counts[s.Id].ToImmutableSortedDictionary(x => x.State, x => x.Count)))];
    });

    /// <inheritdoc />
    public void Delete(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var id = Write((c, t) =>
        {
            var found = Scalar(c, t, "SELECT id FROM strategylab_studies WHERE name = @name" + ForUpdate, ("@name", name))
                ?? throw TrialRules.NoStudy(name, Location);
            var study = ("@study", found);
            Execute(c, t, "DELETE FROM strategylab_intermediate WHERE trial_id IN (SELECT id FROM strategylab_trials WHERE study_id = @study)", study);
            Execute(c, t, "DELETE FROM strategylab_trials WHERE study_id = @study", study);
            Execute(c, t, "DELETE FROM strategylab_studies WHERE id = @study", study);
            return Convert.ToInt64(found);
        });
        _studies.TryRemove(id, out _);
    }

    /// <inheritdoc />
    public FrozenTrial StartTrial(long studyId, IReadOnlyDictionary<string, ScalarValue> parameters, string worker) =>
        TryStartTrial(studyId, parameters, worker, int.MaxValue)!;

    /// <inheritdoc />
    public FrozenTrial? TryStartTrial(long studyId, IReadOnlyDictionary<string, ScalarValue> parameters, string worker, int budget)
    {
        TrialRules.CheckWorker(worker);
        TrialRules.CheckParameters(Study(studyId), parameters);
        var attributes = TrialRules.WithWorker(Empty, worker);
        return Write((c, t) =>
        {
            // the study's row first: concurrent starters take turns, and each counts what the others started
            if (Scalar(c, t, "SELECT id FROM strategylab_studies WHERE id = @study" + ForUpdate, ("@study", studyId)) is null)
                throw TrialRules.NoStudy(studyId);
            var counted = Scalar(c, t, "SELECT COUNT(*) FROM strategylab_trials WHERE study_id = @study AND state IN ('COMPLETE', 'PRUNED', 'RUNNING', 'WAITING')",
                ("@study", studyId));
            if (Convert.ToInt64(counted, CultureInfo.InvariantCulture) >= budget)
                return null;
            return Insert(c, t, studyId, TrialState.Running, parameters, attributes, Now(c, t));
        });
    }

    /// <inheritdoc />
    public FrozenTrial? ClaimWaiting(long studyId, string worker)
    {
        TrialRules.CheckWorker(worker);
        Study(studyId);
        return Write((c, t) =>
        {
            var waiting = Query(c, t, $"SELECT {TrialColumns} FROM strategylab_trials WHERE study_id = @study AND state = 'WAITING' ORDER BY number LIMIT 1"
                + ForUpdateSkipLocked, [("@study", studyId)], ReadTrial).FirstOrDefault();
            if (waiting is null)
                return null;
            var now = Now(c, t);
            var attributes = TrialRules.WithWorker(waiting.Attributes, worker);
            Execute(c, t, "UPDATE strategylab_trials SET state = 'RUNNING', started = @now, heartbeat = @now, attributes = @attributes WHERE id = @id",
                ("@now", now), ("@attributes", StudyJson.Attributes(attributes)), ("@id", waiting.Id));
            return waiting with { State = TrialState.Running, Started = Time(now), Attributes = attributes };
        });
    }

    /// <inheritdoc />
    public FrozenTrial Enqueue(long studyId, IReadOnlyDictionary<string, ScalarValue> parameters, IReadOnlyDictionary<string, string> attributes)
    {
        var attrs = TrialRules.Attributes(attributes);
        TrialRules.CheckParameters(Study(studyId), parameters);
        return Write((c, t) => Insert(c, t, studyId, TrialState.Waiting, parameters, attrs, now: null));
    }

    /// <inheritdoc />
    public bool Heartbeat(long trialId) => Write((c, t) =>
    {
        var beaten = Execute(c, t, "UPDATE strategylab_trials SET heartbeat = @now WHERE id = @id AND state = 'RUNNING'",
            ("@now", Now(c, t)), ("@id", trialId));
        return beaten == 1 || (Scalar(c, t, "SELECT id FROM strategylab_trials WHERE id = @id", ("@id", trialId)) is null
            ? throw TrialRules.NoTrial(trialId)
            : false);
    });

    /// <inheritdoc />
    public void Report(long trialId, int step, double value)
    {
        TrialRules.CheckStep(step);
        Write((c, t) =>
        {
            LockRunning(c, t, trialId);
            Execute(c, t, """
                INSERT INTO strategylab_intermediate (trial_id, step, value) VALUES (@id, @step, @value)
                ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value
                """, ("@id", trialId), ("@step", step), ("@value", double.IsNaN(value) ? null : value));
            return true;
        });
    }

    /// <inheritdoc />
    public void Finish(long trialId, TrialState state, IReadOnlyList<double> values, IReadOnlyDictionary<string, string> attributes)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(attributes);
        Write((c, t) =>
        {
            var (studyId, number, stored) = LockRunning(c, t, trialId);
            TrialRules.CheckFinish(Study(studyId), number, state, values);
            Execute(c, t, """
                UPDATE strategylab_trials SET state = @state, objective_values = @values, attributes = @attributes, finished = @now, heartbeat = NULL
                WHERE id = @id
                """, ("@state", TrialRules.Name(state)), ("@values", StudyJson.Values(values)),
                ("@attributes", StudyJson.Attributes(TrialRules.Merge(stored, attributes))), ("@now", Now(c, t)), ("@id", trialId));
            return true;
        });
    }

    /// <inheritdoc />
    public IReadOnlyList<FrozenTrial> Trials(long studyId)
    {
        Study(studyId);
        return Read((c, t) =>
        {
            var study = ("@study", (object?)studyId);
            var intermediate = Query(c, t, """
                    SELECT i.trial_id, i.step, i.value FROM strategylab_intermediate i
                    JOIN strategylab_trials t ON t.id = i.trial_id WHERE t.study_id = @study
                    """, [study], r => (Trial: Convert.ToInt64(r.GetValue(0)), Step: Convert.ToInt32(r.GetValue(1)), Value: r.IsDBNull(2) ? double.NaN : r.GetDouble(2)))
                .ToLookup(x => x.Trial);
            return (IReadOnlyList<FrozenTrial>)[.. Query(c, t, $"SELECT {TrialColumns} FROM strategylab_trials WHERE study_id = @study ORDER BY number", [study], ReadTrial)
                .Select(trial => trial with { Intermediate = intermediate[trial.Id].ToImmutableSortedDictionary(x => x.Step, x => x.Value) })];
        });
    }

    /// <inheritdoc />
    public int FailStale(long studyId, TimeSpan heartbeatTimeout, int maxAttempts = TrialAttributes.DefaultMaxAttempts, Func<string, bool>? workerGone = null)
    {
        TrialRules.CheckTimeout(heartbeatTimeout, maxAttempts);
        Study(studyId);
        return Write((c, t) =>
        {
            // the study's row first, as StartTrial locks it: concurrent callers take turns and the later ones find nothing stale
            if (Scalar(c, t, "SELECT id FROM strategylab_studies WHERE id = @study" + ForUpdate, ("@study", studyId)) is null)
                throw TrialRules.NoStudy(studyId);
            var now = Now(c, t);
            var cutoff = now - heartbeatTimeout.Ticks / 10;
            var running = Query(c, t, $"SELECT {TrialColumns}, CASE WHEN heartbeat < @cutoff THEN 1 ELSE 0 END FROM strategylab_trials WHERE study_id = @study AND state = 'RUNNING' ORDER BY number"
                + ForUpdate, [("@study", studyId), ("@cutoff", cutoff)], r => (Trial: ReadTrial(r), Expired: Convert.ToInt64(r.GetValue(8), CultureInfo.InvariantCulture) == 1));
            var stale = running.Where(x => x.Expired || TrialRules.IsAbandoned(x.Trial.Attributes, workerGone)).ToList();
            foreach (var (trial, expired) in stale)
            {
                var attributes = expired ? TrialRules.Failed(trial.Attributes, heartbeatTimeout) : TrialRules.Abandoned(trial.Attributes);
                Execute(c, t, "UPDATE strategylab_trials SET state = 'FAILED', finished = @now, heartbeat = NULL, attributes = @attributes WHERE id = @id",
                    ("@now", now), ("@attributes", StudyJson.Attributes(attributes)), ("@id", trial.Id));
                if (TrialRules.Retry(trial.Number, trial.Attributes, maxAttempts) is { } retry)
                    Insert(c, t, studyId, TrialState.Waiting, trial.Params, retry, now: null);
            }
            return stale.Count;
        });
    }

    /// <summary>Releases the connections this storage holds.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the dialect's pooled connections.</summary>
    protected abstract void Dispose(bool disposing);

    /// <summary>Runs <paramref name="work"/> in a write transaction, committed when it returns; database errors become one-line storage errors.</summary>
    protected T Write<T>(Func<DbConnection, DbTransaction, T> work) => Guard(() =>
    {
        using var connection = Connect();
        using var transaction = BeginWrite(connection);
        var result = work(connection, transaction);
        transaction.Commit();
        return result;
    });

    /// <summary>Runs <paramref name="work"/> in a read transaction; database errors become one-line storage errors.</summary>
    protected T Read<T>(Func<DbConnection, DbTransaction, T> work) => Guard(() =>
    {
        using var connection = Connect();
        using var transaction = BeginRead(connection);
        var result = work(connection, transaction);
        transaction.Commit();
        return result;
    });

    /// <summary>A command with named parameters (a null value is SQL NULL).</summary>
    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(parameters);
        var command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // the SQL text is this class's own; values always go in parameters
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    /// <summary>Runs a statement and returns how many rows it changed.</summary>
    protected static int Execute(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>The first column of the first row, or null when there is no row or it is NULL.</summary>
    protected static object? Scalar(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    private static List<T> Query<T>(DbConnection connection, DbTransaction transaction, string sql, (string Name, object? Value)[] parameters, Func<DbDataReader, T> read)
    {
        using var command = Command(connection, transaction, sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
            rows.Add(read(reader));
        return rows;
    }

    private T Guard<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (StudyStorageException)
        {
            throw;
        }
        catch (JsonException e)
        {
            throw new StudyStorageException(StudyStorageFault.Failure, $"storage {Location} holds a value this program cannot read: {e.Message}");
        }
        catch (Exception e) when (e is DbException or SocketException or IOException or TimeoutException)
        {
            throw Translate(e);
        }
    }

    private void Guard(Action work) => Guard(() =>
    {
        work();
        return true;
    });

    private bool CheckSchema(DbConnection connection, DbTransaction transaction)
    {
        if (TableExists(connection, transaction, "strategylab_schema"))
        {
            var versions = Query(connection, transaction, "SELECT version FROM strategylab_schema", [], r => Convert.ToInt32(r.GetValue(0)));
            if (versions.Count != 1)
                throw new StudyStorageException(StudyStorageFault.SchemaVersion, $"storage {Location} has {versions.Count} schema version rows instead of one; it was not written by this program");
            if (versions[0] != SchemaVersion)
                throw new StudyStorageException(StudyStorageFault.SchemaVersion, $"storage {Location} has schema version {versions[0]}; this program reads {SchemaVersion}");
            return true;
        }
        if (TableExists(connection, transaction, "strategylab_studies"))
            throw new StudyStorageException(StudyStorageFault.SchemaVersion, $"storage {Location} holds study tables without a schema version; this program reads version {SchemaVersion}");
        return false;
    }

    private IEnumerable<string> SchemaStatements() =>
    [
        "CREATE TABLE strategylab_schema (version integer NOT NULL)",
        $"""
        CREATE TABLE strategylab_studies (
            id {IdColumn}, name text NOT NULL UNIQUE, strategy_name text NOT NULL, strategy_hash text NOT NULL,
            strategy_source text NOT NULL, dataset_name text NOT NULL, data_hash text NOT NULL, search_space text NOT NULL,
            directions text NOT NULL, objectives text NOT NULL, constraints_text text NOT NULL, sampler_name text NOT NULL,
            sampler_seed bigint, created bigint NOT NULL, program_version text NOT NULL, scoring text NOT NULL, trial_count integer NOT NULL DEFAULT 0)
        """,
        $"""
        CREATE TABLE strategylab_trials (
            id {IdColumn}, study_id bigint NOT NULL REFERENCES strategylab_studies (id), number integer NOT NULL,
            state text NOT NULL, params text NOT NULL, objective_values text NOT NULL, attributes text NOT NULL,
            started bigint, finished bigint, heartbeat bigint, UNIQUE (study_id, number))
        """,
        "CREATE INDEX strategylab_trials_by_state ON strategylab_trials (study_id, state)",
        $"""
        CREATE TABLE strategylab_intermediate (
            trial_id bigint NOT NULL REFERENCES strategylab_trials (id), step integer NOT NULL, value {RealColumn},
            PRIMARY KEY (trial_id, step))
        """,
        $"INSERT INTO strategylab_schema (version) VALUES ({SchemaVersion})",
    ];

    private FrozenTrial Insert(DbConnection c, DbTransaction t, long studyId, TrialState state, IReadOnlyDictionary<string, ScalarValue> parameters,
        ImmutableSortedDictionary<string, string> attributes, long? now)
    {
        var number = Scalar(c, t, "UPDATE strategylab_studies SET trial_count = trial_count + 1 WHERE id = @study RETURNING trial_count - 1", ("@study", studyId))
            ?? throw TrialRules.NoStudy(studyId);
        var id = Scalar(c, t, """
            INSERT INTO strategylab_trials (study_id, number, state, params, objective_values, attributes, started, heartbeat)
            VALUES (@study, @number, @state, @params, '[]', @attributes, @now, @now) RETURNING id
            """, ("@study", studyId), ("@number", Convert.ToInt32(number)), ("@state", TrialRules.Name(state)),
            ("@params", StudyJson.Params(parameters)), ("@attributes", StudyJson.Attributes(attributes)), ("@now", now));
        return new FrozenTrial(Convert.ToInt64(id), Convert.ToInt32(number), state, parameters.ToImmutableSortedDictionary(StringComparer.Ordinal),
            [], ImmutableSortedDictionary<int, double>.Empty, now is { } n ? Time(n) : null, null, attributes);
    }

    private (long StudyId, int Number, ImmutableSortedDictionary<string, string> Attributes) LockRunning(DbConnection c, DbTransaction t, long trialId)
    {
        var row = Query(c, t, "SELECT study_id, number, state, attributes FROM strategylab_trials WHERE id = @id" + ForUpdate, [("@id", trialId)],
            r => (Study: Convert.ToInt64(r.GetValue(0)), Number: Convert.ToInt32(r.GetValue(1)), State: TrialRules.ParseState(r.GetString(2)),
                Attributes: StudyJson.ReadAttributes(r.GetString(3)))).FirstOrDefault();
        if (row == default)
            throw TrialRules.NoTrial(trialId);
        if (row.State != TrialState.Running)
            throw TrialRules.NotRunning(trialId, row.Number, row.State);
        return (row.Study, row.Number, row.Attributes);
    }

    private StudyRecord Study(long studyId)
    {
        if (_studies.TryGetValue(studyId, out var known))
            return known;
        var loaded = Read((c, t) => LoadStudy(c, t, "id = @id", ("@id", studyId))) ?? throw TrialRules.NoStudy(studyId);
        return _studies.GetOrAdd(studyId, loaded);
    }

    private StudyRecord? LoadStudy(DbConnection c, DbTransaction t, string where, (string, object?) parameter) =>
        Query(c, t, $"SELECT {StudyColumns} FROM strategylab_studies WHERE {where}", [parameter], ReadStudy).FirstOrDefault();

    private static StudyRecord Matching(StudyRecord stored, StudyDefinition requested) =>
        requested.MismatchWith(stored.Definition) is { } why ? throw TrialRules.Mismatch(requested, why) : stored;

    private static (string, object?)[] StudyParameters(StudyDefinition d) =>
    [
        ("@name", d.Name), ("@strategy_name", d.StrategyName), ("@strategy_hash", d.StrategyHash), ("@strategy_source", d.StrategySource),
        ("@dataset_name", d.DatasetName), ("@data_hash", d.DataHash), ("@search_space", StudyJson.Space(d.Space)),
        ("@directions", StudyJson.Directions(d.Directions)), ("@objectives", StudyJson.Names(d.Objectives)), ("@constraints_text", d.Constraints),
        ("@sampler_name", d.SamplerName), ("@sampler_seed", d.SamplerSeed), ("@created", Microseconds(d.Created)), ("@program_version", d.ProgramVersion),
        ("@scoring", d.Scoring),
    ];

    private static StudyRecord ReadStudy(DbDataReader r) => new(
        Convert.ToInt64(r.GetValue(0)),
        new StudyDefinition(
            Name: r.GetString(1),
            StrategyName: r.GetString(2),
            StrategyHash: r.GetString(3),
            StrategySource: r.GetString(4),
            DatasetName: r.GetString(5),
            DataHash: r.GetString(6),
            Space: StudyJson.ReadSpace(r.GetString(7)),
            Directions: StudyJson.ReadDirections(r.GetString(8)),
            Objectives: StudyJson.ReadNames(r.GetString(9)),
            Constraints: r.GetString(10),
            SamplerName: r.GetString(11),
            SamplerSeed: r.IsDBNull(12) ? null : Convert.ToInt64(r.GetValue(12)),
            Created: Time(Convert.ToInt64(r.GetValue(13))),
            ProgramVersion: r.GetString(14),
            Scoring: r.GetString(15)));

    private static FrozenTrial ReadTrial(DbDataReader r) => new(
        Id: Convert.ToInt64(r.GetValue(0)),
        Number: Convert.ToInt32(r.GetValue(1)),
        State: TrialRules.ParseState(r.GetString(2)),
        Params: StudyJson.ReadParams(r.GetString(3)),
        Values: StudyJson.ReadValues(r.GetString(4)),
        Intermediate: ImmutableSortedDictionary<int, double>.Empty,
        Started: r.IsDBNull(6) ? null : Time(Convert.ToInt64(r.GetValue(6))),
        Finished: r.IsDBNull(7) ? null : Time(Convert.ToInt64(r.GetValue(7))),
        Attributes: StudyJson.ReadAttributes(r.GetString(5)));

    /// <summary>Microseconds since 1970 UTC.</summary>
    protected static long Microseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static DateTimeOffset Time(long microseconds) => DateTimeOffset.UnixEpoch.AddTicks(microseconds * 10);

    private static readonly ImmutableSortedDictionary<string, string> Empty = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);
}
