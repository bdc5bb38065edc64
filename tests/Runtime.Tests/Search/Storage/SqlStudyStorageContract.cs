using StrategyLab.Runtime.Search.Storage;

namespace StrategyLab.Runtime.Tests.Search.Storage;

/// <summary>What the SQL storages (SQLite, PostgreSQL) must do beyond the contract: their tables' version.</summary>
public abstract class SqlStudyStorageContract : StudyStorageContract
{
    /// <summary>The store's URL, as a user types it.</summary>
    protected abstract string Url { get; }

    /// <summary>Runs SQL in the store behind the storage's back.</summary>
    protected abstract void ExecuteRaw(string sql);

    /// <summary>The first column of the first row of a query run behind the storage's back.</summary>
    protected abstract object? ScalarRaw(string sql);

    [Fact]
    public void RefusesAStorageOfAnotherSchemaVersionBeforeWritingAnything()
    {
        using (var storage = OpenStore())
            storage.StartTrial(storage.OpenOrCreate(Definition()).Id, new Dictionary<string, Plan.ScalarValue> { ["x"] = Plan.ScalarValue.Of(1), ["kind"] = Plan.ScalarValue.Of("a") }, "w1");
        ExecuteRaw("UPDATE strategylab_schema SET version = 2");

        var error = Assert.Throws<StudyStorageException>(OpenStore);

        Assert.Equal(StudyStorageFault.SchemaVersion, error.Fault);
        Assert.Equal($"storage {StorageUrl.Parse(Url)} has schema version 2; this program reads 1", error.Message);
        Assert.Equal(2L, Convert.ToInt64(ScalarRaw("SELECT version FROM strategylab_schema")));
        Assert.Equal(1L, Convert.ToInt64(ScalarRaw("SELECT COUNT(*) FROM strategylab_trials")));
        Assert.Equal("RUNNING", ScalarRaw("SELECT state FROM strategylab_trials"));
    }

    [Fact]
    public void RefusesStudyTablesWithoutASchemaVersion()
    {
        ExecuteRaw("CREATE TABLE strategylab_studies (id integer)");

        var error = Assert.Throws<StudyStorageException>(OpenStore);

        Assert.Equal($"storage {StorageUrl.Parse(Url)} holds study tables without a schema version; this program reads version 1", error.Message);
        Assert.Equal(0L, Convert.ToInt64(ScalarRaw("SELECT COUNT(*) FROM strategylab_studies")));
    }

    [Fact]
    public void CreatesTheTablesOnceWhenWorkersStartAtOnce()
    {
        const int workers = 6;
        var opened = new IStudyStorage[workers];
        using var start = new Barrier(workers);

        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            start.SignalAndWait();
            opened[w] = OpenStore();
            opened[w].OpenOrCreate(Definition());
        });

        foreach (var s in opened)
            s.Dispose();
        Assert.Equal(1L, Convert.ToInt64(ScalarRaw("SELECT COUNT(*) FROM strategylab_schema")));
        Assert.Equal(1L, Convert.ToInt64(ScalarRaw("SELECT COUNT(*) FROM strategylab_studies")));
    }
}
