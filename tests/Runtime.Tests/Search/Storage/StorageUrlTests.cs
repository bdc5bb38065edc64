using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Search.Storage;

namespace StrategyLab.Runtime.Tests.Search.Storage;

public sealed class StorageUrlTests
{
    [Theory]
    [InlineData("sqlite:runs/studies.db", "runs/studies.db")]
    [InlineData("sqlite:/var/lib/lab/studies.db", "/var/lib/lab/studies.db")]
    [InlineData("sqlite:///example.db", "example.db")] // SQLAlchemy's relative form, as Optuna users write it
    [InlineData("sqlite:////var/lib/lab/studies.db", "/var/lib/lab/studies.db")]
    [InlineData("  SQLITE:studies.db ", "studies.db")]
    public void ReadsASqliteFile(string url, string path)
    {
        var parsed = Assert.IsType<SqliteStorageUrl>(StorageUrl.Parse(url));

        Assert.Equal(path, parsed.Path);
        Assert.Equal("sqlite:" + path, parsed.ToString());
    }

    [Fact]
    public void KeepsTheDefaultFileBesideTheRuns() =>
        Assert.Equal(Path.Combine("runs", "studies.db"), StorageUrl.Default("runs").Path);

    [Fact]
    public void ReadsAPostgresUrlWithAnEscapedPasswordAndShowsItHidden()
    {
        var url = "postgresql://lab:s3cret%3Ap%40ss%2Fword%25@db.internal:6543/studies?sslmode=require&connect_timeout=3";

        var parsed = Assert.IsType<PostgresStorageUrl>(StorageUrl.Parse(url));

        Assert.Equal(new PostgresStorageUrl("db.internal", 6543, "studies", "lab", "s3cret:p@ss/word%", "require", 3), parsed);
        Assert.Equal("postgresql://lab:***@db.internal:6543/studies?sslmode=require&connect_timeout=3", parsed.ToString());
        Assert.Equal(parsed.Display, $"{parsed}");
    }

    [Theory]
    [InlineData("postgres://lab@db/studies", "db", 5432, "lab", null, "postgresql://lab@db:5432/studies")]
    [InlineData("postgresql://lab:p@ss@db/studies", "db", 5432, "lab", "p@ss", "postgresql://lab:***@db:5432/studies")]
    [InlineData("postgresql://lab:pw@[::1]:5433/studies", "::1", 5433, "lab", "pw", "postgresql://lab:***@[::1]:5433/studies")]
    [InlineData("postgresql://lab@/studies?host=/var/run/postgresql", "/var/run/postgresql", 5432, "lab", null, "postgresql://lab@/studies?host=/var/run/postgresql")]
    [InlineData("postgresql://lab:pw@:5439/studies", "localhost", 5439, "lab", "pw", "postgresql://lab:***@localhost:5439/studies")]
    public void ReadsEachFormOfAPostgresUrl(string url, string host, int port, string user, string? password, string display)
    {
        var parsed = Assert.IsType<PostgresStorageUrl>(StorageUrl.Parse(url));

        Assert.Equal((host, port, "studies", user, password), (parsed.Host, parsed.Port, parsed.Database, parsed.User, parsed.Password));
        Assert.Equal(PostgresStorageUrl.DefaultConnectTimeoutSeconds, parsed.ConnectTimeoutSeconds);
        Assert.Equal(display, parsed.Display);
    }

    [Fact]
    public void ReadsMemory() => Assert.IsType<MemoryStorageUrl>(StorageUrl.Parse("memory:"));

    [Theory]
    [InlineData("studies.db", "storage URL 'studies.db': expected sqlite:PATH, postgresql://user:password@host:port/database or memory:")]
    [InlineData("mysql://lab:hunter2@db/studies", "storage URL 'mysql://lab:***@db/studies': expected sqlite:PATH, postgresql://user:password@host:port/database or memory:")]
    [InlineData("sqlite:", "storage URL 'sqlite:': no file after sqlite: (e.g. sqlite:runs/studies.db)")]
    [InlineData("sqlite://server/studies.db", "storage URL 'sqlite://server/studies.db': a SQLite storage is a file: sqlite:PATH or sqlite:///PATH, not a host")]
    [InlineData("postgresql://db/studies", "storage URL 'postgresql://db/studies': expected postgresql://user:password@host:port/database (no user@)")]
    [InlineData("postgresql://:hunter2@db/studies", "storage URL 'postgresql://:***@db/studies': no user name before the password")]
    [InlineData("postgresql://lab:hunter2@db", "storage URL 'postgresql://lab:***@db': expected postgresql://user:password@host:port/database (no database after the host)")]
    [InlineData("postgresql://lab:hunter2@db:99999/studies", "storage URL 'postgresql://lab:***@db:99999/studies': port '99999' is not a number from 1 to 65535")]
    [InlineData("postgresql://lab:hunter2@db:x/studies", "storage URL 'postgresql://lab:***@db:x/studies': port 'x' is not a number from 1 to 65535")]
    [InlineData("postgresql://lab:hunter2@db/studies?sslmode=maybe", "storage URL 'postgresql://lab:***@db/studies?sslmode=maybe': sslmode 'maybe' is not one of disable, allow, prefer, require, verify-ca, verify-full")]
    [InlineData("postgresql://lab:hunter2@db/studies?connect_timeout=0", "storage URL 'postgresql://lab:***@db/studies?connect_timeout=0': connect_timeout '0' is not a whole number of seconds of at least 1")]
    [InlineData("postgresql://lab:hunter2@db/studies?timeout=3", "storage URL 'postgresql://lab:***@db/studies?timeout=3': unknown option 'timeout' (known: sslmode, connect_timeout, host)")]
    [InlineData("postgresql://lab:hun%zzter2@db/studies", "storage URL 'postgresql://lab:***@db/studies': a %-escape is malformed (write % itself as %25)")]
    public void RefusesAMalformedUrlInOneLineWithoutThePassword(string url, string message)
    {
        var error = Assert.Throws<StudyStorageException>(() => StorageUrl.Parse(url));

        Assert.Equal((StudyStorageFault.BadLocation, 2, message), (error.Fault, error.ExitCode, error.Message));
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgresql://lab:a/b@c@db:5432/studies", "postgresql://lab:***@db:5432/studies")]
    [InlineData("postgresql://lab@db/studies", "postgresql://lab@db/studies")]
    [InlineData("sqlite:runs/a@b.db", "sqlite:runs/a@b.db")]
    public void RedactsOnlyThePassword(string url, string redacted) => Assert.Equal(redacted, StorageUrl.Redact(url));

    [Fact]
    public void ReadsAnyEscapedPasswordBackAndNeverShowsIt()
    {
        Prop.ForAll(ArbMap.Default.GeneratorFor<NonEmptyString>().ToArbitrary(), secret =>
        {
            var password = "pw-" + secret.Get;
            var url = $"postgresql://lab:{Uri.EscapeDataString(password)}@db:5432/studies";
            var parsed = (PostgresStorageUrl)StorageUrl.Parse(url);
            return parsed.Password == password && !parsed.Display.Contains("pw-", StringComparison.Ordinal)
                && !StorageUrl.Redact(url).Contains("pw-", StringComparison.Ordinal);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }
}
