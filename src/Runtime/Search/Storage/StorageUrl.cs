using System.Globalization;

namespace StrategyLab.Runtime.Search.Storage;

/// <summary>
/// Where studies are kept, read from a URL: <c>sqlite:PATH</c> (also SQLAlchemy's <c>sqlite:///PATH</c>),
/// <c>postgresql://user:password@host:port/database</c> or <c>memory:</c>. <see cref="ToString"/> never shows a password.
/// </summary>
public abstract record StorageUrl
{
    /// <summary>The file name of the default SQLite storage, kept beside the runs.</summary>
    public const string DefaultFileName = "studies.db";

    private const string Expected = "expected sqlite:PATH, postgresql://user:password@host:port/database or memory:";

    /// <summary>The URL as it may be shown in messages and logs: the password, if any, is <c>***</c>.</summary>
    public abstract string Display { get; }

    /// <inheritdoc />
    public sealed override string ToString() => Display;

    /// <summary>The default storage: <c>sqlite:RUNS/studies.db</c>, one file beside the runs.</summary>
    public static SqliteStorageUrl Default(string runsFolder) => new(Path.Combine(runsFolder, DefaultFileName));

    /// <summary>Reads a storage URL; a malformed one is a <see cref="StudyStorageFault.BadLocation"/> error naming it with its password hidden.</summary>
    public static StorageUrl Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var url = text.Trim();
        if (url.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
            return ParseSqlite(url, url["sqlite:".Length..]);
        if (url.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return PostgresStorageUrl.ParseAfterScheme(url, url["postgresql://".Length..]);
        if (url.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
            return PostgresStorageUrl.ParseAfterScheme(url, url["postgres://".Length..]);
        if (url.Equals("memory:", StringComparison.OrdinalIgnoreCase))
            return new MemoryStorageUrl();
        throw Bad(url, Expected);
    }

    /// <summary>The URL <paramref name="url"/> with the password of its <c>scheme://user:password@</c> part shown as <c>***</c>.</summary>
    public static string Redact(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        // the last @ ends the user part, as when parsing, so a password holding '@' or '/' is hidden whole
        var at = url.LastIndexOf('@');
        if (scheme < 0 || at < scheme)
            return url;
        var colon = url.IndexOf(':', scheme + 3);
        return colon < 0 || colon > at ? url : url[..colon] + ":***" + url[at..];
    }

    internal static StudyStorageException Bad(string url, string why) =>
        new(StudyStorageFault.BadLocation, $"storage URL '{Redact(url)}': {why}");

    private static SqliteStorageUrl ParseSqlite(string url, string rest)
    {
        // SQLAlchemy's form, which Optuna users type: sqlite:///relative.db, sqlite:////absolute.db
        if (rest.StartsWith("///", StringComparison.Ordinal))
            rest = rest[3..];
        else if (rest.StartsWith("//", StringComparison.Ordinal))
            throw Bad(url, "a SQLite storage is a file: sqlite:PATH or sqlite:///PATH, not a host");
        if (rest.Length == 0)
            throw Bad(url, "no file after sqlite: (e.g. sqlite:runs/studies.db)");
        return new SqliteStorageUrl(rest);
    }
}

/// <summary>A SQLite file, shared by the processes of one machine.</summary>
public sealed record SqliteStorageUrl(string Path) : StorageUrl
{
    /// <inheritdoc />
    public override string Display => "sqlite:" + Path;
}

/// <summary>Studies kept in this process only, lost when it ends.</summary>
public sealed record MemoryStorageUrl : StorageUrl
{
    /// <inheritdoc />
    public override string Display => "memory:";
}

/// <summary>
/// A PostgreSQL database shared by workers on any number of machines. Options in the query:
/// <c>sslmode</c> (disable, allow, prefer, require, verify-ca, verify-full), <c>connect_timeout</c>
/// (seconds, default 5) and <c>host</c> (a Unix socket folder instead of the TCP host).
/// </summary>
public sealed record PostgresStorageUrl(string Host, int Port, string Database, string User, string? Password, string? SslMode = null, int ConnectTimeoutSeconds = PostgresStorageUrl.DefaultConnectTimeoutSeconds) : StorageUrl
{
    /// <summary>PostgreSQL's port when the URL names none.</summary>
    public const int DefaultPort = 5432;

    /// <summary>How long opening a connection may take before the storage counts as unreachable.</summary>
    public const int DefaultConnectTimeoutSeconds = 5;

    private static readonly string[] SslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

    /// <inheritdoc />
    public override string Display
    {
        get
        {
            var user = Uri.EscapeDataString(User) + (Password is null ? "" : ":***");
            var host = Host.StartsWith('/') ? "" : Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
            var query = new List<string>();
            if (Host.StartsWith('/'))
                query.Add("host=" + Host);
            if (SslMode is not null)
                query.Add("sslmode=" + SslMode);
            if (ConnectTimeoutSeconds != DefaultConnectTimeoutSeconds)
                query.Add("connect_timeout=" + ConnectTimeoutSeconds.ToString(CultureInfo.InvariantCulture));
            return $"postgresql://{user}@{host}/{Uri.EscapeDataString(Database)}" + (query.Count == 0 ? "" : "?" + string.Join('&', query));
        }
    }

    internal static PostgresStorageUrl ParseAfterScheme(string url, string rest)
    {
        const string shape = "expected postgresql://user:password@host:port/database";
        var queryAt = rest.IndexOf('?', StringComparison.Ordinal);
        var query = queryAt < 0 ? "" : rest[(queryAt + 1)..];
        var main = queryAt < 0 ? rest : rest[..queryAt];
        // the last @ ends the user part, so a password with an unescaped @ still reads
        var at = main.LastIndexOf('@');
        if (at <= 0)
            throw Bad(url, shape + " (no user@)");
        var (user, password) = ReadUser(url, main[..at]);
        var slash = main.IndexOf('/', at + 1);
        if (slash < 0 || slash == main.Length - 1)
            throw Bad(url, shape + " (no database after the host)");
        var database = Unescape(url, main[(slash + 1)..]);
        var (host, port) = ReadHost(url, main[(at + 1)..slash]);
        var parsed = new PostgresStorageUrl(host, port, database, user, password);
        return ReadOptions(url, query, parsed);
    }

    private static (string User, string? Password) ReadUser(string url, string userInfo)
    {
        var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
        var user = Unescape(url, colon < 0 ? userInfo : userInfo[..colon]);
        if (user.Length == 0)
            throw Bad(url, "no user name before the password");
        return (user, colon < 0 ? null : Unescape(url, userInfo[(colon + 1)..]));
    }

    private static (string Host, int Port) ReadHost(string url, string hostPort)
    {
        string host;
        string? port = null;
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
                throw Bad(url, "an IPv6 host needs a closing ]");
            host = hostPort[1..close];
            if (close + 1 < hostPort.Length)
                port = hostPort[(close + 1)..].StartsWith(':') ? hostPort[(close + 2)..] : throw Bad(url, "expected :port after the IPv6 host");
        }
        else
        {
            var colon = hostPort.LastIndexOf(':');
            host = colon < 0 ? hostPort : hostPort[..colon];
            port = colon < 0 ? null : hostPort[(colon + 1)..];
        }
        if (host.Length == 0)
            host = "localhost";
        if (port is null)
            return (host, DefaultPort);
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            throw Bad(url, $"port '{port}' is not a number from 1 to 65535");
        return (host, number);
    }

    private static PostgresStorageUrl ReadOptions(string url, string query, PostgresStorageUrl parsed)
    {
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? "" : Unescape(url, pair[(eq + 1)..]);
            parsed = key switch
            {
                "sslmode" when SslModes.Contains(value) => parsed with { SslMode = value },
                "sslmode" => throw Bad(url, $"sslmode '{value}' is not one of {string.Join(", ", SslModes)}"),
                "connect_timeout" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s >= 1 => parsed with { ConnectTimeoutSeconds = s },
                "connect_timeout" => throw Bad(url, $"connect_timeout '{value}' is not a whole number of seconds of at least 1"),
                "host" when value.StartsWith('/') => parsed with { Host = value },
                "host" => throw Bad(url, "the host option takes a Unix socket folder such as /var/run/postgresql"),
                _ => throw Bad(url, $"unknown option '{key}' (known: sslmode, connect_timeout, host)"),
            };
        }
        return parsed;
    }

    private static string Unescape(string url, string text)
    {
        for (var i = text.IndexOf('%', StringComparison.Ordinal); i >= 0; i = text.IndexOf('%', i + 1))
            if (i + 2 >= text.Length || !Uri.IsHexDigit(text[i + 1]) || !Uri.IsHexDigit(text[i + 2]))
                throw Bad(url, "a %-escape is malformed (write % itself as %25)");
        return Uri.UnescapeDataString(text);
    }
}
