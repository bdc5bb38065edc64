using Microsoft.Data.Sqlite;
using StrategyLab.Runtime.Search.Storage;
using StrategyLab.Runtime.Tests.Data;

namespace StrategyLab.Runtime.Tests.Search.Storage;

public sealed class SqliteStudyStorageTests : SqlStudyStorageContract
{
    private readonly TempFolder _folder = new();

    private string File => Path.Combine(_folder.Path, "studies.db");

    protected override string Url => "sqlite:" + File;

    protected override IStudyStorage OpenStore() => new SqliteStudyStorage((SqliteStorageUrl)StorageUrl.Parse(Url), Clock);

    protected override void ExecuteRaw(string sql)
    {
        using var connection = RawConnection();
        using var command = new SqliteCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    protected override object? ScalarRaw(string sql)
    {
        using var connection = RawConnection();
        using var command = new SqliteCommand(sql, connection);
        return command.ExecuteScalar();
    }

    public override void Dispose()
    {
        base.Dispose();
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    [Fact]
    public void KeepsTheFileInWalMode()
    {
        using (OpenStore())
        {
        }

        Assert.Equal("wal", ScalarRaw("PRAGMA journal_mode"));
    }

    [Fact]
    public void LeavesAFileOfAnotherVersionInItsJournalMode()
    {
        // written by some other program: no WAL switch, no table, before the version is refused
        ExecuteRaw("CREATE TABLE strategylab_schema (version integer NOT NULL); INSERT INTO strategylab_schema VALUES (7)");
        var before = System.IO.File.ReadAllBytes(File);

        var error = Assert.Throws<StudyStorageException>(OpenStore);

        Assert.Equal($"storage sqlite:{File} has schema version 7; this program reads 1", error.Message);
        Assert.Equal("delete", ScalarRaw("PRAGMA journal_mode"));
        Assert.Equal(before, System.IO.File.ReadAllBytes(File));
    }

    [Fact]
    public void SaysWhichFolderIsMissing()
    {
        var missing = Path.Combine(_folder.Path, "no-such-folder", "studies.db");

        var error = Assert.Throws<StudyStorageException>(() => StudyStorage.Open("sqlite:" + missing));

        Assert.Equal((StudyStorageFault.Unreachable, 1), (error.Fault, error.ExitCode));
        Assert.Equal($"storage sqlite:{missing} cannot be opened: folder {Path.GetDirectoryName(missing)} does not exist", error.Message);
    }

    [Fact]
    public void RefusesAFileThatIsNotADatabaseAndLeavesItAlone()
    {
        var text = _folder.Write("notes.db", "these are my notes, not a database\n");

        var error = Assert.Throws<StudyStorageException>(() => StudyStorage.Open("sqlite:" + text));

        Assert.Equal($"storage sqlite:{text} is not a SQLite database", error.Message);
        Assert.Equal("these are my notes, not a database\n", System.IO.File.ReadAllText(text));
    }

    private SqliteConnection RawConnection()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = File, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }
}
