using System.Globalization;
using Microsoft.Data.Sqlite;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Trading;

/// <summary>
/// The journal in one SQLite file in WAL mode. A transaction that returned survives the process being killed at any
/// point. An order written before it is sent (several of a step's orders together, in one transaction; a deployment or promotion) is
/// also on disk, fsynced, before the write returns, so no power loss can make the venue hold an order the journal does
/// not; other writes (answers, fills, steps,
/// intents) are fsynced with the next order, since what the venue did can be read from it again at reconciliation.
/// Money is stored as decimal text, exactly as sent.
/// Tables: <c>deployments</c>, <c>intents</c>, <c>orders</c> (keyed by client order id), <c>fills</c>
/// (keyed by deployment, symbol and trade id), <c>positions</c> (the book after each step), <c>steps</c>,
/// <c>events</c> and <c>promotions</c>. The schema's version is SQLite's <c>user_version</c>: a journal written by an
/// earlier version is migrated when it is opened, and one written by a later version is refused.
/// </summary>
public sealed class SqliteJournal : IJournal
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS deployments (
            id INTEGER PRIMARY KEY, strategy TEXT NOT NULL, plan_hash TEXT NOT NULL, venue TEXT NOT NULL, session INTEGER NOT NULL,
            created INTEGER NOT NULL, UNIQUE (strategy, plan_hash, venue, session));
        CREATE TABLE IF NOT EXISTS intents (
            id INTEGER PRIMARY KEY, deployment INTEGER NOT NULL REFERENCES deployments(id), bar_time INTEGER NOT NULL, symbol TEXT NOT NULL,
            purpose TEXT NOT NULL, target REAL NOT NULL, quantity REAL NOT NULL, reference_price REAL NOT NULL,
            UNIQUE (deployment, bar_time, symbol, purpose));
        CREATE TABLE IF NOT EXISTS orders (
            client_order_id TEXT PRIMARY KEY, deployment INTEGER NOT NULL REFERENCES deployments(id), seq INTEGER NOT NULL,
            bar_time INTEGER NOT NULL, symbol TEXT NOT NULL, purpose TEXT NOT NULL, side TEXT NOT NULL, type TEXT NOT NULL,
            quantity TEXT NOT NULL, price TEXT, stop_price TEXT, time_in_force TEXT NOT NULL, reduce_only INTEGER NOT NULL,
            status TEXT NOT NULL, venue_order_id TEXT, filled TEXT NOT NULL, average_price TEXT NOT NULL, reason TEXT, updated INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS fills (
            deployment INTEGER NOT NULL REFERENCES deployments(id), seq INTEGER NOT NULL, symbol TEXT NOT NULL, trade_id TEXT NOT NULL,
            client_order_id TEXT, quantity TEXT NOT NULL, price TEXT NOT NULL, fee TEXT NOT NULL, fee_asset TEXT NOT NULL, time INTEGER NOT NULL,
            adopted INTEGER NOT NULL, PRIMARY KEY (deployment, symbol, trade_id));
        CREATE TABLE IF NOT EXISTS positions (
            deployment INTEGER NOT NULL REFERENCES deployments(id), bar_time INTEGER NOT NULL, symbol TEXT NOT NULL, quantity TEXT NOT NULL,
            entry_price TEXT NOT NULL, PRIMARY KEY (deployment, bar_time, symbol));
        CREATE TABLE IF NOT EXISTS steps (
            deployment INTEGER NOT NULL REFERENCES deployments(id), bar_time INTEGER NOT NULL, equity REAL NOT NULL, stopped INTEGER NOT NULL,
            PRIMARY KEY (deployment, bar_time));
        -- the next sequence number is the largest plus one, found in the index rather than by counting every row
        CREATE INDEX IF NOT EXISTS orders_seq ON orders(seq);
        CREATE INDEX IF NOT EXISTS fills_seq ON fills(seq);
        CREATE TABLE IF NOT EXISTS runner_states (
            deployment INTEGER NOT NULL REFERENCES deployments(id), bar_time INTEGER NOT NULL, fills INTEGER NOT NULL, deferred TEXT NOT NULL,
            funding_since INTEGER NOT NULL, engine BLOB NOT NULL, PRIMARY KEY (deployment, bar_time));
        CREATE TABLE IF NOT EXISTS promotions (
            id INTEGER PRIMARY KEY, strategy TEXT NOT NULL, deployment_hash TEXT NOT NULL, stage TEXT NOT NULL, data_hash TEXT NOT NULL,
            parameters TEXT NOT NULL, source TEXT NOT NULL, time INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS events (
            id INTEGER PRIMARY KEY, deployment INTEGER NOT NULL REFERENCES deployments(id), time INTEGER NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL);
        """;

    // each migration takes the schema from its index to the next version (the tables above are version 0); old journals
    // are brought up to the last when opened
    private static readonly string[] Migrations =
    [
        // 1: when each order's placement was answered (a quote's patience runs from it) and whether the policy cancelled it to re-quote
        "ALTER TABLE orders ADD COLUMN placed INTEGER; ALTER TABLE orders ADD COLUMN requoted INTEGER NOT NULL DEFAULT 0;",
    ];

    private readonly SqliteConnection _connection;
    private readonly Dictionary<Deployment, long> _ids = [];
    private bool _durable;

    /// <summary>Opens (or creates) the journal at <paramref name="path"/>.</summary>
    /// <exception cref="JournalException">The file cannot be opened as a journal; the message says why.</exception>
    public SqliteJournal(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Path = path;
        try
        {
            var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
            if (folder is not null)
                Directory.CreateDirectory(folder);
            _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
            _connection.Open();
            Execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
            _durable = true;
            Execute(Schema);
            Migrate();
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw new JournalException($"{path}: cannot open the journal: {e.Message}");
        }
        catch (JournalException)
        {
            _connection?.Dispose();
            throw;
        }
    }

    /// <summary>The schema version this program writes.</summary>
    public static int SchemaVersion => Migrations.Length;

    // the migrations the journal lacks, in one transaction with the version they reach
    private void Migrate()
    {
        using var tx = _connection.BeginTransaction(deferred: false);
        var version = (int)(long)Scalar(tx, "PRAGMA user_version")!;
        if (version > Migrations.Length)
            throw new JournalException($"{Path}: the journal has schema version {version}; this program reads up to {Migrations.Length}: open it with the strategylab that wrote it");
        if (version == Migrations.Length)
            return;
        for (var v = version; v < Migrations.Length; v++)
            Run(tx, Migrations[v]);
        Run(tx, string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version = {Migrations.Length}"));
        tx.Commit();
    }

    /// <summary>The journal's file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public Deployment Open(Deployment deployment, bool fresh)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        Durable(true);
        using var tx = _connection.BeginTransaction(deferred: false);
        var last = Scalar(tx, "SELECT MAX(session) FROM deployments WHERE strategy = $s AND plan_hash = $h AND venue = $v",
            ("$s", deployment.Strategy), ("$h", deployment.PlanHash), ("$v", deployment.Venue));
        var session = last is long n ? (fresh ? (int)n + 1 : (int)n) : 1;
        var opened = deployment with { Session = session };
        Run(tx, "INSERT OR IGNORE INTO deployments (strategy, plan_hash, venue, session, created) VALUES ($s, $h, $v, $n, $t)",
            ("$s", deployment.Strategy), ("$h", deployment.PlanHash), ("$v", deployment.Venue), ("$n", session), ("$t", Now()));
        tx.Commit();
        return opened;
    }

    /// <inheritdoc />
    public void RecordIntent(Deployment deployment, JournalIntent intent)
    {
        ArgumentNullException.ThrowIfNull(intent);
        Write(deployment, (tx, id) => InsertIntent(tx, id, intent));
    }

    /// <inheritdoc />
    public bool RecordOrder(Deployment deployment, JournalOrder order)
    {
        ArgumentNullException.ThrowIfNull(order);
        var added = 0;
        Write(deployment, durable: true, (tx, id) => added = InsertOrder(tx, id, order));
        return added == 1;
    }

    /// <inheritdoc />
    public bool[] RecordOrders(Deployment deployment, IReadOnlyList<JournalIntent> intents, IReadOnlyList<JournalOrder> orders)
    {
        ArgumentNullException.ThrowIfNull(intents);
        ArgumentNullException.ThrowIfNull(orders);
        var added = new bool[orders.Count];
        Write(deployment, durable: true, (tx, id) =>
        {
            foreach (var intent in intents)
                InsertIntent(tx, id, intent);
            for (var k = 0; k < orders.Count; k++)
                added[k] = InsertOrder(tx, id, orders[k]) == 1;
        });
        return added;
    }

    private int InsertIntent(SqliteTransaction tx, long id, JournalIntent intent) => Run(tx, """
        INSERT OR IGNORE INTO intents (deployment, bar_time, symbol, purpose, target, quantity, reference_price)
        VALUES ($d, $b, $s, $p, $w, $q, $r)
        """, ("$d", id), ("$b", intent.BarTime), ("$s", intent.Symbol), ("$p", intent.Purpose.ToString()), ("$w", Finite(intent.Target)),
        ("$q", intent.Quantity), ("$r", Finite(intent.ReferencePrice)));

    private int InsertOrder(SqliteTransaction tx, long id, JournalOrder order)
    {
        var r = order.Request;
        return Run(tx, """
            INSERT OR IGNORE INTO orders (client_order_id, deployment, seq, bar_time, symbol, purpose, side, type, quantity, price, stop_price,
                time_in_force, reduce_only, status, venue_order_id, filled, average_price, reason, updated)
            VALUES ($c, $d, (SELECT COALESCE(MAX(seq) + 1, 0) FROM orders), $b, $s, $p, $side, $type, $q, $price, $stop, $tif, $ro, $status, NULL, '0', '0', NULL, $t)
            """, ("$c", r.ClientOrderId), ("$d", id), ("$b", order.BarTime), ("$s", r.Symbol), ("$p", order.Purpose.ToString()), ("$side", r.Side.ToString()),
            ("$type", r.Type.ToString()), ("$q", Text(r.Quantity)), ("$price", Text(r.Price)), ("$stop", Text(r.StopPrice)), ("$tif", r.TimeInForce.ToString()),
            ("$ro", r.ReduceOnly ? 1 : 0), ("$status", order.Status.ToString()), ("$t", Now()));
    }

    /// <inheritdoc />
    public void RecordOrderState(Deployment deployment, OrderState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Write(deployment, (tx, id) => UpdateOrder(tx, id, state));
    }

    private int UpdateOrder(SqliteTransaction tx, long id, OrderState state, long? placed = null) => Run(tx, """
        UPDATE orders SET status = $status, venue_order_id = COALESCE($v, venue_order_id), filled = $f, average_price = $a,
            reason = COALESCE($why, reason), updated = $t, placed = COALESCE($p, placed)
        WHERE client_order_id = $c AND deployment = $d
        """, ("$status", JournalOrderStatuses.Of(state.Status).ToString()), ("$v", state.VenueOrderId), ("$f", Text(state.FilledQuantity)),
        ("$a", Text(state.AverageFillPrice)), ("$why", state.RejectReason), ("$t", Now()), ("$p", placed), ("$c", state.ClientOrderId), ("$d", id));

    /// <inheritdoc />
    public void RecordPlacement(Deployment deployment, OrderState state, DateTimeOffset placed)
    {
        ArgumentNullException.ThrowIfNull(state);
        Write(deployment, (tx, id) => UpdateOrder(tx, id, state, placed.ToUnixTimeMilliseconds()));
    }

    /// <inheritdoc />
    public void RecordRequote(Deployment deployment, OrderState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Write(deployment, (tx, id) =>
        {
            UpdateOrder(tx, id, state);
            Run(tx, "UPDATE orders SET requoted = 1 WHERE client_order_id = $c AND deployment = $d", ("$c", state.ClientOrderId), ("$d", id));
        });
    }

    /// <inheritdoc />
    public void MarkUnsent(Deployment deployment, string clientOrderId, string reason) =>
        Write(deployment, (tx, id) => Run(tx, "UPDATE orders SET status = $s, reason = $r, updated = $t WHERE client_order_id = $c AND deployment = $d",
            ("$s", nameof(JournalOrderStatus.Unsent)), ("$r", reason), ("$t", Now()), ("$c", clientOrderId), ("$d", id)));

    /// <inheritdoc />
    public bool RecordFill(Deployment deployment, JournalFill fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        var added = 0;
        Write(deployment, (tx, id) => added = InsertFill(tx, id, fill));
        return added == 1;
    }

    private const string InsertFillSql = """
        INSERT OR IGNORE INTO fills (deployment, seq, symbol, trade_id, client_order_id, quantity, price, fee, fee_asset, time, adopted)
        VALUES ($d, (SELECT COALESCE(MAX(seq) + 1, 0) FROM fills), $s, $id, $c, $q, $p, $fee, $asset, $t, $a)
        """;

    private int InsertFill(SqliteTransaction tx, long id, JournalFill fill) => Run(tx, InsertFillSql, FillParameters(id, fill));

    private static (string Name, object? Value)[] FillParameters(long id, JournalFill fill) =>
        [("$d", id), ("$s", fill.Symbol), ("$id", fill.TradeId), ("$c", fill.ClientOrderId), ("$q", Text(fill.Quantity)), ("$p", Text(fill.Price)),
            ("$fee", Text(fill.Fee)), ("$asset", fill.FeeAsset), ("$t", fill.Time.ToUnixTimeMilliseconds()), ("$a", fill.Adopted ? 1 : 0)];

    /// <inheritdoc />
    public bool[] RecordSettlement(Deployment deployment, IReadOnlyList<OrderState> states, IReadOnlyList<JournalFill> fills)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(fills);
        var added = new bool[fills.Count];
        if (fills.Count == 0 && states.Count == 0)
            return added;
        Write(deployment, (tx, id) =>
        {
            foreach (var state in states)
                UpdateOrder(tx, id, state);
            if (fills.Count == 0)
                return;
            // one statement, compiled once, bound to each fill in turn
            using var command = Command(tx, InsertFillSql, FillParameters(id, fills[0]));
            command.Prepare();
            for (var i = 0; i < fills.Count; i++)
            {
                foreach (var (name, value) in FillParameters(id, fills[i]))
                    command.Parameters[name].Value = value ?? DBNull.Value;
                added[i] = command.ExecuteNonQuery() == 1;
            }
        });
        return added;
    }

    /// <inheritdoc />
    public void RecordStep(Deployment deployment, JournalStep step, IReadOnlyList<VenuePosition> book)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(book);
        Write(deployment, (tx, id) =>
        {
            foreach (var p in book)
            {
                Run(tx, "INSERT OR REPLACE INTO positions (deployment, bar_time, symbol, quantity, entry_price) VALUES ($d, $b, $s, $q, $e)",
                    ("$d", id), ("$b", step.BarTime), ("$s", p.Symbol), ("$q", Text(p.Quantity)), ("$e", Text(p.EntryPrice)));
            }
            Run(tx, "INSERT OR REPLACE INTO steps (deployment, bar_time, equity, stopped) VALUES ($d, $b, $e, $s)",
                ("$d", id), ("$b", step.BarTime), ("$e", Finite(step.Equity)), ("$s", step.Stopped ? 1 : 0));
            if (step.State is { } state)
            {
                Run(tx, "INSERT OR REPLACE INTO runner_states (deployment, bar_time, fills, deferred, funding_since, engine) VALUES ($d, $b, $f, $x, $fs, $e)",
                    ("$d", id), ("$b", step.BarTime), ("$f", state.FillsJournaled), ("$x", string.Join('\n', state.Deferred.Select(k => $"{k.Symbol}\t{k.TradeId}"))),
                    ("$fs", state.FundingSince), ("$e", state.Engine.ToBytes()));
            }
        });
    }

    /// <inheritdoc />
    public void RecordEvent(Deployment deployment, DateTimeOffset time, string kind, string message) =>
        Write(deployment, (tx, id) => Run(tx, "INSERT INTO events (deployment, time, kind, message) VALUES ($d, $t, $k, $m)",
            ("$d", id), ("$t", time.ToUnixTimeMilliseconds()), ("$k", kind), ("$m", message)));

    /// <inheritdoc />
    public IReadOnlyList<JournalOrder> Orders(Deployment deployment) =>
        Query(deployment, """
            SELECT bar_time, client_order_id, symbol, side, type, quantity, price, stop_price, time_in_force, reduce_only, purpose, status,
                venue_order_id, filled, average_price, reason, placed, requoted
            FROM orders WHERE deployment = $d ORDER BY seq
            """, r => new JournalOrder(r.GetInt64(0),
            new OrderRequest(r.GetString(1), r.GetString(2), Enum.Parse<OrderSide>(r.GetString(3)), Enum.Parse<OrderType>(r.GetString(4)), Decimal(r, 5),
                r.IsDBNull(6) ? null : Decimal(r, 6), r.IsDBNull(7) ? null : Decimal(r, 7), Enum.Parse<TimeInForce>(r.GetString(8)), r.GetInt64(9) == 1),
            Enum.Parse<OrderPurpose>(r.GetString(10)), Enum.Parse<JournalOrderStatus>(r.GetString(11)), r.IsDBNull(12) ? null : r.GetString(12),
            Decimal(r, 13), Decimal(r, 14), r.IsDBNull(15) ? null : r.GetString(15))
        {
            Placed = r.IsDBNull(16) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(16)),
            Requoted = r.GetInt64(17) == 1,
        });

    /// <inheritdoc />
    public IReadOnlyList<JournalFill> Fills(Deployment deployment) =>
        Query(deployment, """
            SELECT trade_id, client_order_id, symbol, quantity, price, fee, fee_asset, time, adopted FROM fills WHERE deployment = $d ORDER BY seq
            """, r => new JournalFill(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2), Decimal(r, 3), Decimal(r, 4), Decimal(r, 5),
            r.GetString(6), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)), r.GetInt64(8) == 1));

    /// <inheritdoc />
    public IReadOnlyList<JournalIntent> Intents(Deployment deployment) =>
        Query(deployment, "SELECT bar_time, symbol, purpose, target, quantity, reference_price FROM intents WHERE deployment = $d ORDER BY id",
            r => new JournalIntent(r.GetInt64(0), r.GetString(1), Enum.Parse<OrderPurpose>(r.GetString(2)), r.GetDouble(3), r.GetDouble(4), r.GetDouble(5)));

    /// <inheritdoc />
    public JournalStep? LastStep(Deployment deployment) =>
        Query(deployment, """
            SELECT s.bar_time, s.equity, s.stopped, r.fills, r.deferred, r.funding_since, r.engine
            FROM steps s LEFT JOIN runner_states r ON r.deployment = s.deployment AND r.bar_time = s.bar_time
            WHERE s.deployment = $d ORDER BY s.bar_time DESC LIMIT 1
            """, r => new JournalStep(r.GetInt64(0), r.GetDouble(1), r.GetInt64(2) == 1) { State = r.IsDBNull(3) ? null : State(r) }).FirstOrDefault();

    /// <inheritdoc />
    public IReadOnlyList<(string Kind, string Message)> Events(Deployment deployment) =>
        Query(deployment, "SELECT kind, message FROM events WHERE deployment = $d ORDER BY id", r => (r.GetString(0), r.GetString(1)));

    /// <inheritdoc />
    public void RecordPromotion(Promotion promotion)
    {
        ArgumentNullException.ThrowIfNull(promotion);
        try
        {
            Durable(true);
            using var tx = _connection.BeginTransaction(deferred: false);
            Run(tx, """
                INSERT INTO promotions (strategy, deployment_hash, stage, data_hash, parameters, source, time) VALUES ($s, $h, $st, $d, $p, $src, $t)
                """, ("$s", promotion.Strategy), ("$h", promotion.DeploymentHash), ("$st", promotion.Stage.ToString()), ("$d", promotion.DataHash),
                ("$p", promotion.Parameters), ("$src", promotion.Source), ("$t", promotion.Time.ToUnixTimeMilliseconds()));
            tx.Commit();
        }
        catch (SqliteException e)
        {
            throw new JournalException($"{Path}: cannot write the journal: {e.Message}");
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<Promotion> Promotions(string strategy) =>
        Rows("SELECT strategy, deployment_hash, stage, data_hash, parameters, source, time FROM promotions WHERE strategy = $s ORDER BY id",
            r => new Promotion(r.GetString(0), r.GetString(1), Enum.Parse<PromotionStage>(r.GetString(2)), r.GetString(3), r.GetString(4), r.GetString(5),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6))), ("$s", strategy));

    /// <inheritdoc />
    public IReadOnlyList<Deployment> PaperSessions(string strategy, string deploymentHash) =>
        Rows("""
            SELECT strategy, plan_hash, venue, session FROM deployments d
            WHERE strategy = $s AND plan_hash = $h AND venue = 'simulated' AND EXISTS (SELECT 1 FROM steps WHERE deployment = d.id)
            ORDER BY session
            """, r => new Deployment(r.GetString(0), r.GetString(1), r.GetString(2), (int)r.GetInt64(3)), ("$s", strategy), ("$h", deploymentHash));

    /// <summary>The book after the last step: each symbol's quantity and entry price, as journaled.</summary>
    public IReadOnlyList<VenuePosition> LastBook(Deployment deployment) =>
        Query(deployment, """
            SELECT symbol, quantity, entry_price FROM positions
            WHERE deployment = $d AND bar_time = (SELECT MAX(bar_time) FROM steps WHERE deployment = $d)
            ORDER BY symbol
            """, r => new VenuePosition(r.GetString(0), Decimal(r, 1), Decimal(r, 2)));

    /// <inheritdoc />
    public void Dispose() => _connection.Dispose();

    private long Id(Deployment deployment, SqliteTransaction? tx = null)
    {
        if (_ids.TryGetValue(deployment, out var id))
            return id;
        var found = Scalar(tx, "SELECT id FROM deployments WHERE strategy = $s AND plan_hash = $h AND venue = $v AND session = $n",
            ("$s", deployment.Strategy), ("$h", deployment.PlanHash), ("$v", deployment.Venue), ("$n", deployment.Session));
        if (found is not long known)
            throw new JournalException($"{Path}: deployment {deployment.Key} was not opened in this journal");
        _ids[deployment] = known;
        return known;
    }

    private void Write(Deployment deployment, Action<SqliteTransaction, long> write) => Write(deployment, durable: false, write);

    // durable: fsynced before it returns; else fsynced with the next durable write (a killed process loses neither)
    private void Write(Deployment deployment, bool durable, Action<SqliteTransaction, long> write)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        try
        {
            Durable(durable);
            using var tx = _connection.BeginTransaction(deferred: false);
            write(tx, Id(deployment, tx));
            tx.Commit();
        }
        catch (SqliteException e)
        {
            throw new JournalException($"{Path}: cannot write the journal: {e.Message}");
        }
    }

    private void Durable(bool durable)
    {
        if (durable == _durable)
            return;
        Execute(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        _durable = durable;
    }

    private List<T> Query<T>(Deployment deployment, string sql, Func<SqliteDataReader, T> read)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$d", Id(deployment));
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
            rows.Add(read(reader));
        return rows;
    }

    private List<T> Rows<T>(string sql, Func<SqliteDataReader, T> read, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(null, sql, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
            rows.Add(read(reader));
        return rows;
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private int Run(SqliteTransaction tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(tx, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private object? Scalar(SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(tx, sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    private SqliteCommand Command(SqliteTransaction? tx, string sql, (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static RunnerState State(SqliteDataReader r)
    {
        var deferred = r.GetString(4).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t')).Select(p => (p[0], p[1])).ToList();
        return new RunnerState(EngineState.FromBytes((byte[])r.GetValue(6)), (int)r.GetInt64(3), deferred, r.GetInt64(5));
    }

    private static string? Text(decimal? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static decimal Decimal(SqliteDataReader r, int column) => decimal.Parse(r.GetString(column), NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);

    // NaN cannot be stored as a REAL: a flat target is 0
    private static double Finite(double x) => double.IsFinite(x) ? x : 0;

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}

/// <summary>The journal cannot be opened or written; the message says which file and why, in one line.</summary>
public sealed class JournalException(string message) : Exception(message);
