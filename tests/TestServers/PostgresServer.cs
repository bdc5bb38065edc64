using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace StrategyLab.Tests.Servers;

/// <summary>
/// A PostgreSQL server of the tests' own: Debian's initdb and pg_ctl on a temporary folder (data,
/// Unix socket, log), listening on a free port of 127.0.0.1, with password logins over TCP. As root
/// the server runs as the postgres user, since PostgreSQL refuses to run as root. Stopped and
/// deleted on Dispose; a folder left by a test run that died is cleaned up by the next one.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    /// <summary>The superuser the tests log in as.</summary>
    public const string User = "strategylab";

    /// <summary>Its password, with characters a URL must escape.</summary>
    public const string Password = "s3cret:p@ss/word%";

    private const string FolderPrefix = "strategylab-pg-";

    private readonly string _bin;
    private readonly string? _runAs;
    private readonly string _folder;
    private int _databases;

    /// <summary>Creates and starts the server.</summary>
    public PostgresServer()
    {
        _bin = FindPrograms();
        _runAs = Environment.UserName == "root" ? "postgres" : null;
        // the postgres user must reach the folder: /tmp, not a TMPDIR that may sit in root's home
        var parent = _runAs is null ? Path.GetTempPath() : "/tmp";
        StopOrphans(parent, _bin, _runAs);
        _folder = Path.Combine(parent, FolderPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_folder);
        File.WriteAllText(Path.Combine(_folder, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        File.WriteAllText(Path.Combine(_folder, "password"), Password + "\n");
        if (_runAs is not null)
            Run("chown", "-R", $"{_runAs}:{_runAs}", _folder);
        RunServerProgram("initdb", "-D", DataFolder, "-U", User, "--pwfile=" + Path.Combine(_folder, "password"),
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync");
        Port = FreePort();
        RunServerProgram("pg_ctl", "-D", DataFolder, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "120", "-o",
            $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            "start");
    }

    /// <summary>The TCP port the server listens on.</summary>
    public int Port { get; }

    private string DataFolder => Path.Combine(_folder, "data");

    /// <summary>The storage URL of <paramref name="database"/> on this server.</summary>
    public string Url(string database, string password = Password) =>
        $"postgresql://{User}:{Uri.EscapeDataString(password)}@127.0.0.1:{Port}/{database}";

    /// <summary>Creates an empty database of its own for a test and returns its name.</summary>
    public string CreateDatabase()
    {
        var name = $"study_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        Execute("postgres", $"CREATE DATABASE {name}");
        return name;
    }

    /// <summary>Runs SQL in <paramref name="database"/>, behind the storage's back.</summary>
    public void Execute(string database, string sql)
    {
        using var connection = Connect(database);
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    /// <summary>The first column of the first row of a query in <paramref name="database"/>.</summary>
    public object? Scalar(string database, string sql)
    {
        using var connection = Connect(database);
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    /// <summary>Stops the server and deletes its folder.</summary>
    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        RunServerProgram("pg_ctl", "-D", DataFolder, "-m", "immediate", "-w", "stop");
        Directory.Delete(_folder, recursive: true);
    }

    private NpgsqlConnection Connect(string database)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Database = database,
            Username = User,
            Password = Password,
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    private void RunServerProgram(string program, params string[] arguments) => RunServerProgramAs(_bin, _runAs, program, arguments);

    private static void RunServerProgramAs(string bin, string? runAs, string program, params string[] arguments)
    {
        var path = Path.Combine(bin, program);
        if (runAs is null)
            Run(path, arguments);
        else
            Run("runuser", ["-u", runAs, "--", path, .. arguments]);
    }

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {output} {error.Result}");
    }

    /// <summary>The folder of Debian's PostgreSQL server programs, the newest version when several are installed.</summary>
    private static string FindPrograms()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
                .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException(
            "PostgreSQL's server programs (initdb, pg_ctl) are not under /usr/lib/postgresql/*/bin: install Debian's postgresql package (test.sh does)");
    }

    /// <summary>Stops the servers of test runs that died without stopping them, and deletes their folders.</summary>
    private static void StopOrphans(string parent, string bin, string? runAs)
    {
        foreach (var folder in Directory.GetDirectories(parent, FolderPrefix + "*"))
        {
            var owner = Path.Combine(folder, "owner.pid");
            if (!File.Exists(owner) || !int.TryParse(File.ReadAllText(owner), out var pid) || IsAlive(pid))
                continue;
            if (File.Exists(Path.Combine(folder, "data", "postmaster.pid")))
            {
                try
                {
                    RunServerProgramAs(bin, runAs, "pg_ctl", "-D", Path.Combine(folder, "data"), "-m", "immediate", "-w", "stop");
                }
                catch (InvalidOperationException)
                {
                    // its server was already gone
                }
            }
            Directory.Delete(folder, recursive: true);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
