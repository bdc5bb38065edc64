using System.Collections.Immutable;
using System.Text;
using StrategyLab.Runtime.Data.Cache;
using StrategyLab.Runtime.Data.Csv;

namespace StrategyLab.Runtime.Data;

/// <summary>How a load was served.</summary>
public enum CacheOutcome
{
    /// <summary>The cache matched the sources and was mapped.</summary>
    Hit,
    /// <summary>Sources had grown at their ends; only the new rows were parsed and appended.</summary>
    Appended,
    /// <summary>The CSV files were parsed and a new cache written.</summary>
    Built,
}

/// <summary>A loaded dataset and how it was loaded.</summary>
public sealed record LoadResult(Panel Panel, CacheOutcome Outcome, ImportLog Log);

/// <summary>
/// The candle store of a data folder: datasets named in its catalog, imported from CSV and kept
/// in a binary columnar cache keyed by the content hash of the dataset's definition and files.
/// A changed file is imported again; a file that only grew at its end is appended; a corrupt
/// cache is rebuilt.
/// </summary>
public sealed class DataStore(string folder, string? cacheFolder = null)
{
    /// <summary>The data folder holding <c>datasets.json</c> and the CSV files.</summary>
    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>Where caches are kept (by default <c>.cache</c> in the data folder).</summary>
    public string CacheFolder { get; } = Path.GetFullPath(cacheFolder ?? Path.Combine(folder, ".cache"));

    /// <summary>The catalog, read afresh.</summary>
    public Catalog Catalog => Catalog.Open(Folder);

    /// <summary>Loads a dataset by name.</summary>
    public LoadResult Load(string name, Action<string, double>? progress = null) => Load(Catalog.Get(name), progress);

    /// <summary>
    /// Loads a dataset, from its cache when that is current; <paramref name="progress"/> hears how far
    /// parsing is. Any number of processes may load the same data folder at once: they open the cache
    /// under a shared lock, and build, append to or repair it under an exclusive one, so one process
    /// builds while the others wait and then use what it built.
    /// </summary>
    public LoadResult Load(DatasetSpec spec, Action<string, double>? progress = null)
    {
        var log = new ImportLog { OnProgress = progress };
        var interval = ParseInterval(spec);
        var policy = spec.Repair.ToPolicy();
        var mapped = new List<MappedFile>();
        try
        {
            foreach (var s in spec.Sources)
                mapped.Add(OpenSource(ResolvePath(s.File)));
            var fingerprints = mapped.Select((m, i) => new SourceFingerprint(spec.Sources[i].File, m.Length, XxHash64.HashHex(m.Bytes))).ToImmutableArray();
            var key = Key(spec, fingerprints);
            var folder = Path.Combine(CacheFolder, spec.Name);
            PrepareCacheFolder(log);
            using (CacheLock.Shared(folder))
            {
                if (PanelCache.ReadManifest(folder) is { } manifest && manifest.Key == key
                    && PanelCache.TryOpen(folder, manifest, out _, repair: false) is { } cached)
                    return new(cached, CacheOutcome.Hit, log);
            }
            using (CacheLock.Exclusive(folder))
                return Refresh(spec, interval, policy, folder, [.. mapped], fingerprints, key, log);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DataFileException($"cannot write the cache in {CacheFolder}: {e.Message}", e);
        }
        finally
        {
            foreach (var m in mapped)
                m.Dispose();
        }
    }

    // under the exclusive lock: the cache as another process may just have left it, else appended to or built anew
    private LoadResult Refresh(DatasetSpec spec, Interval interval, RepairPolicy policy, string folder, MappedFile[] mapped,
        ImmutableArray<SourceFingerprint> fingerprints, string key, ImportLog log)
    {
        var manifest = PanelCache.ReadManifest(folder);
        if (manifest is not null)
        {
            if (manifest.Key == key)
            {
                var cached = PanelCache.TryOpen(folder, manifest, out var problem);
                if (cached is not null)
                    return new(cached, CacheOutcome.Hit, log);
                log.Note($"cache of '{spec.Name}' rebuilt: {problem}");
            }
            else if (TryAppend(spec, interval, policy, folder, manifest, mapped, fingerprints, key, log) is { } appended)
            {
                return new(appended, CacheOutcome.Appended, log);
            }
        }

        using (var build = CacheBuild.Start(folder))
        {
            var sources = spec.Sources.Select((s, i) => ReadSource(s, interval, mapped[i].Bytes, policy, log)).ToList();
            log.ThrowIfErrors();
            using (var built = PanelBuilder.Build(spec.Name, interval, sources, policy, log))
                build.Write(built, key, fingerprints);
            build.Publish();
        }
        var written = PanelCache.ReadManifest(folder)!;
        return new(PanelCache.TryOpen(folder, written, out var p) ?? throw new IOException($"the cache just written for '{spec.Name}' does not open: {p}"),
            CacheOutcome.Built, log);
    }

    // the cache folder exists (the lock files live in it), and builds killed midway are cleared from it
    private void PrepareCacheFolder(ImportLog log)
    {
        Directory.CreateDirectory(CacheFolder);
        foreach (var name in CacheBuild.RemoveAbandoned(CacheFolder))
            log.Note($"removed {name} from {CacheFolder}: a cache build its process never finished");
    }

    /// <summary>Parses a dataset's CSV files into an in-memory panel, bypassing the cache.</summary>
    public Panel ParseCsv(DatasetSpec spec, ImportLog log)
    {
        var policy = spec.Repair.ToPolicy();
        var sources = new List<SourceRows>();
        foreach (var s in spec.Sources)
        {
            sources.Add(ReadSource(s, ParseInterval(spec), ReadSourceFile(ResolvePath(s.File), File.ReadAllBytes), policy, log));
        }
        log.ThrowIfErrors();
        return PanelBuilder.Build(spec.Name, ParseInterval(spec), sources, policy, log);
    }

    /// <summary>The full path of a file named in the catalog.</summary>
    public string ResolvePath(string file) => Path.GetFullPath(Path.Combine(Folder, file));

    private static Interval ParseInterval(DatasetSpec spec) =>
        Interval.TryParse(spec.Interval, out var i)
            ? i
            : throw new FormatException($"dataset '{spec.Name}': expected an interval such as 1m, 1h or 1d, found '{spec.Interval}'");

    private static MappedFile OpenSource(string path) => ReadSourceFile(path, p => new MappedFile(p));

    // a missing or unreadable file is the user's to fix: an error that names it, not the bare system message
    private static T ReadSourceFile<T>(string path, Func<string, T> read)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"data file not found: {path}", path);
        try
        {
            return read(path);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DataFileException($"cannot read data file {path}: permission denied", e);
        }
        catch (IOException e)
        {
            throw new DataFileException($"cannot read data file {path}: {e.Message}", e);
        }
    }

    private static string Key(DatasetSpec spec, ImmutableArray<SourceFingerprint> sources)
    {
        var content = XxHash64.HashHex(Encoding.UTF8.GetBytes(string.Join("\n", sources.Select(s => s.Hash))));
        return $"{DefinitionHash(spec)}:{content}";
    }

    // the part of the key that changes with the definition alone: a grown file keeps it, an edited catalog does not
    private static string DefinitionHash(DatasetSpec spec) =>
        XxHash64.HashHex(Encoding.UTF8.GetBytes($"{CacheManifest.CurrentFormat}\n{Catalog.Canonical(spec)}"));

    private static SourceRows ReadSource(SourceSpec spec, Interval interval, ReadOnlySpan<byte> text, RepairPolicy policy, ImportLog log,
        int tailStart = 0)
    {
        var rows = ReadRows(spec, text, policy, log, tailStart);
        if (spec.FloorToInterval)
        {
            foreach (var s in rows.Symbols.Values)
            {
                for (var i = 0; i < s.Times.Count; i++)
                    s.Times[i] -= ((s.Times[i] % interval.Milliseconds) + interval.Milliseconds) % interval.Milliseconds;
            }
        }
        return rows;
    }

    private static SourceRows ReadRows(SourceSpec spec, ReadOnlySpan<byte> text, RepairPolicy policy, ImportLog log, int tailStart)
    {
        var header = CsvImporter.ReadHeader(text) ?? [];
        var layout = spec.ResolveLayout(header);
        if (layout is null)
        {
            log.Error(new(DataIssueKind.Layout, spec.File, 1, null,
                $"unrecognised layout (header: {string.Join(",", header)}); name its columns (data import --columns time=...,close=..., or \"columns\" in the catalog)"));
            return new SourceRows(spec.File, new CsvLayout("", []), [], new Dictionary<string, SymbolRows>());
        }
        if (tailStart == 0)
            return CsvImporter.Read(spec.File, text, layout, policy, log);
        var tail = text[tailStart..];
        var lines = CsvRecordReader.CountLines(text[..tailStart]);
        return CsvImporter.Read(spec.File, tail, layout, policy, log,
            tailHeader: layout.Header.IsDefaultOrEmpty ? header : layout.Header, lineOffset: lines);
    }

    // appends when every changed source only grew at its end and every new row is later than the cached bars
    private Panel? TryAppend(DatasetSpec spec, Interval interval, RepairPolicy policy, string folder, CacheManifest manifest,
        MappedFile[] mapped, ImmutableArray<SourceFingerprint> fingerprints, string key, ImportLog log)
    {
        Panel? Refuse(string why)
        {
            log.Note($"cache of '{spec.Name}' rebuilt: {why}");
            return null;
        }

        if (manifest.Sources.Length != fingerprints.Length || !manifest.Key.StartsWith(DefinitionHash(spec) + ":", StringComparison.Ordinal))
            return Refuse("the dataset definition changed");
        var tails = new List<(int Index, int Start)>();
        for (var i = 0; i < fingerprints.Length; i++)
        {
            var old = manifest.Sources[i];
            if (old.File != fingerprints[i].File)
                return Refuse("the dataset definition changed");
            if (old.Hash == fingerprints[i].Hash)
                continue;
            var bytes = mapped[i].Bytes;
            if (bytes.Length <= old.Length || bytes[(int)old.Length - 1] != (byte)'\n'
                || XxHash64.HashHex(bytes[..(int)old.Length]) != old.Hash)
                return Refuse($"{old.File} changed");
            tails.Add((i, (int)old.Length));
        }
        if (tails.Count == 0)
            return Refuse("the dataset definition changed");
        if (PanelCache.TryOpen(folder, manifest, out var problem) is not { } cached)
            return Refuse(problem!);

        Panel tail;
        using (cached)
        {
            var lastTime = cached.TimeCount > 0 ? cached.Times[^1] : long.MinValue;
            var sources = new List<SourceRows>();
            foreach (var (index, start) in tails)
            {
                var rows = ReadSource(spec.Sources[index], interval, mapped[index].Bytes, policy, log, start);
                foreach (var s in rows.Symbols.Values)
                {
                    if (cached.AssetIndex(s.Symbol) < 0)
                        return Refuse($"{spec.Sources[index].File} adds the symbol {s.Symbol}");
                    if (s.Times.Count > 0 && s.Times.Min() <= lastTime)
                        return Refuse($"{spec.Sources[index].File} adds {s.Symbol} rows before the last cached bar");
                    if (rows.HasCandles)
                        PrependLastBar(cached, s, rows.Columns);
                }
                sources.Add(rows);
            }
            log.ThrowIfErrors();
            foreach (var source in sources)
            {
                foreach (var rows in source.Symbols.Values)
                {
                    PanelBuilder.Normalize(source, rows, interval, policy, log);
                    DropPrepended(rows);
                }
            }
            log.ThrowIfErrors();
            tail = AlignTail(cached, sources, log);
        }
        // the cached files are unmapped before they are appended to
        using (tail)
            PanelCache.Append(folder, manifest, tail, key, fingerprints);
        var updated = PanelCache.ReadManifest(folder)!;
        return PanelCache.TryOpen(folder, updated, out var p) ?? throw new IOException($"the cache just appended for '{spec.Name}' does not open: {p}");
    }

    // the symbol's last cached bar goes in front of its new rows so that gaps across the join are seen (and filled)
    private static void PrependLastBar(Panel cached, SymbolRows rows, IReadOnlyList<string> columns)
    {
        var asset = cached.AssetIndex(rows.Symbol);
        var close = cached.Column("close");
        for (var t = cached.TimeCount - 1; t >= 0; t--)
        {
            if (double.IsNaN(close[t * cached.AssetCount + asset]))
                continue;
            rows.Times.Insert(0, cached.Times[t]);
            rows.Lines.Insert(0, -1);
            for (var c = 0; c < columns.Count; c++)
                rows.Values[c].Insert(0, cached.HasColumn(columns[c]) ? cached[columns[c], t, asset] : double.NaN);
            return;
        }
    }

    private static void DropPrepended(SymbolRows rows)
    {
        if (rows.Lines.Count == 0 || rows.Lines[0] != -1)
            return;
        rows.Times.RemoveAt(0);
        rows.Lines.RemoveAt(0);
        foreach (var v in rows.Values)
            v.RemoveAt(0);
    }

    private static Panel AlignTail(Panel cached, List<SourceRows> sources, ImportLog log)
    {
        var times = sources.Where(s => s.HasCandles || !sources.Any(x => x.HasCandles))
            .SelectMany(s => s.Symbols.Values).SelectMany(r => r.Times).Distinct().Order().ToArray();
        var a = cached.AssetCount;
        var data = cached.Columns.Select(_ =>
        {
            var col = new double[times.Length * a];
            col.AsSpan().Fill(double.NaN);
            return col;
        }).ToArray();
        var offAxis = 0;
        foreach (var source in sources)
        {
            foreach (var rows in source.Symbols.Values)
            {
                var asset = cached.AssetIndex(rows.Symbol);
                for (var i = 0; i < rows.Times.Count; i++)
                {
                    var t = Array.BinarySearch(times, rows.Times[i]);
                    if (t < 0)
                    {
                        offAxis++;
                        continue;
                    }
                    for (var c = 0; c < source.Columns.Count; c++)
                        data[cached.Columns.IndexOf(source.Columns[c])][t * a + asset] = rows.Values[c][i];
                }
            }
        }
        if (offAxis > 0)
            log.Note($"{offAxis} appended value(s) fall on times with no bar and were not used");
        return new Panel(cached.Name, cached.Interval, cached.Symbols, cached.Columns, new ArrayColumnStore(times, data));
    }
}
