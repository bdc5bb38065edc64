using System.Diagnostics;
using System.Text.Json.Nodes;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Data.Cache;

namespace StrategyLab.Runtime.Tests.Data;

public sealed class PanelCacheTests
{
    private const string Header = "date,symbol,base,open,high,low,close,volume\n";

    private static string Rows(int fromDay, int toDay) => string.Concat(Enumerable.Range(fromDay, toDay - fromDay + 1).SelectMany(d => new[]
    {
        $"2024-01-{d:00},BTC/USD,BTC,{100 + d},{110 + d},{90 + d},{105 + d},{d}\n",
        $"2024-01-{d:00},ETH/USD,ETH,{10 + d},{11 + d},{9 + d},{10.5 + d},{2 * d}\n",
    }));

    private static void AssertSameData(Panel expected, Panel actual)
    {
        Assert.Equal(expected.Symbols.ToArray(), actual.Symbols.ToArray());
        Assert.Equal(expected.Columns.ToArray(), actual.Columns.ToArray());
        Assert.Equal(expected.Times.ToArray(), actual.Times.ToArray());
        foreach (var c in expected.Columns)
        {
            // bit for bit, NaN included
            Assert.Equal(expected.Column(c).ToArray().Select(BitConverter.DoubleToInt64Bits), actual.Column(c).ToArray().Select(BitConverter.DoubleToInt64Bits));
        }
    }

    private static (TempFolder Folder, DataStore Store, DatasetSpec Spec) Setup(string csv)
    {
        var folder = new TempFolder();
        folder.Write("bars.csv", csv);
        return (folder, new DataStore(folder.Path), CsvImportTests.Spec("bars.csv"));
    }

    [Fact]
    public void SecondLoadIsServedFromTheCacheWithTheParsedData()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        using var first = store.Load(spec).Panel;
        var second = store.Load(spec);
        using var parsed = store.ParseCsv(spec, new ImportLog());
        Assert.Equal(CacheOutcome.Hit, second.Outcome);
        AssertSameData(parsed, second.Panel);
        second.Panel.Dispose();
    }

    [Fact]
    public void AChangedFileIsImportedAgain()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        folder.Write("bars.csv", Header + Rows(1, 9).Replace(",105.0,", ",105.0,", StringComparison.Ordinal).Replace("2024-01-03,BTC/USD,BTC,103,113,93,108", "2024-01-03,BTC/USD,BTC,103,113,93,107", StringComparison.Ordinal));
        var reloaded = store.Load(spec);
        Assert.Equal(CacheOutcome.Built, reloaded.Outcome);
        Assert.Equal(107, reloaded.Panel["close", 2, 0]);
        reloaded.Panel.Dispose();
    }

    [Fact]
    public void AChangedDefinitionIsImportedAgain()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        var changed = spec with { Repair = new RepairSpec { Gaps = "keep" } };
        using var p = store.Load(changed).Panel;
        Assert.Equal(CacheOutcome.Hit, store.Load(changed).Outcome);
        Assert.Equal(CacheOutcome.Built, store.Load(spec).Outcome);
    }

    [Fact]
    public void AGrownFileIsAppendedAndEqualsAFullImport()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 5));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        var columnFile = Path.Combine(store.CacheFolder, "test", "c3.f64");
        var cachedBytes = File.ReadAllBytes(columnFile);
        File.AppendAllText(Path.Combine(folder.Path, "bars.csv"), Rows(6, 9));

        var appended = store.Load(spec);
        Assert.Equal(CacheOutcome.Appended, appended.Outcome);
        Assert.Equal(cachedBytes, File.ReadAllBytes(columnFile).Take(cachedBytes.Length));
        using var parsed = store.ParseCsv(spec, new ImportLog());
        AssertSameData(parsed, appended.Panel);
        appended.Panel.Dispose();
        using var again = store.Load(spec).Panel;
        AssertSameData(parsed, again);
    }

    [Fact]
    public void AnAppendThatLeavesAGapIsAnErrorUnderTheDefaultPolicy()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 5));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        File.AppendAllText(Path.Combine(folder.Path, "bars.csv"), Rows(8, 9));
        var e = Assert.Throws<DataValidationException>(() => store.Load(spec));
        Assert.All(e.Issues, i => Assert.Equal(DataIssueKind.Gap, i.Kind));
        Assert.Contains(e.Issues, i => i.Message == "BTC: 2 bar(s) missing between 2024-01-05 and 2024-01-08" && i.Line == 12);
    }

    [Fact]
    public void ACorruptColumnFileIsDetectedAndRebuilt()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        var file = Path.Combine(store.CacheFolder, "test", "c3.f64");
        var bytes = File.ReadAllBytes(file);
        bytes[17] ^= 0x40;
        File.WriteAllBytes(file, bytes);

        var reloaded = store.Load(spec);
        Assert.Equal(CacheOutcome.Built, reloaded.Outcome);
        Assert.Contains(reloaded.Log.Notes, n => n.Contains("fails its checksum", StringComparison.Ordinal));
        using var parsed = store.ParseCsv(spec, new ImportLog());
        AssertSameData(parsed, reloaded.Panel);
        reloaded.Panel.Dispose();
    }

    [Fact]
    public void ATruncatedColumnFileIsRebuilt()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        var file = Path.Combine(store.CacheFolder, "test", "time.i64");
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..20]);
        var reloaded = store.Load(spec);
        Assert.Equal(CacheOutcome.Built, reloaded.Outcome);
        Assert.Contains(reloaded.Log.Notes, n => n.Contains("truncated", StringComparison.Ordinal));
        reloaded.Panel.Dispose();
    }

    [Fact]
    public void AnUnreadableManifestIsRebuilt()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        File.WriteAllText(Path.Combine(store.CacheFolder, "test", "manifest.json"), "{ not json");
        var reloaded = store.Load(spec);
        Assert.Equal(CacheOutcome.Built, reloaded.Outcome);
        reloaded.Panel.Dispose();
    }

    [Fact]
    public void BytesOfAnUnfinishedAppendAreCutBack()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        var file = Path.Combine(store.CacheFolder, "test", "c0.f64");
        var length = new FileInfo(file).Length;
        File.AppendAllText(file, "half-written");
        var reloaded = store.Load(spec);
        Assert.Equal(CacheOutcome.Hit, reloaded.Outcome);
        reloaded.Panel.Dispose();
        Assert.Equal(length, new FileInfo(file).Length);
    }

    private static void EditManifest(DataStore store, Action<JsonObject> edit)
    {
        var path = Path.Combine(store.CacheFolder, "test", "manifest.json");
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(manifest);
        File.WriteAllText(path, manifest.ToJsonString());
    }

    private static void Swap(JsonNode parent, string a, string b)
    {
        var first = parent[a]!.DeepClone();
        parent[a] = parent[b]!.DeepClone();
        parent[b] = first;
    }

    private static void AssertRebuiltAsParsed(DataStore store, DatasetSpec spec, string because)
    {
        var reloaded = store.Load(spec);
        using var panel = reloaded.Panel;
        Assert.Equal(CacheOutcome.Built, reloaded.Outcome);
        Assert.Contains(reloaded.Log.Notes, n => n == $"cache of 'test' rebuilt: {because}");
        using var parsed = store.ParseCsv(spec, new ImportLog());
        AssertSameData(parsed, panel);
        Assert.Equal(parsed.Interval, panel.Interval);
    }

    [Fact]
    public void SwappedColumnFilesAreRebuiltNamingTheColumn()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        var cache = Path.Combine(store.CacheFolder, "test");
        File.Move(Path.Combine(cache, "c0.f64"), Path.Combine(cache, "swap"));
        File.Move(Path.Combine(cache, "c3.f64"), Path.Combine(cache, "c0.f64"));
        File.Move(Path.Combine(cache, "swap"), Path.Combine(cache, "c3.f64"));
        AssertRebuiltAsParsed(store, spec, "c0.f64 (open) fails its checksum at block 0");
    }

    [Fact]
    public void ColumnFilesSwappedWithTheirChecksumsAreRebuilt()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        var cache = Path.Combine(store.CacheFolder, "test");
        File.Move(Path.Combine(cache, "c0.f64"), Path.Combine(cache, "swap"));
        File.Move(Path.Combine(cache, "c3.f64"), Path.Combine(cache, "c0.f64"));
        File.Move(Path.Combine(cache, "swap"), Path.Combine(cache, "c3.f64"));
        EditManifest(store, m => Swap(m["checksums"]!, "c0.f64", "c3.f64"));
        AssertRebuiltAsParsed(store, spec, "manifest.json does not match its checksum (edited or damaged)");
    }

    [Fact]
    public void ColumnsRenamedInTheManifestAreRebuilt()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        EditManifest(store, m =>
        {
            var columns = m["columns"]!.AsArray();
            (columns[0], columns[3]) = (JsonValue.Create("close"), JsonValue.Create("open"));
        });
        AssertRebuiltAsParsed(store, spec, "manifest.json does not match its checksum (edited or damaged)");
    }

    [Fact]
    public void AnEditedIntervalIsRebuilt()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        EditManifest(store, m => m["interval"] = "1h");
        AssertRebuiltAsParsed(store, spec, "manifest.json does not match its checksum (edited or damaged)");
    }

    [Fact]
    public void ACacheOfTheEarlierFormatIsRebuilt()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        EditManifest(store, m =>
        {
            m["format"] = 1;
            m.Remove("checksum");
        });
        AssertRebuiltAsParsed(store, spec, $"cache format 1 is not {CacheManifest.CurrentFormat}");
    }

    [Fact]
    public void ABuildLeavesNoPrivateFolderBehindWhetherItSucceedsOrFails()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        folder.Write("bars.csv", Header + Rows(1, 9) + "2024-01-10,BTC/USD,BTC,1,2,0.5,x,1\n");
        Assert.Throws<DataValidationException>(() => store.Load(spec));
        Assert.Equal(["test"], Directory.GetDirectories(store.CacheFolder).Select(Path.GetFileName));
    }

    private static int DeadProcessId()
    {
        using var process = Process.Start("true") ?? throw new InvalidOperationException("'true' did not start");
        process.WaitForExit();
        return process.Id;
    }

    private static string LeaveBuild(DataStore store, string dataset, int processId)
    {
        var leftover = Path.Combine(store.CacheFolder, $"{dataset}.tmp-{processId}");
        Directory.CreateDirectory(leftover);
        File.WriteAllBytes(Path.Combine(leftover, "c0.f64"), new byte[4096]);
        return leftover;
    }

    [Fact]
    public void BuildsLeftByEndedProcessesAreRemoved()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        Directory.CreateDirectory(store.CacheFolder);
        var dead = LeaveBuild(store, "test", DeadProcessId());
        var replaced = LeaveBuild(store, "test", DeadProcessId()) + "-old";
        Directory.Move(replaced[..^4], replaced);
        // pid 1 is alive, and is not a build: the init process of the machine or container
        var reused = LeaveBuild(store, "other", 1);

        var loaded = store.Load(spec);
        loaded.Panel.Dispose();
        Assert.False(Directory.Exists(dead));
        Assert.False(Directory.Exists(replaced));
        Assert.False(Directory.Exists(reused));
        Assert.Equal(3, loaded.Log.Notes.Count(n => n.Contains("a cache build its process never finished", StringComparison.Ordinal)));
    }

    [Fact]
    public void ABuildInProgressIsLeftAlone()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        Directory.CreateDirectory(store.CacheFolder);
        var other = Path.Combine(store.CacheFolder, "other");
        string building;
        // a build holds its cache's exclusive lock for as long as it runs
        using (CacheLock.Exclusive(other))
        {
            building = LeaveBuild(store, "other", Environment.ProcessId);
            store.Load(spec).Panel.Dispose();
            Assert.True(Directory.Exists(building));
        }
        store.Load(spec).Panel.Dispose();
        Assert.False(Directory.Exists(building));
    }

    [Fact]
    public async Task ALoadWaitsForABuildInProgressAndUsesItsCache()
    {
        var (folder, store, spec) = Setup(Header + Rows(1, 9));
        using var _ = folder;
        store.Load(spec).Panel.Dispose();
        var cache = Path.Combine(store.CacheFolder, "test");
        var built = Path.Combine(folder.Path, "built");
        Directory.Move(cache, built);
        Task<LoadResult> waiting;
        using (CacheLock.Exclusive(cache))
        {
            waiting = Task.Run(() => new DataStore(folder.Path).Load(spec));
            // publish the cache as the process holding the lock would
            Directory.Move(built, cache);
            Assert.False(waiting.IsCompleted);
        }
        var result = await waiting;
        using var panel = result.Panel;
        Assert.Equal(CacheOutcome.Hit, result.Outcome);
    }
}
