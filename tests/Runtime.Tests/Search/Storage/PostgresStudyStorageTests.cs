using System.Net;
using System.Net.Sockets;
using StrategyLab.Runtime.Search.Storage;
using StrategyLab.Tests.Servers;

namespace StrategyLab.Runtime.Tests.Search.Storage;

[Collection(PostgresCollection.Name)]
public sealed class PostgresStudyStorageTests(PostgresServer server) : SqlStudyStorageContract
{
    private readonly string _database = server.CreateDatabase();

    protected override string Url => server.Url(_database);

    protected override IStudyStorage OpenStore() => new PostgresStudyStorage((PostgresStorageUrl)StorageUrl.Parse(Url), Clock);

    protected override void ExecuteRaw(string sql) => server.Execute(_database, sql);

    protected override object? ScalarRaw(string sql) => server.Scalar(_database, sql);

    [Fact]
    public void ReadsHeartbeatsOnTheServersClock()
    {
        // without a clock of the test's, heartbeats and their expiry are read on the server's clock
        using var storage = StudyStorage.Open(Url);
        var study = storage.OpenOrCreate(Definition());
        var trial = storage.StartTrial(study.Id, new Dictionary<string, Plan.ScalarValue> { ["x"] = Plan.ScalarValue.Of(1), ["kind"] = Plan.ScalarValue.Of("a") }, "w1");
        var serverNow = Convert.ToInt64(server.Scalar(_database, "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint"));
        var heartbeat = Convert.ToInt64(server.Scalar(_database, $"SELECT heartbeat FROM strategylab_trials WHERE id = {trial.Id}"));

        Assert.Equal(0, storage.FailStale(study.Id, TimeSpan.FromHours(1)));
        Assert.InRange(heartbeat, serverNow - 3_600_000_000L, serverNow);
        Assert.Equal(1, storage.FailStale(study.Id, TimeSpan.Zero));
    }

    [Fact]
    public void SaysTheServerIsUnreachableWhenNothingListens()
    {
        var port = ClosedPort();
        var url = $"postgresql://lab:hunter2@127.0.0.1:{port}/studies";

        var error = Assert.Throws<StudyStorageException>(() => StudyStorage.Open(url));

        Assert.Equal(StudyStorageFault.Unreachable, error.Fault);
        Assert.StartsWith($"storage postgresql://lab:***@127.0.0.1:{port}/studies is unreachable: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("refused", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GivesUpOnAServerThatNeverAnswersAfterTheConnectTimeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts connections (the kernel does) and never says a word
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;

        var error = Assert.Throws<StudyStorageException>(() => StudyStorage.Open($"postgresql://lab:hunter2@127.0.0.1:{port}/studies?connect_timeout=1"));

        Assert.Equal($"storage postgresql://lab:***@127.0.0.1:{port}/studies?connect_timeout=1 is unreachable: no answer within 1 s", error.Message);
    }

    [Fact]
    public void SaysTheLoginWasRefusedWithoutShowingThePassword()
    {
        var url = server.Url(_database, password: "wrong:p@ss");

        var error = Assert.Throws<StudyStorageException>(() => StudyStorage.Open(url));

        Assert.Equal(StudyStorageFault.Unreachable, error.Fault);
        Assert.Equal($"storage postgresql://{PostgresServer.User}:***@127.0.0.1:{server.Port}/{_database} refused the login: "
            + $"password authentication failed for user \"{PostgresServer.User}\"", error.Message);
        Assert.DoesNotContain("wrong", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaysWhichDatabaseIsMissing()
    {
        var error = Assert.Throws<StudyStorageException>(() => StudyStorage.Open(server.Url("no_such_db")));

        Assert.Equal($"storage postgresql://{PostgresServer.User}:***@127.0.0.1:{server.Port}/no_such_db is unreachable: database \"no_such_db\" does not exist", error.Message);
    }

    // a port the system just handed out and took back: nothing listens on it
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
