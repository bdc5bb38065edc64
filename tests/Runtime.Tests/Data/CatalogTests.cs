using StrategyLab.Runtime.Data;

namespace StrategyLab.Runtime.Tests.Data;

public sealed class CatalogTests
{
    private static DatasetSpec Spec(string name) =>
        new() { Name = name, Interval = "1d", Sources = [new SourceSpec { File = name + ".csv" }] };

    [Fact]
    public void PutAddsADatasetAndReplacesOneOfTheSameName()
    {
        using var folder = new TempFolder();
        var catalog = Catalog.Open(folder.Path);
        catalog.Put(Spec("a"));
        catalog.Put(Spec("b"));
        catalog.Put(Spec("a") with { Description = "again" });

        var stored = Catalog.Open(folder.Path).Datasets;
        Assert.Equal(["b", "a"], stored.Select(d => d.Name));
        Assert.Equal("again", stored[1].Description);
        Assert.Equal(stored.Select(Catalog.Canonical), catalog.Datasets.Select(Catalog.Canonical)); // the object holds what it wrote
    }

    [Fact]
    public void ImportsIntoOneFolderAtOnceKeepEveryDataset()
    {
        using var folder = new TempFolder();
        const int importers = 8;
        // each opened the catalog before any wrote, as processes started together do
        var catalogs = Enumerable.Range(0, importers).Select(_ => Catalog.Open(folder.Path)).ToList();
        using var start = new Barrier(importers);

        Parallel.For(0, importers, new ParallelOptions { MaxDegreeOfParallelism = importers }, i =>
        {
            start.SignalAndWait();
            for (var round = 0; round < 5; round++)
                catalogs[i].Put(Spec($"set{i}_{round}"));
        });

        var names = Catalog.Open(folder.Path).Datasets.Select(d => d.Name).Order(StringComparer.Ordinal);
        var expected = from i in Enumerable.Range(0, importers) from r in Enumerable.Range(0, 5) select $"set{i}_{r}";
        Assert.Equal(expected.Order(StringComparer.Ordinal), names);
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp*"));
    }
}
